import FjordModel
import KafkaWire
import NIOCore
import Testing

@Suite struct RecordBatchSplitterTests {
    /// Three batches of 3, 4 and 5 records at offsets 0, 3 and 7, with different codecs.
    static let batches: [ByteBuffer] = [(3, CompressionCodec.none), (4, .gzip), (5, .zstd)].enumerated().map {
        index, spec in
        try! RecordBatchTests.build(RecordBatchTests.sampleRecords(count: spec.0), codec: spec.1) {
            $0.baseOffset = Offset(Int64([0, 3, 7][index]))
        }
    }

    static var concatenated: ByteBuffer {
        var all = ByteBuffer()
        for batch in batches { all.writeImmutableBuffer(batch) }
        return all
    }

    @Test func splitsConsecutiveBatches() throws {
        for mode in [RecordBatchSplitter.TrailingPartialBatch.reject, .ignore] {
            let split = try RecordBatchSplitter.split(Self.concatenated, trailingPartialBatch: mode)
            #expect(split.map(\.header.baseOffset) == [Offset(0), Offset(3), Offset(7)])
            #expect(split.map(\.bytes) == Self.batches)
            let offsets = try split.flatMap { try $0.decodeRecords() }.map(\.offset.rawValue)
            #expect(offsets == Array(0..<12))
        }
    }

    @Test func emptyBufferHoldsNoBatches() throws {
        #expect(try RecordBatchSplitter.split(ByteBuffer(), trailingPartialBatch: .reject).isEmpty)
    }

    @Test func trailingPartialBatchIsIgnoredForFetchesAndRejectedForProduce() throws {
        let whole = Self.concatenated
        let lastStart = Self.batches[0].readableBytes + Self.batches[1].readableBytes
        for cut in 1..<Self.batches[2].readableBytes {
            let truncated = whole.getSlice(at: 0, length: lastStart + cut)!

            var fetch = RecordBatchSplitter(truncated, trailingPartialBatch: .ignore)
            var count = 0
            while try fetch.next() != nil { count += 1 }
            #expect(count == 2)
            #expect(fetch.ignoredTrailingBytes == cut)

            var produce = RecordBatchSplitter(truncated, trailingPartialBatch: .reject)
            _ = try produce.next()
            _ = try produce.next()
            let error = #expect(throws: KafkaWireError.self) { try produce.next() }
            #expect(error?.code == .truncated, "cut after \(cut) bytes of the last batch")
        }
    }

    @Test func corruptBatchStopsTheWalkEvenWhenIgnoringPartialBatches() throws {
        var damaged = Self.concatenated
        let secondCRCRegion = Self.batches[0].readableBytes + RecordBatchHeader.size + 2
        damaged.setInteger(damaged.getInteger(at: secondCRCRegion, as: UInt8.self)! ^ 0xFF, at: secondCRCRegion)
        var splitter = RecordBatchSplitter(damaged, trailingPartialBatch: .ignore)
        #expect(try splitter.next()?.header.baseOffset == Offset(0))
        let error = #expect(throws: KafkaWireError.self) { try splitter.next() }
        #expect(error?.code == .corruptChecksum)
    }

    @Test func impossibleLengthInATailIsCorruptionNotAPartialBatch() {
        var tail = Self.batches[0].getSlice(at: 0, length: 70)!
        tail.setInteger(Int32(10), at: RecordBatchHeader.Position.batchLength)
        let error = #expect(throws: KafkaWireError.self) {
            try RecordBatchSplitter.split(tail, trailingPartialBatch: .ignore)
        }
        #expect(error?.code == .lengthOutOfRange)
    }

    @Test func batchesLargerThanTheLimitAreRejected() {
        let error = #expect(throws: KafkaWireError.self) {
            try RecordBatchSplitter.split(Self.concatenated, trailingPartialBatch: .reject, maxBatchSizeBytes: 100)
        }
        #expect(error?.code == .lengthOutOfRange)
    }
}
