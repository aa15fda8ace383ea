import FjordModel
import KafkaWire
import NIOCore
import Testing

/// Record batches written by real clients (kafka-python 2.0.2 and 3.x with its own record builder, confluent-kafka /
/// librdkafka through a capture server), one per codec, must validate and decode to exactly the records sent.
@Suite struct GoldenVectorTests {
    @Test func manifestCoversEveryClientAndCodec() {
        let pairs = Set(GoldenVectors.manifest.map { "\($0.client) \($0.clientVersion.prefix(1)) \($0.codec)" })
        for client in ["kafka-python 2", "kafka-python 3", "confluent-kafka 2"] {
            for codec in CompressionCodec.allCases {
                #expect(pairs.contains("\(client) \(codec)"), "no golden vector for \(client) \(codec)")
            }
        }
    }

    @Test(arguments: GoldenVectors.manifest)
    func decodesToTheRecordsSent(_ entry: GoldenVectors.Entry) throws {
        let bytes = GoldenVectors.bytes(entry.file)
        let batches = try RecordBatchSplitter.split(bytes, trailingPartialBatch: .reject)
        #expect(batches.count == entry.batchCount)
        var decoded: [Record] = []
        for batch in batches {
            #expect(batch.header.attributes.compression == entry.compressionCodec)
            #expect(batch.header.producerId == ProducerID(entry.producerId))
            #expect(batch.header.producerEpoch == ProducerEpoch(entry.producerEpoch))
            #expect(batch.header.lastOffsetDelta == batch.header.recordCount - 1)
            let records = try batch.decodeRecords()
            #expect(records.count == Int(batch.header.recordCount))
            #expect(records.map(\.timestamp).max() == batch.header.maxTimestamp)
            #expect(records.first?.timestamp == batch.header.baseTimestamp)
            decoded += records
        }
        #expect(batches.first?.header.baseSequence == entry.baseSequence)
        let expected = GoldenVectors.expectedRecords(entry.records)
        #expect(decoded.count == expected.count)
        for (got, want) in zip(decoded, expected) {
            #expect(got == want, "record at offset \(want.offset) of \(entry.file)")
        }
    }

    /// All golden batches back to back, as a fetch response would carry them, cut inside the last one.
    @Test func fetchResponseOfGoldenBatchesEndingInAPartialBatch() throws {
        var response = ByteBuffer()
        for entry in GoldenVectors.manifest {
            response.writeImmutableBuffer(GoldenVectors.bytes(entry.file))
        }
        let cut = response.getSlice(at: 0, length: response.readableBytes - 100)!
        var splitter = RecordBatchSplitter(cut, trailingPartialBatch: .ignore)
        var records = 0
        while let batch = try splitter.next() {
            records += try batch.decodeRecords().count
        }
        let lastBatchBytes = GoldenVectors.bytes(GoldenVectors.manifest.last!.file).readableBytes
        #expect(splitter.ignoredTrailingBytes == lastBatchBytes - 100)
        #expect(records == (GoldenVectors.manifest.count - 1) * GoldenVectors.expectedRecords("records.json").count)
    }

    /// The Swift builder writes, byte for byte, the uncompressed batch both kafka-python and librdkafka wrote.
    @Test func builderMatchesRealClientsByteForByte() throws {
        for file in ["kafka-python-2.0.2-none.bin", "confluent-kafka-2.16.1-none.bin"] {
            let captured = GoldenVectors.bytes(file)
            let header = try RecordBatchHeader.validate(captured, at: 0)
            var builder = RecordBatchBuilder(partitionLeaderEpoch: header.partitionLeaderEpoch)
            for record in GoldenVectors.expectedRecords("records.json") {
                builder.append(
                    key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp)
            }
            let built = try builder.build()
            #expect(built == captured, "Swift batch differs from \(file)")
        }
    }

    /// Compressed batches re-decoded after the Swift builder re-encodes their records with the same codec.
    @Test(arguments: CompressionCodec.allCases)
    func builderRoundTripsTheGoldenRecords(_ codec: CompressionCodec) throws {
        let expected = GoldenVectors.expectedRecords("records.json")
        var builder = RecordBatchBuilder(compression: codec)
        for record in expected {
            builder.append(key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp)
        }
        let batch = try RecordBatch(validating: try builder.build())
        #expect(batch.header.attributes.compression == codec)
        #expect(try batch.decodeRecords() == expected)
    }
}
