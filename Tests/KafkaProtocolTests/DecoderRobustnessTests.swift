import KafkaProtocol
import KafkaWire
import NIOCore
import Testing

/// Decoders never trust the input: they throw on truncated, oversized or random bytes and never trap.
@Suite struct DecoderRobustnessTests {
    /// Every proper prefix of every sample encoding (at the lowest and highest version) fails to decode.
    @Test(arguments: MessageType.all)
    func truncationAtEveryByteThrows(_ messageType: MessageType) {
        checkTruncations(messageType.type)
    }

    private func checkTruncations<T: SampledMessage>(_ type: T.Type) {
        for version in Set([T.validVersions.lowerBound, T.validVersions.upperBound]) {
            let encoded = T.sample(version: version).encoded(version: version)
            for length in 0..<encoded.readableBytes {
                var prefix = encoded.getSlice(at: encoded.readerIndex, length: length)!
                #expect(throws: KafkaWireError.self, "\(T.self) v\(version) cut at \(length)") {
                    _ = try T(from: &prefix, version: version, limits: .default)
                }
            }
        }
    }

    /// A huge array count is refused with `.lengthOutOfRange` before anything is allocated: a 2^31 - 1 element
    /// reservation would abort the process.
    @Test func hugeArrayCountIsRefused() {
        var classic = ByteBuffer(bytes: [0x7F, 0xFF, 0xFF, 0xFF, 0x00, 0x01])
        expectLengthOutOfRange { _ = try MetadataRequest(from: &classic, version: 0, limits: .default) }
        var compact = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 0x00])
        expectLengthOutOfRange { _ = try MetadataRequest(from: &compact, version: 9, limits: .default) }
        // A count within the bytes but above the configured maximum.
        var limited = ByteBuffer()
        MetadataRequest(topics: Array(repeating: .init(name: "t"), count: 10)).write(to: &limited, version: 1)
        expectLengthOutOfRange {
            _ = try MetadataRequest(from: &limited, version: 1, limits: DecodeLimits(maxArrayCount: 9))
        }
        // Produce: 1000 partitions declared, bytes for none.
        var produce = ByteBuffer(bytes: [0xFF, 0xFF, 0x00, 0x01, 0x00, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x00, 0x01])
        produce.writeKafkaString("t")
        produce.writeInt32(1000)
        expectLengthOutOfRange { _ = try ProduceRequest(from: &produce, version: 3, limits: .default) }
    }

    /// A huge string or bytes length is refused with `.lengthOutOfRange`.
    @Test func hugeStringAndBytesLengthsAreRefused() {
        // JoinGroup v6 (flexible): group id as a compact string declaring 4 GiB.
        var compactString = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x61])
        expectLengthOutOfRange { _ = try JoinGroupRequest(from: &compactString, version: 6, limits: .default) }
        // JoinGroup v0: group id declaring 32767 bytes with 1 present.
        var classicString = ByteBuffer(bytes: [0x7F, 0xFF, 0x61])
        expectLengthOutOfRange { _ = try JoinGroupRequest(from: &classicString, version: 0, limits: .default) }
        // Produce v3 records declaring 2 GiB.
        var records = ByteBuffer()
        records.writeKafkaNullableString(nil)
        records.writeInt16(1)
        records.writeInt32(1000)
        records.writeInt32(1)
        records.writeKafkaString("t")
        records.writeInt32(1)
        records.writeInt32(0)
        records.writeInt32(Int32.max)
        expectLengthOutOfRange { _ = try ProduceRequest(from: &records, version: 3, limits: .default) }
    }

    /// 20,000 random inputs (fixed seed): garbage and mutated valid encodings, decoded as random message types
    /// and versions. Decoding either throws `KafkaWireError` or yields a value that re-encodes and decodes to
    /// itself; it never traps.
    @Test func randomInputNeverCrashes() {
        var random = ProtocolTestRandom(seed: 0x5EED_F30D)
        let types = MessageType.all
        var decodedCount = 0
        for iteration in 0..<20_000 {
            let type = types[Int.random(in: 0..<types.count, using: &random)].type
            decodedCount += fuzzOnce(type, mutate: iteration % 2 == 0, random: &random) ? 1 : 0
        }
        // Mutated encodings decode often enough that the property check below is exercised.
        #expect(decodedCount > 100)
    }

    private func fuzzOnce<T: SampledMessage>(_ type: T.Type, mutate: Bool, random: inout ProtocolTestRandom) -> Bool {
        let version = Int16.random(in: T.validVersions, using: &random)
        var input: ByteBuffer
        if mutate {
            var bytes = Array(T.sample(version: version).encoded(version: version).readableBytesView)
            let flips = Int.random(in: 1...4, using: &random)
            for _ in 0..<flips where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            if Bool.random(using: &random), !bytes.isEmpty {
                bytes.removeLast(Int.random(in: 0...min(8, bytes.count), using: &random))
            }
            input = ByteBuffer(bytes: bytes)
        } else {
            let length = Int.random(in: 0...96, using: &random)
            input = ByteBuffer(bytes: (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
        guard let value = try? T(from: &input, version: version, limits: .default) else { return false }
        var again = value.encoded(version: version)
        let reread = try? T(from: &again, version: version, limits: .default)
        #expect(reread == value, "\(T.self) v\(version) did not survive re-encoding")
        return true
    }

    private func expectLengthOutOfRange(
        _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            try body()
            Issue.record("expected lengthOutOfRange", sourceLocation: sourceLocation)
        } catch {
            #expect((error as? KafkaWireError)?.code == .lengthOutOfRange, "\(error)", sourceLocation: sourceLocation)
        }
    }
}
