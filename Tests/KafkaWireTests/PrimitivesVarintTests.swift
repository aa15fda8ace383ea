import KafkaWire
import NIOCore
import Testing

@Suite struct PrimitivesVarintTests {
    /// Known encodings (protobuf base-128, zigzag for the signed forms).
    @Test func knownEncodings() throws {
        let unsigned: [(UInt32, [UInt8])] = [
            (0, [0x00]), (1, [0x01]), (127, [0x7F]), (128, [0x80, 0x01]), (300, [0xAC, 0x02]),
            (16383, [0xFF, 0x7F]), (16384, [0x80, 0x80, 0x01]), (UInt32.max, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
        ]
        for (value, bytes) in unsigned {
            var buffer = ByteBuffer()
            buffer.writeUnsignedVarint(value)
            #expect(Array(buffer.readableBytesView) == bytes, "unsigned \(value)")
            #expect(ByteBuffer.unsignedVarintSize(value) == bytes.count)
            #expect(try buffer.readUnsignedVarint() == value)
            #expect(buffer.readableBytes == 0)
        }
        let signed: [(Int32, [UInt8])] = [
            (0, [0x00]), (-1, [0x01]), (1, [0x02]), (-2, [0x03]), (63, [0x7E]), (-64, [0x7F]), (64, [0x80, 0x01]),
            (Int32.max, [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]), (Int32.min, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
        ]
        for (value, bytes) in signed {
            var buffer = ByteBuffer()
            buffer.writeVarint(value)
            #expect(Array(buffer.readableBytesView) == bytes, "varint \(value)")
            #expect(ByteBuffer.varintSize(value) == bytes.count)
            #expect(try buffer.readVarint() == value)
        }
        var long = ByteBuffer()
        long.writeVarlong(Int64.min)
        #expect(Array(long.readableBytesView) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(try long.readVarlong() == Int64.min)
    }

    /// Random values and edge values round-trip, and the size helpers match what is written.
    @Test func roundTripsAndSizes() throws {
        var generator = PrimitivesTestRandom(seed: 42)
        var values32: [Int32] = [0, 1, -1, Int32.max, Int32.min, 63, 64, -64, -65, 8191, 8192]
        var values64: [Int64] = [0, 1, -1, Int64.max, Int64.min, Int64(Int32.max) + 1, 1 << 56, -(1 << 56)]
        for _ in 0..<2000 {
            let shift = Int32.random(in: 0...31, using: &generator)
            values32.append(Int32.random(in: Int32.min...Int32.max, using: &generator) >> shift)
            values64.append(Int64.random(in: Int64.min...Int64.max, using: &generator) >> Int64(shift * 2))
        }
        var buffer = ByteBuffer()
        for value in values32 {
            let before = buffer.writerIndex
            buffer.writeVarint(value)
            #expect(buffer.writerIndex - before == ByteBuffer.varintSize(value))
            let unsigned = UInt32(bitPattern: value)
            let middle = buffer.writerIndex
            buffer.writeUnsignedVarint(unsigned)
            #expect(buffer.writerIndex - middle == ByteBuffer.unsignedVarintSize(unsigned))
        }
        for value in values64 {
            let before = buffer.writerIndex
            buffer.writeVarlong(value)
            #expect(buffer.writerIndex - before == ByteBuffer.varlongSize(value))
        }
        for value in values32 {
            #expect(try buffer.readVarint() == value)
            #expect(try buffer.readUnsignedVarint() == UInt32(bitPattern: value))
        }
        for value in values64 {
            #expect(try buffer.readVarlong() == value)
        }
        #expect(buffer.readableBytes == 0)
    }

    @Test func truncatedVarintThrowsAndLeavesReaderIndex() {
        var buffer = ByteBuffer(bytes: [0x80, 0x80])
        #expect(throws: KafkaWireError.self) { try buffer.readUnsignedVarint() }
        #expect(buffer.readerIndex == 0)
        var empty = ByteBuffer()
        #expect(throws: KafkaWireError.self) { try empty.readVarlong() }
    }

    @Test func overlongVarintIsMalformed() {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        do {
            _ = try buffer.readVarint()
            Issue.record("expected malformedVarint")
        } catch {
            #expect(error.code == .malformedVarint)
        }
        var long = ByteBuffer(bytes: [UInt8](repeating: 0xFF, count: 10) + [0x01])
        #expect(throws: KafkaWireError.self) { try long.readVarlong() }
    }

    /// The raw-memory coder agrees with the ByteBuffer methods and reports truncation and overlong input.
    @Test func rawVarintCoding() {
        var scratch = [UInt8](repeating: 0, count: 10)
        let written = scratch.withUnsafeMutableBytes { KafkaVarint.encode(KafkaVarint.zigzag(Int64.min), into: $0) }
        #expect(written == 10 && scratch == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        let decoded = scratch.withUnsafeBytes { KafkaVarint.decode($0, maxBytes: 10) }
        #expect(decoded.length == 10 && KafkaVarint.unzigzag(decoded.value) == Int64.min)
        let truncated: [UInt8] = [0x80]
        #expect(truncated.withUnsafeBytes { KafkaVarint.decode($0, maxBytes: 5) }.length == 0)
        let overlong: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x80, 0x00]
        #expect(overlong.withUnsafeBytes { KafkaVarint.decode($0, maxBytes: 5) }.length == -1)
        for value: Int32 in [0, -1, 1, Int32.min, Int32.max] {
            #expect(KafkaVarint.unzigzag(KafkaVarint.zigzag(value)) == value)
        }
    }

    @Test func setUnsignedVarintOverwritesInPlace() throws {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 9])
        buffer.setUnsignedVarint(300, at: 0)
        #expect(Array(buffer.readableBytesView) == [0xAC, 0x02, 0, 9])
    }
}

/// A small deterministic generator for reproducible tests (PrimitivesTestRandom).
struct PrimitivesTestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
