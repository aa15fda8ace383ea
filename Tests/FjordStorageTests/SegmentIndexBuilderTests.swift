import FjordModel
import Testing

@testable import FjordStorage

@Suite struct SegmentIndexBuilderTests {
    private func batch(_ base: Int64, records: Int64 = 2, size: Int, ts: Int64) -> BatchSummary {
        BatchSummary(
            baseOffset: Offset(base), lastOffset: Offset(base + records - 1), maxTimestamp: TimestampMs(ts),
            sizeBytes: size)
    }

    @Test func indexesABatchOnceMoreThanTheIntervalWasWritten() {
        var builder = SegmentIndexBuilder(baseOffset: Offset(100), indexIntervalBytes: 250)
        let sizes = [100, 100, 100, 100, 300, 10, 10]
        let timestamps: [Int64] = [5, 3, 9, 9, 4, 20, 1]
        var base: Int64 = 100
        for (size, ts) in zip(sizes, timestamps) {
            builder.append(batch(base, size: size, ts: ts))
            base += 2
        }
        // bytes since the last entry before each batch: 0, 100, 200, 300 → index batch 3 (offset 106..107, pos 300);
        // then 100, 400 → index batch 5 (offsets 110..111, pos 700); then 10.
        #expect(builder.offsetIndex.entries.count == 2)
        #expect(builder.offsetIndex[0] == OffsetIndexEntry(relativeOffset: 7, position: 300))
        #expect(builder.offsetIndex[1] == OffsetIndexEntry(relativeOffset: 11, position: 700))
        // The time index records the running max at those points: 9 first reached by batch 2 (last offset 105),
        // then 20 by batch 5 (last offset 111).
        #expect(builder.timeIndex.entries.count == 2)
        #expect(builder.timeIndex[0] == TimeIndexEntry(timestamp: TimestampMs(9), relativeOffset: 5))
        #expect(builder.timeIndex[1] == TimeIndexEntry(timestamp: TimestampMs(20), relativeOffset: 11))
        #expect(builder.sizeBytes == 720 && builder.nextOffset == Offset(114))
        #expect(builder.maxTimestamp == TimestampMs(20) && builder.offsetOfMaxTimestamp == Offset(111))
        #expect(builder.firstBatchMaxTimestamp == TimestampMs(5))
    }

    @Test func sealingAddsTheFinalMaxTimestamp() {
        var builder = SegmentIndexBuilder(baseOffset: .zero, indexIntervalBytes: 1_000)
        builder.append(batch(0, size: 100, ts: 50))
        builder.append(batch(2, size: 100, ts: 70))
        #expect(builder.timeIndex.entries.count == 0)
        builder.seal()
        #expect(builder.timeIndex.last == TimeIndexEntry(timestamp: TimestampMs(70), relativeOffset: 3))
        builder.seal()
        #expect(builder.timeIndex.entries.count == 1)
    }

    @Test func restoreMatchesAppendingFromScratch() {
        var generator = SplitMix(seed: 7)
        for _ in 0..<50 {
            var full = SegmentIndexBuilder(baseOffset: Offset(1_000), indexIntervalBytes: 300)
            var batches: [BatchSummary] = []
            var base: Int64 = 1_000
            for _ in 0..<(5 + Int(generator.next() % 40)) {
                let records = 1 + Int64(generator.next() % 5)
                let b = batch(
                    base, records: records, size: 61 + Int(generator.next() % 400), ts: Int64(generator.next() % 1_000))
                batches.append(b)
                full.append(b)
                base += records
            }
            // Restore from the entries up to a random point of the offset index plus the batches from there on.
            let keep = Int(generator.next() % UInt64(full.offsetIndex.entries.count + 1))
            var offsets = full.offsetIndex
            offsets.truncate(to: keep)
            let resume = Int(offsets.last?.position ?? 0)
            var position = 0
            var tail: [BatchSummary] = []
            for b in batches {
                if position >= resume { tail.append(b) }
                position += b.sizeBytes
            }
            var times = full.timeIndex
            let bound = keep == 0 ? full.baseOffset : full.baseOffset + Int64(offsets.last!.relativeOffset)
            var keptTimes = 0
            while keptTimes < times.count, full.baseOffset + Int64(times[keptTimes].relativeOffset) <= bound {
                keptTimes += 1
            }
            times.truncate(to: keep == 0 ? 0 : keptTimes)
            let restored = SegmentIndexBuilder.restore(
                baseOffset: full.baseOffset, indexIntervalBytes: 300, offsetIndex: offsets, timeIndex: times,
                firstBatch: batches.first, tail: tail)
            #expect(restored.sizeBytes == full.sizeBytes && restored.nextOffset == full.nextOffset)
            #expect(restored.maxTimestamp == full.maxTimestamp)
            #expect(restored.offsetOfMaxTimestamp == full.offsetOfMaxTimestamp)
            #expect(
                restored.offsetIndex.encoded(0..<restored.offsetIndex.count)
                    == full.offsetIndex.encoded(0..<full.offsetIndex.count))
            #expect(
                restored.timeIndex.encoded(0..<restored.timeIndex.count)
                    == full.timeIndex.encoded(0..<full.timeIndex.count))
        }
    }

    @Test func growableIndexNeverOverwritesPublishedSlots() {
        var index = GrowableIndex<OffsetIndexEntry>()
        for i in 0..<100 { index.append(OffsetIndexEntry(relativeOffset: UInt32(i), position: UInt32(i * 10))) }
        let snapshot = index.entries
        index.truncate(to: 10)
        index.append(OffsetIndexEntry(relativeOffset: 999, position: 999))
        #expect(snapshot.count == 100)
        #expect(snapshot[10] == OffsetIndexEntry(relativeOffset: 10, position: 100))
        #expect(index[10] == OffsetIndexEntry(relativeOffset: 999, position: 999))
        #expect(snapshot.store !== index.store)
    }
}
