import FjordModel
import Foundation
import KafkaWire
import NIOCore
import Testing

@testable import FjordStorage

@Suite struct TruncationTests {
    /// 30 batches of 2 records (offsets 0..<60), small segments and a dense index; epochs 1, 2, 3 by tens of batches.
    private func makeLog(_ dir: TemporaryDirectory) throws -> (PartitionLog, [ByteBuffer]) {
        let log = try TestLog.open(dir, config: TestLog.config(segmentBytes: 1_500, indexIntervalBytes: 200))
        var batches: [ByteBuffer] = []
        for i in 0..<30 {
            var batch = TestBatch.make(records: 2, valueBytes: 80, baseTimestamp: 1_000 + Int64(i) * 10, fill: UInt8(i))
            try log.appendAsLeader(&batch, leaderEpoch: LeaderEpoch(Int32(1 + i / 10)))
            batches.append(batch)
        }
        return (log, batches)
    }

    private func expectIntact(_ log: PartitionLog, _ batches: [ByteBuffer], count: Int) throws {
        var expected = ByteBuffer()
        for var batch in batches.prefix(count) { expected.writeBuffer(&batch) }
        #expect(try TestLog.readAll(log).bytes == expected)
        #expect(log.logEndOffset == Offset(Int64(count * 2)))
        for offset in 0..<(count * 2) {
            let result = try log.read(from: Offset(Int64(offset)), maxBytes: 1)
            #expect(result.firstBatchBaseOffset == Offset(Int64(offset / 2 * 2)))
        }
        for i in 0..<count {  // timestamps are 1000 + 10 * i
            #expect(try log.offsetForTimestamp(TimestampMs(1_000 + Int64(i) * 10 - 5))?.offset == Offset(Int64(2 * i)))
        }
        #expect(try log.offsetForTimestamp(TimestampMs(1_000 + Int64(count) * 10)) == nil)
    }

    @Test func truncateInsideTheActiveSegment() throws {
        let dir = TemporaryDirectory()
        let (log, batches) = try makeLog(dir)
        let activeBase = log.activeSegmentBaseOffset
        let target = activeBase + 4
        #expect(try log.truncate(to: target))
        #expect(log.activeSegmentBaseOffset == activeBase)
        try expectIntact(log, batches, count: Int(target.rawValue) / 2)
        #expect(try !log.truncate(to: Offset(1_000)))
    }

    @Test func truncateAcrossSegmentsAtEveryOffset() throws {
        for target in stride(from: 0, through: 60, by: 3) {
            let dir = TemporaryDirectory()
            let (log, batches) = try makeLog(dir)
            log.updateHighWatermark(Offset(60))
            try log.truncate(to: Offset(Int64(target)))
            // A target inside a batch removes that batch whole.
            let kept = target / 2
            try expectIntact(log, batches, count: kept)
            #expect(log.highWatermark == Offset(Int64(kept * 2)))
            #expect(log.segmentBaseOffsets.allSatisfy { $0 <= Offset(Int64(kept * 2)) })
            #expect(try TestLog.segmentFiles(dir, suffix: ".log").count == log.segmentBaseOffsets.count)
            // Epochs: batch i has epoch 1 + i / 10; entries starting at or after the new end are gone.
            let expectedEpochs = (0..<3).filter { $0 * 10 < kept }.map {
                LeaderEpochCache.Entry(epoch: LeaderEpoch(Int32($0 + 1)), startOffset: Offset(Int64($0 * 20)))
            }
            #expect(log.leaderEpochCache.entries == expectedEpochs)
            // Appends continue at the new end, and the log reopens to the same state.
            var next = TestBatch.make(
                records: 2, valueBytes: 80, baseTimestamp: 1_000 + Int64(kept) * 10, fill: UInt8(kept))
            #expect(try log.appendAsLeader(&next, leaderEpoch: LeaderEpoch(9)).firstOffset == Offset(Int64(kept * 2)))
            try expectIntact(log, Array(batches.prefix(kept)) + [next], count: kept + 1)
            try log.flush()
            try log.close()
            let reopened = try TestLog.open(dir, recoveryPoint: log.recoveryPoint)
            try expectIntact(reopened, Array(batches.prefix(kept)) + [next], count: kept + 1)
            #expect(reopened.leaderEpochCache == log.leaderEpochCache)
        }
    }

    @Test func truncateBelowTheFirstSegmentStartsOver() throws {
        let dir = TemporaryDirectory()
        let (log, _) = try makeLog(dir)
        log.updateHighWatermark(Offset(60))
        try log.deleteOldSegments(now: TimestampMs(Int64.max / 2))
        try log.truncate(to: Offset(3))
        #expect(log.logStartOffset == Offset(3) && log.logEndOffset == Offset(3))
        #expect(log.segmentBaseOffsets == [Offset(3)])
    }

    @Test func truncateFullyAndStartAt() throws {
        let dir = TemporaryDirectory()
        let (log, _) = try makeLog(dir)
        try log.truncateFullyAndStartAt(Offset(500))
        #expect(log.logStartOffset == Offset(500) && log.logEndOffset == Offset(500))
        #expect(log.recoveryPoint == Offset(500) && log.highWatermark == Offset(500))
        #expect(log.leaderEpochCache.isEmpty)
        #expect(try TestLog.segmentFiles(dir, suffix: ".log") == ["00000000000000000500.log"])
        var batch = TestBatch.make(baseOffset: 500, records: 2, leaderEpoch: 4)
        #expect(try log.appendAsFollower(batch).firstOffset == Offset(500))
        batch = TestBatch.make(records: 1)
        #expect(try log.appendAsLeader(&batch, leaderEpoch: LeaderEpoch(4)).firstOffset == Offset(502))
    }
}
