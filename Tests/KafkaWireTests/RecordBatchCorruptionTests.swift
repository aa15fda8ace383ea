import FjordModel
import KafkaWire
import NIOCore
import Testing

/// Damaged batches must throw the right typed error, never trap and never over-allocate.
@Suite struct RecordBatchCorruptionTests {
    static let batch: ByteBuffer = try! RecordBatchTests.build(
        RecordBatchTests.sampleRecords(count: 12, valueBytes: 20))

    static func validate(_ bytes: ByteBuffer) throws(KafkaWireError) -> RecordBatch {
        try RecordBatch(validating: bytes)
    }

    @Test func flippingAnyByteInTheChecksummedRegionIsDetected() throws {
        for position in RecordBatchHeader.Position.crc..<Self.batch.readableBytes {
            var damaged = Self.batch
            damaged.setInteger(damaged.getInteger(at: position, as: UInt8.self)! ^ 0x01, at: position)
            let error = #expect(throws: KafkaWireError.self) { try Self.validate(damaged) }
            #expect(error?.code == .corruptChecksum, "flipped byte \(position)")
        }
    }

    @Test func bytesOutsideTheChecksumMayChange() throws {
        for position in Array(0..<8) + Array(12..<16) {
            var patched = Self.batch
            patched.setInteger(patched.getInteger(at: position, as: UInt8.self)! ^ 0x5A, at: position)
            #expect(throws: Never.self) { try Self.validate(patched) }
        }
    }

    @Test func wrongMagicIsInvalidValue() {
        for magic: Int8 in [0, 1, 3, -1] {
            var damaged = Self.batch
            damaged.setInteger(magic, at: RecordBatchHeader.Position.magic)
            let error = #expect(throws: KafkaWireError.self) { try Self.validate(damaged) }
            #expect(error?.code == .invalidValue)
        }
    }

    @Test func batchLengthBeyondTheBufferIsTruncated() {
        var damaged = Self.batch
        damaged.setInteger(Int32(Self.batch.readableBytes), at: RecordBatchHeader.Position.batchLength)
        let error = #expect(throws: KafkaWireError.self) { try Self.validate(damaged) }
        #expect(error?.code == .truncated)
    }

    @Test func batchLengthBelowTheHeaderOrNegativeIsOutOfRange() {
        for length: Int32 in [-1, 0, 48, Int32.min] {
            var damaged = Self.batch
            damaged.setInteger(length, at: RecordBatchHeader.Position.batchLength)
            let error = #expect(throws: KafkaWireError.self) { try Self.validate(damaged) }
            #expect(error?.code == .lengthOutOfRange)
        }
    }

