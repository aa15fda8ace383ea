import FjordModel
import KafkaWire
import NIOCore
import Testing

/// Tiny inputs that decompress to gigabytes must be rejected quickly, at the cap, without allocating their full size.
@Suite struct CompressionBombTests {
    static let capBytes = 1 << 20

    /// `zeros` zero bytes compressed with `codec`, as identical gzip members or frames of 512 KiB each (every decoder
    /// accepts several, and each frame alone is under the cap), so building it stays cheap.
    static func bomb(_ codec: CompressionCodec, zeros: Int) throws -> ByteBuffer {
        let chunkBytes = 512 << 10
        let chunk = try codec.compress(ByteBuffer(repeating: 0, count: chunkBytes))
        var bomb = ByteBuffer()
        for _ in 0..<(zeros / chunkBytes) {
            bomb.writeImmutableBuffer(chunk)
        }
        return bomb
    }

    @Test(arguments: [CompressionCodec.gzip, .lz4, .zstd])
    func streamingBombStopsAtTheCap(_ codec: CompressionCodec) throws {
        let bomb = try Self.bomb(codec, zeros: 1 << 30)  // 1 GiB of zeros
        #expect(bomb.readableBytes < 32 << 20)
        var output = ByteBuffer()
        let clock = ContinuousClock()
        let started = clock.now
        let error = #expect(throws: KafkaWireError.self) {
            try bomb.withUnsafeReadableBytes {
                try codec.decompress($0, into: &output, maxDecompressedBytes: Self.capBytes)
            }
        }
        #expect(error?.code == .compression)
        // It stopped after at most one byte past the cap, and never allocated much more than the cap.
        #expect(output.readableBytes <= Self.capBytes + 1)
        #expect(output.capacity <= 4 * Self.capBytes)
        #expect(clock.now - started < .seconds(2), "\(codec) bomb took \(clock.now - started)")
    }

    @Test func zstdFrameDeclaringAHugeSizeIsRejectedBeforeDecoding() throws {
        let frame = try CompressionCodec.zstd.compress(ByteBuffer(repeating: 0, count: 64 << 20))
        var output = ByteBuffer()
        let error = #expect(throws: KafkaWireError.self) {
            try frame.withUnsafeReadableBytes {
                try CompressionCodec.zstd.decompress($0, into: &output, maxDecompressedBytes: Self.capBytes)
            }
        }
        #expect(error?.code == .compression)
        #expect(output.readableBytes == 0)
    }

    @Test func snappyBlockDeclaringAHugeSizeIsRejectedBeforeAllocating() throws {
        // A raw snappy block whose header varint claims 4 GiB - 1 bytes, followed by one literal.
        let lie = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 0x41])
        var output = ByteBuffer()
        let error = #expect(throws: KafkaWireError.self) {
            try lie.withUnsafeReadableBytes {
                try CompressionCodec.snappy.decompress($0, into: &output, maxDecompressedBytes: Self.capBytes)
            }
        }
        #expect(error?.code == .compression)
        #expect(output.capacity < Self.capBytes)
    }

    @Test func snappyXerialBlocksAddingUpPastTheCapAreRejected() throws {
        var xerial = ByteBuffer(bytes: SnappyCodec.xerialMagic)
        xerial.writeInteger(Int32(1))
        xerial.writeInteger(Int32(1))
        var block = ByteBuffer()
        [UInt8](repeating: 0, count: 32 << 10).withUnsafeBytes { SnappyCodec.compress($0, into: &block, framing: .raw) }
        for _ in 0..<((4 * Self.capBytes) / (32 << 10)) {
            xerial.writeInteger(Int32(block.readableBytes))
            xerial.writeImmutableBuffer(block)
        }
        var output = ByteBuffer()
        let error = #expect(throws: KafkaWireError.self) {
            try xerial.withUnsafeReadableBytes {
                try CompressionCodec.snappy.decompress($0, into: &output, maxDecompressedBytes: Self.capBytes)
            }
        }
        #expect(error?.code == .compression)
        #expect(output.readableBytes <= Self.capBytes)
    }

    @Test func recordBatchDecodingAppliesTheCap() throws {
        var builder = RecordBatchBuilder(compression: .zstd)
        builder.append(key: nil, value: ByteBuffer(repeating: 0, count: 8 << 20), timestamp: TimestampMs(0))
        let batch = try RecordBatch(validating: try builder.build())
        #expect(batch.bytes.readableBytes < 1 << 20)
        let error = #expect(throws: KafkaWireError.self) { try batch.records(maxDecompressedBytes: Self.capBytes) }
        #expect(error?.code == .compression)
        #expect(try batch.decodeRecords().first?.value?.readableBytes == 8 << 20)
    }
}
