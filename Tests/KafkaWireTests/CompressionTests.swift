import FjordModel
import KafkaWire
import NIOCore
import Testing

@Suite struct CompressionTests {
    static let compressedCodecs: [CompressionCodec] = [.gzip, .snappy, .lz4, .zstd]

    static func sample(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
        // Compressible but varied: words from a small vocabulary with random numbers.
        var generator = SplitMix64(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(count + 32)
        let words = ["fjord ", "kafka ", "record ", "batch ", "offset ", "epoch "]
        while out.count < count {
            out += Array(words[Int(generator.next() % 6)].utf8)
            out += Array(String(generator.next() % 1000).utf8)
        }
        return Array(out.prefix(count))
    }

    @Test(arguments: CompressionCodec.allCases, [0, 1, 100, 65_536, 65_537, 300_000])
    func roundTrip(_ codec: CompressionCodec, sizeBytes: Int) throws {
        let input = ByteBuffer(bytes: Self.sample(sizeBytes))
        let compressed = try codec.compress(input)
        if sizeBytes >= 65_536 && codec != .none {
            #expect(compressed.readableBytes < sizeBytes / 2)
        }
        #expect(try codec.decompress(compressed) == input)
    }

    @Test(arguments: compressedCodecs)
    func appendsAfterExistingBytes(_ codec: CompressionCodec) throws {
        let input = ByteBuffer(bytes: Self.sample(10_000))
        var compressed = ByteBuffer(string: "prefix")
        try input.withUnsafeReadableBytes { try codec.compress($0, into: &compressed) }
        var output = ByteBuffer(string: "before")
        try compressed.getSlice(at: 6, length: compressed.readableBytes - 6)!.withUnsafeReadableBytes {
            try codec.decompress($0, into: &output)
        }
        #expect(output.readString(length: 6) == "before")
        #expect(output == input)
    }

    @Test func snappyDecodesRawAndXerialFraming() throws {
        let input = Self.sample(100_000)
        for framing in [SnappyCodec.Framing.raw, .xerial] {
            var compressed = ByteBuffer()
            input.withUnsafeBytes { SnappyCodec.compress($0, into: &compressed, framing: framing) }
            let isXerial = compressed.withUnsafeReadableBytes { SnappyCodec.isXerial($0) }
            #expect(isXerial == (framing == .xerial))
            #expect(try CompressionCodec.snappy.decompress(compressed) == ByteBuffer(bytes: input))
        }
    }

    @Test func snappyXerialHeaderIsWhatJavaAndKafkaPythonExpect() throws {
        let compressed = try CompressionCodec.snappy.compress(ByteBuffer(bytes: Self.sample(70_000)))
        #expect(compressed.getBytes(at: 0, length: 16) == SnappyCodec.xerialMagic + [0, 0, 0, 1, 0, 0, 0, 1])
        // 70 000 bytes make three blocks of at most 32 KiB each.
        var reader = compressed
        reader.moveReaderIndex(forwardBy: 16)
        var blocks = 0
        while let length = reader.readInteger(as: Int32.self) {
            reader.moveReaderIndex(forwardBy: Int(length))
            blocks += 1
        }
        #expect(blocks == 3)
    }

    @Test func gzipAcceptsConcatenatedMembers() throws {
        let a = ByteBuffer(bytes: Self.sample(5_000, seed: 2))
        let b = ByteBuffer(bytes: Self.sample(7_000, seed: 3))
        var both = try CompressionCodec.gzip.compress(a)
        var second = try CompressionCodec.gzip.compress(b)
        both.writeBuffer(&second)
        var expected = a
        expected.writeImmutableBuffer(b)
        #expect(try CompressionCodec.gzip.decompress(both) == expected)
    }

    @Test(arguments: [CompressionCodec.lz4, .zstd])
    func acceptsConcatenatedFrames(_ codec: CompressionCodec) throws {
        let a = ByteBuffer(bytes: Self.sample(5_000, seed: 4))
        let b = ByteBuffer(bytes: Self.sample(90_000, seed: 5))
        var both = try codec.compress(a)
        var second = try codec.compress(b)
        both.writeBuffer(&second)
        var expected = a
        expected.writeImmutableBuffer(b)
        #expect(try codec.decompress(both) == expected)
    }

    @Test(arguments: compressedCodecs)
    func corruptOrTruncatedInputThrowsCompression(_ codec: CompressionCodec) throws {
        let compressed = try codec.compress(ByteBuffer(bytes: Self.sample(50_000)))
        // Truncations at several points, including the empty input.
        for keep in [0, 1, 5, compressed.readableBytes / 2, compressed.readableBytes - 1] {
            let error = #expect(throws: KafkaWireError.self) {
                try codec.decompress(compressed.getSlice(at: 0, length: keep)!)
            }
            #expect(error?.code == .compression, "\(codec) truncated to \(keep) bytes")
        }
        // Garbage.
        let garbage = ByteBuffer(bytes: (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        let error = #expect(throws: KafkaWireError.self) { try codec.decompress(garbage) }
        #expect(error?.code == .compression)
    }

    @Test(arguments: compressedCodecs)
    func randomCorruptionNeverTraps(_ codec: CompressionCodec) throws {
        let input = ByteBuffer(bytes: Self.sample(20_000))
        let compressed = try codec.compress(input)
        var generator = SplitMix64(seed: 99)
        for _ in 0..<300 {
            var corrupted = compressed
            let position = Int(generator.next() % UInt64(compressed.readableBytes))
            corrupted.setInteger(
                UInt8(truncatingIfNeeded: generator.next() | 1) ^ corrupted.getInteger(at: position)!, at: position)
            // Either it throws a typed error or decodes to something within the cap; it must not trap.
            if let output = try? codec.decompress(corrupted, maxDecompressedBytes: 1 << 20) {
                #expect(output.readableBytes <= 1 << 20)
            }
        }
    }

    @Test(arguments: CompressionCodec.allCases)
    func exactlyTheCapIsAllowedOneByteMoreIsNot(_ codec: CompressionCodec) throws {
        let input = ByteBuffer(bytes: Self.sample(100_000))
        let compressed = try codec.compress(input)
        #expect(try codec.decompress(compressed, maxDecompressedBytes: 100_000) == input)
        let error = #expect(throws: KafkaWireError.self) {
            try codec.decompress(compressed, maxDecompressedBytes: 99_999)
        }
        #expect(error?.code == .compression)
    }
}
