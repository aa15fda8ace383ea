import FjordModel
import Testing

@testable import FjordStorage

@Suite struct LeaderEpochCacheTests {
    private func entry(_ epoch: Int32, _ start: Int64) -> LeaderEpochCache.Entry {
        .init(epoch: LeaderEpoch(epoch), startOffset: Offset(start))
    }

    private func cache(_ pairs: [(Int32, Int64)]) -> LeaderEpochCache {
        LeaderEpochCache(entries: pairs.map { entry($0.0, $0.1) })
    }

    @Test func assignAppendsNewEpochsAndIgnoresRepeats() {
        var c = LeaderEpochCache()
        let changed1 = c.assign(epoch: LeaderEpoch(1), startOffset: Offset(0))
        #expect(changed1)
        let changed2 = c.assign(epoch: LeaderEpoch(1), startOffset: Offset(5))  // same epoch, later offset
        #expect(!changed2)
        let changed3 = c.assign(epoch: LeaderEpoch(3), startOffset: Offset(10))
        #expect(changed3)
        let changed4 = c.assign(epoch: LeaderEpoch(-1), startOffset: Offset(20))
        #expect(!changed4)
        #expect(c.entries == [entry(1, 0), entry(3, 10)])
        #expect(c.latestEpoch == LeaderEpoch(3))
    }

    @Test func assignRemovesConflictingEntries() {
        var c = cache([(1, 0), (2, 10), (4, 20)])
        // An epoch at a start offset below later entries (an unclean history) replaces them.
        let changed5 = c.assign(epoch: LeaderEpoch(3), startOffset: Offset(15))
        #expect(changed5)
        #expect(c.entries == [entry(1, 0), entry(2, 10), entry(3, 15)])
        let changed6 = c.assign(epoch: LeaderEpoch(5), startOffset: Offset(12))
        #expect(changed6)
        #expect(c.entries == [entry(1, 0), entry(2, 10), entry(5, 12)])
        // The same epoch at an earlier offset moves its start down.
        let changed7 = c.assign(epoch: LeaderEpoch(5), startOffset: Offset(11))
        #expect(changed7)
        #expect(c.entries == [entry(1, 0), entry(2, 10), entry(5, 11)])
    }

    @Test func endOffsetFollowsKIP279() {
        let c = cache([(1, 0), (2, 10), (5, 30)])
        let end = Offset(45)
        #expect(c.endOffset(for: LeaderEpoch(5), logEndOffset: end) == (LeaderEpoch(5), Offset(45)))
        #expect(c.endOffset(for: LeaderEpoch(1), logEndOffset: end) == (LeaderEpoch(1), Offset(10)))
        #expect(c.endOffset(for: LeaderEpoch(2), logEndOffset: end) == (LeaderEpoch(2), Offset(30)))
        // An epoch that never wrote here: the highest epoch below it, ending where the next one starts.
        #expect(c.endOffset(for: LeaderEpoch(3), logEndOffset: end) == (LeaderEpoch(2), Offset(30)))
        #expect(c.endOffset(for: LeaderEpoch(4), logEndOffset: end) == (LeaderEpoch(2), Offset(30)))
        // Below every epoch: the first start offset, with the requested epoch.
        #expect(cache([(3, 7)]).endOffset(for: LeaderEpoch(1), logEndOffset: end) == (LeaderEpoch(1), Offset(7)))
        // Unknown: above the latest, undefined, or nothing cached.
        #expect(c.endOffset(for: LeaderEpoch(6), logEndOffset: end) == (LeaderEpoch.none, Offset.none))
        #expect(c.endOffset(for: LeaderEpoch.none, logEndOffset: end) == (LeaderEpoch.none, Offset.none))
        #expect(LeaderEpochCache().endOffset(for: LeaderEpoch(0), logEndOffset: end) == (LeaderEpoch.none, Offset.none))
        #expect(c.epoch(forOffset: Offset(29)) == LeaderEpoch(2))
        #expect(c.epoch(forOffset: Offset(30)) == LeaderEpoch(5))
    }

    @Test func truncateFromEnd() {
        var c = cache([(1, 0), (2, 10), (5, 30)])
        let changed8 = c.truncateFromEnd(endOffset: Offset(31))
        #expect(!changed8)
        let changed9 = c.truncateFromEnd(endOffset: Offset(30))
        #expect(changed9)
        #expect(c.entries == [entry(1, 0), entry(2, 10)])
        let changed10 = c.truncateFromEnd(endOffset: Offset(0))
        #expect(changed10)
        #expect(c.isEmpty)
    }

    @Test func truncateFromStart() {
        var c = cache([(1, 0), (2, 10), (5, 30)])
        let changed11 = c.truncateFromStart(startOffset: Offset(0))
        #expect(!changed11)
        let changed12 = c.truncateFromStart(startOffset: Offset(15))
        #expect(changed12)
        #expect(c.entries == [entry(2, 15), entry(5, 30)])
        let changed13 = c.truncateFromStart(startOffset: Offset(30))
        #expect(changed13)
        #expect(c.entries == [entry(5, 30)])
        let changed14 = c.truncateFromStart(startOffset: Offset(40))
        #expect(changed14)
        #expect(c.entries == [entry(5, 40)])
    }

    @Test func persistsThroughTheLog() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir)
        try TestLog.appendBatches(log, count: 2, records: 2, epoch: 3)
        try TestLog.appendBatches(log, count: 2, records: 2, epoch: 6)
        #expect(log.endOffset(for: LeaderEpoch(3)) == (LeaderEpoch(3), Offset(4)))
        #expect(log.endOffset(for: LeaderEpoch(6)) == (LeaderEpoch(6), Offset(8)))
        try log.flush()
        let file = LeaderEpochCheckpointFile(path: TestLog.path(dir, "leader-epoch-checkpoint"))
        #expect(try file.read() == [entry(3, 0), entry(6, 4)])
        try log.close()
        // Reopen without scanning anything: the cache comes from the checkpoint.
        let reopened = try TestLog.open(dir, recoveryPoint: Offset(8), clean: true)
        #expect(reopened.leaderEpochCache.entries == [entry(3, 0), entry(6, 4)])
    }
}
