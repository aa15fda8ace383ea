import FjordModel
import Foundation
import KafkaWire
import NIOCore
import Testing

@testable import FjordStorage

@Suite struct RollAndRetentionTests {
    @discardableResult
    private func append(_ log: PartitionLog, timestamp: Int64, now: Int64 = 1_000_000, records: Int = 1) throws
        -> LogAppendInfo
    {
        var batch = TestBatch.make(records: records, valueBytes: 100, baseTimestamp: timestamp, timestampStep: 0)
        return try log.appendAsLeader(&batch, leaderEpoch: LeaderEpoch(0), now: TimestampMs(now))
    }

    @Test func rollsBySizeBeforeTheSegmentWouldOverflow() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: TestLog.config(segmentBytes: 1_000))
        var sizes: [Int] = []
        for _ in 0..<20 { sizes.append(try append(log, timestamp: 1_000).sizeBytes) }
        let perSegment = 1_000 / sizes[0]
        #expect(log.segmentBaseOffsets == stride(from: 0, to: 20, by: perSegment).map { Offset(Int64($0)) })
        for name in try TestLog.segmentFiles(dir, suffix: ".log") {
            let size = try FileManager.default.attributesOfItem(atPath: TestLog.path(dir, name))[.size] as! Int
            #expect(size <= 1_000)
        }
    }

    @Test func rollsByTimeUsingBatchTimestamps() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: TestLog.config(segmentMs: 1_000))
        #expect(try !append(log, timestamp: 10_000).rolledSegment)
        #expect(try !append(log, timestamp: 10_900).rolledSegment)
        #expect(try !append(log, timestamp: 11_000).rolledSegment)  // exactly segment.ms later: not yet
        #expect(try append(log, timestamp: 11_001).rolledSegment)
        #expect(log.segmentBaseOffsets == [Offset(0), Offset(3)])
    }

    @Test func rollsByTheInjectedClockWhenBatchesHaveNoTimestamp() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: TestLog.config(segmentMs: 1_000), now: TimestampMs(50_000))
        #expect(try !append(log, timestamp: -1, now: 50_500).rolledSegment)
        #expect(try !append(log, timestamp: -1, now: 51_000).rolledSegment)
        #expect(try append(log, timestamp: -1, now: 51_001).rolledSegment)
        #expect(try !append(log, timestamp: -1, now: 52_001).rolledSegment)  // the new segment was created at 51_001
        #expect(try append(log, timestamp: -1, now: 52_002).rolledSegment)
        #expect(log.segmentBaseOffsets == [Offset(0), Offset(2), Offset(4)])
    }

    @Test func rollsWhenTheIndexIsFull() throws {
        let dir = TemporaryDirectory()
        var config = TestLog.config(indexIntervalBytes: 0)
        config.segmentIndexBytes = 32  // 4 offset entries
        let log = try TestLog.open(dir, config: config)
        for _ in 0..<12 { try append(log, timestamp: 1_000) }
        // Entries go to the 2nd, 3rd, 4th and 5th batch of a segment; with 4 entries the next append rolls.
        #expect(log.segmentBaseOffsets == [Offset(0), Offset(5), Offset(10)])
    }

    @Test func retentionByTimeDeletesExpiredSegmentsBelowTheHighWatermark() throws {
        let dir = TemporaryDirectory()
        var config = TestLog.config(segmentBytes: 520)  // 3 batches of 169 bytes
        config.retentionMs = 10_000
        let log = try TestLog.open(dir, config: config)
        for i in 0..<12 { try append(log, timestamp: 1_000 + Int64(i) * 1_000) }  // 3 batches per segment
        #expect(log.segmentBaseOffsets == [Offset(0), Offset(3), Offset(6), Offset(9)])
        // Nothing goes while the high watermark is at 0.
        #expect(try log.deleteOldSegments(now: TimestampMs(100_000)).deletedSegmentBaseOffsets.isEmpty)
        log.updateHighWatermark(Offset(12))
        // Segment [0,3) has max timestamp 3_000, [3,6) 6_000: at now = 15_500 only the first is older than 10 s.
        let result = try log.deleteOldSegments(now: TimestampMs(15_500))
        #expect(result.deletedSegmentBaseOffsets == [Offset(0)])
        #expect(log.logStartOffset == Offset(3) && result.logStartOffset == Offset(3))
        #expect(try !TestLog.segmentFiles(dir, suffix: ".log").contains("00000000000000000000.log"))
        #expect(try TestLog.segmentFiles(dir, suffix: ".deleted").isEmpty)
        #expect(throws: LogError.self) { try log.read(from: Offset(2), maxBytes: 100) }
        // Everything expired: the active segment is rolled, then deleted; the log is empty at its end offset.
        let all = try log.deleteOldSegments(now: TimestampMs(1_000_000))
        #expect(all.deletedSegmentBaseOffsets == [Offset(3), Offset(6), Offset(9)])
        #expect(log.segmentBaseOffsets == [Offset(12)])
        #expect(log.logStartOffset == Offset(12) && log.logEndOffset == Offset(12))
        #expect(try append(log, timestamp: 2_000_000).firstOffset == Offset(12))
    }

    @Test func retentionBySizeKeepsTheNewestBytes() throws {
        let dir = TemporaryDirectory()
        var config = TestLog.config(segmentBytes: 520)  // 3 batches of 169 bytes
        config.retentionBytes = 1_000
        config.retentionMs = -1
        let log = try TestLog.open(dir, config: config)
        let batchBytes = try append(log, timestamp: 1_000).sizeBytes
        for _ in 1..<14 { try append(log, timestamp: 1_000) }
        log.updateHighWatermark(log.logEndOffset)
        let before = log.sizeBytes
        let result = try log.deleteOldSegments(now: TimestampMs(2_000))
        #expect(!result.deletedSegmentBaseOffsets.isEmpty)
        #expect(result.deletedBytes == before - log.sizeBytes)
        // Kafka's rule: a segment goes while what remains without it is still at least retention.bytes.
        let bases = log.segmentBaseOffsets
        let firstSegmentBytes = Int(bases[1] - bases[0]) * batchBytes
        #expect(log.sizeBytes >= 1_000)
        #expect(log.sizeBytes - firstSegmentBytes < 1_000)
        #expect(log.logStartOffset == bases[0])
        #expect(try TestLog.readAll(log).headers.first?.baseOffset == log.logStartOffset)
    }

    @Test func deleteRecordsMovesTheStartThenRetentionDropsWholeSegments() throws {
        let dir = TemporaryDirectory()
        var config = TestLog.config(segmentBytes: 520)  // 3 batches of 169 bytes
        config.retentionMs = -1
        let log = try TestLog.open(dir, config: config)
        for _ in 0..<9 { try append(log, timestamp: 1_000) }  // segments at 0, 3, 6
        #expect(throws: LogError.self) { try log.advanceLogStartOffset(to: Offset(4)) }  // above the high watermark
        log.updateHighWatermark(Offset(9))
        try log.advanceLogStartOffset(to: Offset(4))
        #expect(log.logStartOffset == Offset(4))
        #expect(log.segmentBaseOffsets.count == 3)
        let result = try log.deleteOldSegments(now: TimestampMs(2_000))
        #expect(result.deletedSegmentBaseOffsets == [Offset(0)])
        #expect(log.logStartOffset == Offset(4))
        #expect(try log.read(from: Offset(4), maxBytes: 1).firstBatchBaseOffset == Offset(4))
    }
}
