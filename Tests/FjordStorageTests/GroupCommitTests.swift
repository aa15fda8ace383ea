import FjordModel
import KafkaWire
import NIOCore
import Synchronization
import Testing

@testable import FjordStorage

/// `flush.messages=1`: data syncs, the durable offset, and group commit (``GroupCommitFlusher``).
@Suite struct GroupCommitTests {
    static func syncConfig() -> LogConfig {
        var config = TestLog.config()
        config.flushMessages = 1
        return config
    }

    @Test func syncDataMakesTheLogDurableWithoutMovingTheRecoveryPoint() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: Self.syncConfig())
        try TestLog.appendBatches(log, count: 3, records: 4)
        #expect(log.durableOffset == .zero)
        #expect(try log.syncData() == Offset(12))
        #expect(log.durableOffset == Offset(12))
        #expect(log.recoveryPoint == .zero)
        // Nothing new: a second sync changes nothing.
        #expect(try log.syncData() == Offset(12))
        // A full flush moves the recovery point, which also counts as durable.
        try TestLog.appendBatches(log, count: 1, records: 2)
        try log.flush()
        #expect(log.recoveryPoint == Offset(14) && log.durableOffset == Offset(14))
    }

    @Test func flushMessagesOneAsksForNoPeriodicFlushButOtherValuesDo() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: Self.syncConfig())
        #expect(log.config.syncsBeforeAcknowledge)
        let infos = try TestLog.appendBatches(log, count: 2)
        #expect(infos.allSatisfy { !$0.flushNeeded })
        #expect(log.dueFlushOffset() == nil)

        let other = TemporaryDirectory()
        var config = TestLog.config()
        config.flushMessages = 4
        let periodic = try TestLog.open(other, config: config)
        #expect(!periodic.config.syncsBeforeAcknowledge)
        let flushes = try TestLog.appendBatches(periodic, count: 2, records: 3).map(\.flushNeeded)
        #expect(flushes == [false, true])
    }

    @Test func truncationLowersTheDurableOffset() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: Self.syncConfig())
        try TestLog.appendBatches(log, count: 4, records: 2)
        try log.syncData()
        #expect(log.durableOffset == Offset(8))
        try log.truncate(to: Offset(4))
        #expect(log.logEndOffset == Offset(4))
        #expect(log.durableOffset == Offset(4))
        // Appends after the truncation are not durable until synced again.
        try TestLog.appendBatches(log, count: 2, records: 2)
        #expect(log.durableOffset == Offset(4))
        #expect(try log.syncData() == Offset(8))
    }

    @Test func waitersRegisteredTogetherShareOneSync() async throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: Self.syncConfig())
        let infos = try TestLog.appendBatches(log, count: 10, records: 1)
        let flusher = GroupCommitFlusher(threads: 1)
        let targets = infos.map { (log: log, offset: $0.lastOffset + 1) }
        let failed = await PartitionLog.waitUntilDurable(targets, flusher: flusher)
        #expect(failed.isEmpty)
        #expect(log.durableOffset == Offset(10))
        // All ten appends were in the page cache before the first sync started, so it covered them all; a waiter
        // that registered while it ran needs at most one more (empty) round.
        #expect(flusher.syncsCompleted >= 1 && flusher.syncsCompleted <= 2)
        // Already durable: completes at once, without a sync.
        let before = flusher.syncsCompleted
        #expect(await PartitionLog.waitUntilDurable([(log, Offset(3))], flusher: flusher).isEmpty)
        #expect(flusher.syncsCompleted == before)
    }

    @Test func concurrentAppendersAreAcknowledgedOnlyOnceDurable() async throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: Self.syncConfig())
        let flusher = GroupCommitFlusher(threads: 2)
        let appenders = 4
        let appendsEach = 50
        let violations = ViolationCount()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<appenders {
                group.addTask {
                    for i in 0..<appendsEach {
                        var batch = TestBatch.make(records: 2, valueBytes: 64, fill: UInt8(task * 50 + i & 0xFF))
                        let info = try log.appendAsLeader(&batch, leaderEpoch: LeaderEpoch(0))
                        let end = info.lastOffset + 1
                        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                            log.whenDurable(upTo: end, flusher: flusher) { result in
                                // The acknowledgement may only come once the sync covering it has finished.
                                if case .failure = result { violations.add() }
                                if log.durableOffset < end { violations.add() }
                                continuation.resume()
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(violations.count == 0)
        #expect(log.logEndOffset == Offset(Int64(appenders * appendsEach * 2)))
        #expect(log.durableOffset == log.logEndOffset)
        #expect(flusher.syncsCompleted <= appenders * appendsEach)
    }

    @Test func waiterForOffsetsTheLogNoLongerHasFails() async throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: Self.syncConfig())
        try TestLog.appendBatches(log, count: 2, records: 2)
        // As if the log had been truncated below the waiter's offsets after its append.
        let failed = await PartitionLog.waitUntilDurable([(log, Offset(10))], flusher: GroupCommitFlusher(threads: 1))
        #expect(failed[TestLog.partition]?.code == .storage)
        #expect(log.durableOffset == Offset(4))
    }

    @Test func syncedBatchesAreRecoveredAfterAnUncleanStop() throws {
        let dir = TemporaryDirectory()
        do {
            let log = try TestLog.open(dir, config: Self.syncConfig())
            try TestLog.appendBatches(log, count: 5, records: 3)
            try log.syncData()
            // Dropped without flush or close, as a crash would leave it (recovery point still 0).
        }
        let reopened = try TestLog.open(dir, config: Self.syncConfig(), recoveryPoint: .zero)
        #expect(reopened.logEndOffset == Offset(15))
        #expect(try TestLog.readAll(reopened).headers.count == 5)
    }

    @Test func syncCoversEverySegmentPastTheDurableOffset() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: TestLog.config(segmentBytes: 2_000, indexIntervalBytes: 300))
        try TestLog.appendBatches(log, count: 30, records: 2)
        #expect(log.segmentBaseOffsets.count > 2)
        #expect(try log.syncData() == log.logEndOffset)
        #expect(log.durableOffset == log.logEndOffset)
    }
}

/// Counts broken promises from flusher threads.
private final class ViolationCount: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}
