import FjordModel
import KafkaWire
import NIOCore
import Testing

@Suite struct RecordBatchTests {
    static func sampleRecords(count: Int, valueBytes: Int = 100) -> [Record] {
        (0..<count).map { i in
            let timestamp = TimestampMs(1_700_000_000_000 + Int64(i % 7) * 13 - 20)
            let key: ByteBuffer? = i % 5 == 0 ? nil : ByteBuffer(string: "key-\(i)")
            let value: ByteBuffer? =
                i % 11 == 3 ? nil : ByteBuffer(repeating: UInt8(truncatingIfNeeded: i), count: valueBytes)
            var headers: [RecordHeader] = []
            if i % 3 != 0 {
                headers.append(RecordHeader(key: "h\(i)", value: ByteBuffer(string: "v\(i)")))
                headers.append(RecordHeader(key: "n", value: nil))
            }
            return Record(offset: Offset(Int64(i)), timestamp: timestamp, key: key, value: value, headers: headers)
        }
    }

    static func build(
        _ records: [Record], codec: CompressionCodec = .none, configure: (inout RecordBatchBuilder) -> Void = { _ in }
    )
        throws -> ByteBuffer
    {
        var builder = RecordBatchBuilder(compression: codec)
        configure(&builder)
        for record in records {
            builder.append(key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp)
        }
        return try builder.build()
    }

    @Test(arguments: CompressionCodec.allCases)
    func builderToDecoderRoundTrip(_ codec: CompressionCodec) throws {
        let records = Self.sampleRecords(count: 200)
        let bytes = try Self.build(records, codec: codec) { builder in
            builder.baseOffset = Offset(1000)
            builder.partitionLeaderEpoch = LeaderEpoch(7)
            builder.producerId = ProducerID(99)
            builder.producerEpoch = ProducerEpoch(2)
            builder.baseSequence = 500
            builder.isTransactional = true
        }
        let batch = try RecordBatch(validating: bytes)
        let header = batch.header
        #expect(header.baseOffset == Offset(1000))
        #expect(header.partitionLeaderEpoch == LeaderEpoch(7))
        #expect(header.producerId == ProducerID(99))
        #expect(header.producerEpoch == ProducerEpoch(2))
        #expect(header.baseSequence == 500)
        #expect(header.lastSequence == 699)
        #expect(header.attributes.isTransactional)
        #expect(header.attributes.compression == codec)
        #expect(header.recordCount == 200)
        #expect(header.lastOffsetDelta == 199)
        #expect(header.baseTimestamp == records[0].timestamp)
        #expect(header.maxTimestamp == records.map(\.timestamp).max())
        #expect(header.totalSize == bytes.readableBytes)
        let decoded = try batch.decodeRecords()
        let expected = records.map { record -> Record in
            var shifted = record
            shifted.offset = record.offset + 1000
            return shifted
        }
        #expect(decoded == expected)
    }

    @Test func builderIsReusableAfterBuild() throws {
        var builder = RecordBatchBuilder(compression: .lz4)
        builder.append(key: ByteBuffer(bytes: [1]), value: ByteBuffer(bytes: [2]), timestamp: TimestampMs(5))
        let first = try builder.build()
        #expect(builder.recordCount == 0)
        builder.append(key: ByteBuffer(bytes: [3]), value: ByteBuffer(bytes: [4]), timestamp: TimestampMs(9))
        builder.append(key: nil, value: nil, timestamp: TimestampMs(8))
        let second = try RecordBatch(validating: try builder.build())
        #expect(try RecordBatch(validating: first).decodeRecords().count == 1)
        #expect(second.header.baseTimestamp == TimestampMs(9))
        #expect(second.header.maxTimestamp == TimestampMs(9))
        #expect(try second.decodeRecords().map(\.timestamp) == [TimestampMs(9), TimestampMs(8)])
    }

    @Test func emptyBuilderThrows() {
        var builder = RecordBatchBuilder()
        let error = #expect(throws: KafkaWireError.self) { try builder.build() }
        #expect(error?.code == .invalidValue)
    }

    @Test func recordSizeMatchesWhatIsWritten() throws {
        var builder = RecordBatchBuilder()
        let key = ByteBuffer(string: "k")
        let value = ByteBuffer(repeating: 1, count: 300)
        let headers = [RecordHeader(key: "ключ", value: nil)]
        builder.append(key: key, value: value, headers: headers, timestamp: TimestampMs(0))
        let size = RecordBatchBuilder.recordSizeBytes(
            key: key, value: value, headers: headers, timestampDelta: 0, offsetDelta: 0)
        #expect(builder.uncompressedSizeBytes == RecordBatchHeader.size + size)
        #expect(try builder.build().readableBytes == RecordBatchHeader.size + size)
    }

    @Test func logAppendTimeBatchesUseTheMaxTimestamp() throws {
        var bytes = try Self.build(Self.sampleRecords(count: 3))
        let attributes = bytes.getInteger(at: RecordBatchHeader.Position.attributes, as: Int16.self)!
        bytes.setInteger(attributes | 0x8, at: RecordBatchHeader.Position.attributes)
        bytes.setInteger(Int64(42), at: RecordBatchHeader.Position.maxTimestamp)
        fixChecksum(&bytes)
        let records = try RecordBatch(validating: bytes).decodeRecords()
        #expect(records.map(\.timestamp) == [TimestampMs(42), TimestampMs(42), TimestampMs(42)])
    }

    @Test func patchingBaseOffsetAndLeaderEpochKeepsTheChecksumValid() throws {
        for codec in CompressionCodec.allCases {
            var bytes = try Self.build(Self.sampleRecords(count: 10), codec: codec)
            RecordBatchHeader.patchBaseOffset(&bytes, at: 0, to: Offset(123_456_789))
            RecordBatchHeader.patchLeaderEpoch(&bytes, at: 0, to: LeaderEpoch(31))
            let batch = try RecordBatch(validating: bytes)
            #expect(batch.header.baseOffset == Offset(123_456_789))
            #expect(batch.header.partitionLeaderEpoch == LeaderEpoch(31))
            #expect(try batch.decodeRecords().map(\.offset.rawValue) == Array(123_456_789..<123_456_799))
        }
    }

    @Test func iteratorDecodesLazily() throws {
        let batch = try RecordBatch(validating: try Self.build(Self.sampleRecords(count: 5)))
        var iterator = try batch.records()
        #expect(iterator.recordCount == 5)
        #expect(try iterator.next()?.offset == Offset(0))
        #expect(iterator.decodedCount == 1)
        var rest = 0
        while try iterator.next() != nil { rest += 1 }
        #expect(rest == 4)
        #expect(try iterator.next() == nil)
    }

    @Test func decodedKeysAndValuesShareTheBatchStorage() throws {
        let bytes = try Self.build(Self.sampleRecords(count: 2))
        let record = try RecordBatch(validating: bytes).decodeRecords()[1]
        let valueAddress = record.value!.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let batchRange = bytes.withUnsafeReadableBytes { raw in
            UInt(bitPattern: raw.baseAddress)..<(UInt(bitPattern: raw.baseAddress) + UInt(raw.count))
        }
        #expect(batchRange.contains(valueAddress))
    }
}