    @Test(arguments: CompressionCodec.allCases)
    func truncatedAtEveryByteThrows(_ codec: CompressionCodec) throws {
        let whole = try RecordBatchTests.build(RecordBatchTests.sampleRecords(count: 5, valueBytes: 10), codec: codec)
        for length in 0..<whole.readableBytes {
            let error = #expect(throws: KafkaWireError.self) {
                try Self.validate(whole.getSlice(at: 0, length: length)!)
            }
            #expect(error?.code == .truncated, "\(codec) batch cut to \(length) bytes")
        }
    }

    @Test func negativeRecordCountIsRejected() {
        var damaged = Self.batch
        damaged.setInteger(Int32(-1), at: RecordBatchHeader.Position.recordCount)
        fixChecksum(&damaged)
        let error = #expect(throws: KafkaWireError.self) { try Self.validate(damaged) }
        #expect(error?.code == .invalidValue)
    }

    /// A batch with the given hand-written records section and record count, with a correct checksum.
    static func batch(records section: [UInt8], recordCount: Int32) -> ByteBuffer {
        var bytes = Self.batch.getSlice(at: 0, length: RecordBatchHeader.size)!
        bytes.writeBytes(section)
        bytes.setInteger(
            Int32(bytes.readableBytes - RecordBatchHeader.logOverhead), at: RecordBatchHeader.Position.batchLength)
        bytes.setInteger(recordCount, at: RecordBatchHeader.Position.recordCount)
        bytes.setInteger(recordCount - 1, at: RecordBatchHeader.Position.lastOffsetDelta)
        fixChecksum(&bytes)
        return bytes
    }

    /// Zigzag varint bytes of `value`.
    static func varint(_ value: Int32) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeVarint(value)
        return Array(buffer.readableBytesView)
    }

    /// A record: attributes, deltas, key, value, then `tail` (header count and headers), prefixed by `length`
    /// (its true length unless given).
    static func record(
        key: [UInt8] = varint(-1), value: [UInt8] = varint(-1), tail: [UInt8] = varint(0), length: Int32? = nil
    )
        -> [UInt8]
    {
        let body: [UInt8] = [0] + varint(0) + varint(0) + key + value + tail
        return varint(length ?? Int32(body.count)) + body
    }

    static let malformedRecords: [(String, [UInt8], Int32, KafkaWireError.Code)] = [
        ("negative record length", record(length: -5), 1, .lengthOutOfRange),
        ("record length past the end", record(length: 1000), 1, .lengthOutOfRange),
        ("record length short of its fields", record(key: varint(3) + [1, 2, 3], length: 6), 1, .lengthOutOfRange),
        ("record length beyond its fields", record(tail: varint(0) + [9, 9]), 1, .lengthOutOfRange),
        ("key length -2", record(key: varint(-2)), 1, .lengthOutOfRange),
        ("key length past the record", record(key: varint(50) + [1]), 1, .lengthOutOfRange),
        ("value length past the record", record(value: varint(Int32.max)), 1, .lengthOutOfRange),
        ("negative header count", record(tail: varint(-3)), 1, .lengthOutOfRange),
        ("huge header count", record(tail: varint(Int32.max) + [0, 0]), 1, .lengthOutOfRange),
        ("null header key", record(tail: varint(1) + varint(-1) + varint(-1)), 1, .lengthOutOfRange),
        ("header key past the record", record(tail: varint(1) + varint(40) + varint(-1)), 1, .lengthOutOfRange),
        ("header key not UTF-8", record(tail: varint(1) + varint(2) + [0xC3, 0x28] + varint(-1)), 1, .invalidValue),
        ("header value length -7", record(tail: varint(1) + varint(1) + [0x61] + varint(-7)), 1, .lengthOutOfRange),
        ("varint longer than 5 bytes", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] + record(), 1, .malformedVarint),
        (
            "fewer records than counted", record(key: varint(9) + Array(repeating: 7, count: 9)) + record(), 3,
            .truncated
        ),
        ("far fewer records than counted", record() + record(), 3, .lengthOutOfRange),
        ("more records than counted", record() + record() + record(), 2, .lengthOutOfRange),
        ("record count the section cannot hold", record(), Int32.max, .lengthOutOfRange),
    ]

    @Test(arguments: 0..<malformedRecords.count)
    func malformedRecordsThrow(_ index: Int) throws {
        let (name, section, count, code) = Self.malformedRecords[index]
        let bytes = Self.batch(records: section, recordCount: count)
        let batch = try Self.validate(bytes)
        let error = #expect(throws: KafkaWireError.self, "\(name)") { try batch.decodeRecords() }
        #expect(error?.code == code, "\(name): \(String(describing: error))")
    }

    @Test func wellFormedHandWrittenRecordDecodes() throws {
        let section = Self.record(
            key: Self.varint(2) + [0x6B, 0x31], value: Self.varint(0),
            tail: Self.varint(1) + Self.varint(1) + [0x68] + Self.varint(-1))
        let records = try Self.validate(Self.batch(records: section, recordCount: 1)).decodeRecords()
        #expect(
            records == [
                Record(
                    offset: .zero, timestamp: records[0].timestamp, key: ByteBuffer(bytes: [0x6B, 0x31]),
                    value: ByteBuffer(), headers: [RecordHeader(key: "h", value: nil)])
            ])
    }

    @Test(arguments: CompressionCodec.allCases)
    func randomDamageBehindAValidChecksumNeverTraps(_ codec: CompressionCodec) throws {
        let whole = try RecordBatchTests.build(RecordBatchTests.sampleRecords(count: 30, valueBytes: 30), codec: codec)
        var generator = SplitMix64(seed: UInt64(codec.rawValue) + 7)
        for _ in 0..<1500 {
            var damaged = whole
            for _ in 0..<(1 + Int(generator.next() % 3)) {
                let position =
                    RecordBatchHeader.size
                    + Int(generator.next() % UInt64(whole.readableBytes - RecordBatchHeader.size))
                damaged.setInteger(UInt8(truncatingIfNeeded: generator.next()), at: position)
            }
            fixChecksum(&damaged)
            // Decoding either throws a typed error or yields at most the counted records; it never traps.
            if let records = try? Self.validate(damaged).decodeRecords(maxDecompressedBytes: 1 << 20) {
                #expect(records.count == 30)
            }
        }
    }
}
