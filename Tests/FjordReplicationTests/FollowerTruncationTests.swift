import FjordModel
import FjordStorage
import Testing

@testable import FjordReplication

@Suite struct FollowerTruncationTests {
    func offset(_ diverging: (Int32, Int64), cache: [(Int32, Int64)], leo: Int64) -> Offset? {
        let epochs = LeaderEpochCache(entries: cache.map { .init(epoch: LeaderEpoch($0.0), startOffset: Offset($0.1)) })
        return FollowerTruncation.offset(
            diverging: DivergingEpoch(epoch: LeaderEpoch(diverging.0), endOffset: Offset(diverging.1)),
            logEndOffset: Offset(leo), localEndOffset: { epochs.endOffset(for: $0, logEndOffset: Offset(leo)) })
    }

    @Test func sameEpochTruncatesToTheSmallerEnd() {
        // Old leader wrote epoch 1 up to 120; the new leader's epoch 1 ends at 100.
        #expect(offset((1, 100), cache: [(0, 0), (1, 50)], leo: 120) == Offset(100))
        // The follower's own epoch 1 ends earlier (epoch 2 starts at 80): truncate to 80.
        #expect(offset((1, 100), cache: [(1, 50), (2, 80)], leo: 120) == Offset(80))
    }

    @Test func unknownEpochTruncatesToTheEndOfTheFollowersLowerEpoch() {
        // Leader says epoch 3 ends at 100; the follower never had epoch 3, its epoch 2 ends at 90 (epoch 4 at 90).
        #expect(offset((3, 100), cache: [(2, 40), (4, 90)], leo: 150) == Offset(90))
    }

    @Test func noLocalEpochAtOrBelowTruncatesToTheLeadersEnd() {
        #expect(offset((1, 30), cache: [(5, 40)], leo: 60) == Offset(30))
        #expect(offset((1, 30), cache: [], leo: 60) == Offset(30))
        #expect(offset((1, 90), cache: [], leo: 60) == Offset(60))
    }

    @Test func unusableAnswerIsNil() {
        #expect(offset((-1, -1), cache: [(1, 0)], leo: 10) == nil)
        #expect(offset((-1, 5), cache: [(1, 0)], leo: 10) == Offset(5))
    }
}
