import FjordModel
import KafkaProtocol
import Testing

@testable import FjordReplication

/// Event-by-event tests of the leader's replica state: HW, ISR shrink and expand, pending changes, AlterPartition
/// answers. Broker 1 leads; time is an input.
@Suite struct PartitionReplicaStateTests {
    let b1 = BrokerID(1)
    let b2 = BrokerID(2)
    let b3 = BrokerID(3)
    let lagMs: Int64 = 10_000

    func leader(
        isr: [Int32] = [1, 2, 3], replicas: [Int32] = [1, 2, 3], leo: Int64 = 100, hw: Int64 = 100, nowMs: Int64 = 0,
        minIsr: Int = 1, epoch: Int32 = 5, partitionEpoch: Int32 = 7
    ) -> PartitionReplicaState {
        PartitionReplicaState(
            becomingLeader: .init(
                leaderEpoch: LeaderEpoch(epoch), partitionEpoch: partitionEpoch, isr: isr.map { BrokerID($0) },
                replicas: replicas.map { BrokerID($0) }),
            localBrokerID: b1, leaderLogEndOffset: Offset(leo), highWatermark: Offset(hw), nowMs: nowMs,
            replicaLagTimeMaxMs: lagMs, minInsyncReplicas: minIsr)
    }

    func fetch(
        _ state: inout PartitionReplicaState, _ id: BrokerID, _ offset: Int64, at nowMs: Int64, brokerEpoch: Int64 = 1
    ) -> PartitionReplicaState.FetchUpdate {
        state.followerFetched(
            id, fetchOffset: Offset(offset), logStartOffset: .zero, brokerEpoch: BrokerEpoch(brokerEpoch),
            nowMs: nowMs)
    }

    @Test func newLeaderStartsItsEpochAtTheLogEndAndWaitsForIsrFollowersBeforeAdvancingTheHighWatermark() {
        var state = leader(leo: 120, hw: 100)
        #expect(state.leaderEpochStartOffset == Offset(120))
        #expect(state.highWatermark == Offset(100))  // followers' LEOs unknown: no advance
        #expect(fetch(&state, b2, 120, at: 10).highWatermark == nil)
        #expect(fetch(&state, b3, 110, at: 10).highWatermark == Offset(110))
        #expect(fetch(&state, b3, 120, at: 20).highWatermark == Offset(120))
        #expect(state.highWatermark == Offset(120))
    }

    @Test func highWatermarkIsTheMinimumLogEndOffsetOfTheIsrAndNeverDecreases() {
        var state = leader(leo: 100, hw: 100)
        _ = fetch(&state, b2, 100, at: 1)
        _ = fetch(&state, b3, 100, at: 1)
        #expect(state.leaderAppended(logEndOffset: Offset(150), nowMs: 2) == nil)
        #expect(fetch(&state, b2, 150, at: 3).highWatermark == nil)  // b3 still at 100
        #expect(fetch(&state, b3, 130, at: 3).highWatermark == Offset(130))
        // A follower going back (it truncated) never lowers the HW.
        #expect(fetch(&state, b3, 120, at: 4).highWatermark == nil)
        #expect(state.highWatermark == Offset(130))
    }

    @Test func leaderAloneInIsrCommitsAtEachAppend() {
        var state = leader(isr: [1], leo: 10, hw: 10)
        #expect(state.leaderAppended(logEndOffset: Offset(15), nowMs: 1) == Offset(15))
        #expect(state.checkEnoughReplicasReachOffset(Offset(15)) == (true, .noError))
    }

    @Test func highWatermarkDoesNotAdvanceUnderMinIsr() {
        var state = leader(isr: [1], leo: 10, hw: 10, minIsr: 2)
        #expect(state.isUnderMinIsr)
        #expect(state.leaderAppended(logEndOffset: Offset(15), nowMs: 1) == nil)
        #expect(state.highWatermark == Offset(10))
        // min.insync.replicas above the replica count is capped at it.
        let capped = leader(isr: [1, 2, 3], minIsr: 5)
        #expect(capped.effectiveMinIsr == 3 && !capped.isUnderMinIsr)
    }

    @Test func lateFollowerBelowTheEpochStartOffsetDoesNotJoinTheIsr() {
        // KAFKA-7128: HW 90 but the epoch starts at 100; a follower at 95 is past the HW but not in this epoch.
        var state = leader(isr: [1, 2], leo: 100, hw: 90)
        #expect(fetch(&state, b3, 95, at: 1).proposal == nil)
        #expect(!state.isr.isInflight)
        let update = fetch(&state, b3, 100, at: 2)
        #expect(update.proposal?.newIsr == [b1, b2, b3])
        #expect(update.proposal?.leaderEpoch == LeaderEpoch(5) && update.proposal?.partitionEpoch == 7)
        #expect(state.isr.maximal == [b1, b2, b3])
        #expect(state.isr.committed == [b1, b2])
    }

    @Test func followerBelowTheHighWatermarkDoesNotJoin() {
        var state = leader(isr: [1, 2], leo: 100, hw: 100)
        _ = fetch(&state, b2, 100, at: 0)
        _ = state.leaderAppended(logEndOffset: Offset(120), nowMs: 1)
        _ = fetch(&state, b2, 120, at: 2)
        #expect(state.highWatermark == Offset(120))
        #expect(fetch(&state, b3, 110, at: 3).proposal == nil)
        #expect(fetch(&state, b3, 120, at: 4).proposal != nil)
    }

    @Test func pendingExpansionCountsTowardsTheHighWatermarkAndBlocksOtherProposals() {
        var state = leader(isr: [1], leo: 100, hw: 100)
        #expect(fetch(&state, b2, 100, at: 1).proposal?.newIsr == [b1, b2])
        _ = state.leaderAppended(logEndOffset: Offset(110), nowMs: 2)
        #expect(state.highWatermark == Offset(100))  // b2 (pending) holds it back
        #expect(fetch(&state, b3, 110, at: 3).proposal == nil)  // one change in flight at a time
        #expect(state.checkIsrShrink(nowMs: 100_000) == nil)
        #expect(fetch(&state, b2, 110, at: 4).highWatermark == Offset(110))
    }

    @Test func pendingShrinkKeepsCountingTheRemovedReplicas() {
        var state = leader(isr: [1, 2, 3], leo: 100, hw: 100, nowMs: 0)
        _ = fetch(&state, b2, 100, at: 1)
        _ = fetch(&state, b3, 100, at: 1)
        _ = state.leaderAppended(logEndOffset: Offset(200), nowMs: 2)
        _ = fetch(&state, b2, 200, at: 5_000)
        // b3 has not caught up for longer than the lag time.
        let proposal = state.checkIsrShrink(nowMs: 10_002 + 1)
        #expect(proposal?.newIsr == [b1, b2])
        #expect(state.isr.maximal == [b1, b2, b3])
        #expect(state.highWatermark == Offset(100))
        let outcome = state.alterPartitionAnswered(
            proposal!, answer: .accepted(leaderEpoch: LeaderEpoch(5), partitionEpoch: 8, isr: [b1, b2]), nowMs: 10_010)
        #expect(outcome == .committed(highWatermark: Offset(200)))
        #expect(state.isr.committed == [b1, b2] && state.partitionEpoch == 8 && !state.isr.isInflight)
    }

    @Test func shrinkUsesLastCaughtUpTimeNotFetchTime() {
        var state = leader(isr: [1, 2], leo: 100, hw: 100, nowMs: 0)
        _ = fetch(&state, b2, 100, at: 1_000)
        // b2 keeps fetching, always one append behind: caught up to the leader's LEO of its previous fetch.
        for step in 1...30 {
            let t = Int64(1_000 + step * 1_000)
            _ = state.leaderAppended(logEndOffset: Offset(100 + Int64(step) * 10), nowMs: t)
            _ = fetch(&state, b2, 100 + Int64(step - 1) * 10 + 10 - 10, at: t)
        }
        #expect(state.checkIsrShrink(nowMs: 31_500) == nil)
        // It stops fetching: out of sync once the lag time passes.
        #expect(state.checkIsrShrink(nowMs: 31_000 + lagMs + 1)?.newIsr == [b1])
    }

    @Test func followerLevelWithTheLeaderIsNeverOutOfSync() {
        var state = leader(isr: [1, 2], leo: 100, hw: 100, nowMs: 0)
        _ = fetch(&state, b2, 100, at: 1)
        #expect(state.checkIsrShrink(nowMs: 1_000_000) == nil)
    }

    @Test func isrMemberThatNeverFetchedIsRemovedAfterTheLagTime() {
        var state = leader(isr: [1, 2, 3], leo: 100, hw: 100, nowMs: 1_000)
        _ = fetch(&state, b2, 100, at: 1_500)
        _ = state.leaderAppended(logEndOffset: Offset(101), nowMs: 1_600)
        #expect(state.checkIsrShrink(nowMs: 1_000 + lagMs) == nil)
        #expect(state.checkIsrShrink(nowMs: 1_000 + lagMs + 1)?.newIsr == [b1, b2])
    }

    @Test func proposalsNeverDropTheLeaderNorGoEmpty() {
        // An ISR from LeaderAndIsr that (wrongly) lacks the leader: the proposal still holds it.
        var state = leader(isr: [2, 3], leo: 100, hw: 100, nowMs: 0)
        _ = state.leaderAppended(logEndOffset: Offset(101), nowMs: 1)
        let proposal = state.checkIsrShrink(nowMs: lagMs + 5)
        #expect(proposal?.newIsr == [b1])
    }

    @Test func acceptedAnswerWithAnotherLeaderEpochIsNotApplied() {
        var state = leader(isr: [1], leo: 100, hw: 100)
        let proposal = fetch(&state, b2, 100, at: 1).proposal!
        let outcome = state.alterPartitionAnswered(
            proposal, answer: .accepted(leaderEpoch: LeaderEpoch(6), partitionEpoch: 9, isr: [b1, b2]), nowMs: 2)
        #expect(outcome == .awaitingLeaderAndIsr)
        #expect(state.isr.committed == [b1] && state.isr.maximal == [b1, b2])
        #expect(fetch(&state, b3, 100, at: 3).proposal == nil)
    }

    @Test func fencedOrStaleVersionAnswersWaitForLeaderAndIsr() {
        for error in [ErrorCode.fencedLeaderEpoch, .invalidUpdateVersion, .unknownTopicOrPartition, .invalidRequest] {
            var state = leader(isr: [1], leo: 100, hw: 100)
            let proposal = fetch(&state, b2, 100, at: 1).proposal!
            #expect(state.alterPartitionAnswered(proposal, answer: .rejected(error), nowMs: 2) == .awaitingLeaderAndIsr)
            // Nothing more is proposed; the proposal still counts for the HW (the safe side).
            #expect(state.checkIsrShrink(nowMs: 1_000_000) == nil)
            #expect(state.isr.maximal == [b1, b2])
            // A repeated answer to the same proposal is stale now.
            #expect(state.alterPartitionAnswered(proposal, answer: .rejected(error), nowMs: 3) == .stale)
        }
    }

    @Test func ineligibleReplicaRevertsToTheCommittedIsr() {
        var state = leader(isr: [1], leo: 100, hw: 100)
        let proposal = fetch(&state, b2, 100, at: 1).proposal!
        let answer = state.alterPartitionAnswered(proposal, answer: .rejected(.ineligibleReplica), nowMs: 2)
        #expect(answer == .reverted(highWatermark: nil))
        #expect(!state.isr.isInflight && state.isr.maximal == [b1])
        // The refused replica (a broker shutting down) is neither proposed again nor waited for in the same epoch.
        #expect(fetch(&state, b2, 100, at: 3).proposal == nil)
        #expect(state.leaderAppended(logEndOffset: Offset(110), nowMs: 4) == Offset(110))
        // Once it fetches with a new broker epoch (it restarted), it may join again.
        #expect(fetch(&state, b2, 110, at: 5, brokerEpoch: 2).proposal != nil)
    }

    /// A replica the metadata shows as dead is not proposed and does not hold the HW back, even when caught up.
    @Test func deadReplicaOutsideTheIsrDoesNotHoldTheHighWatermark() {
        var state = leader(isr: [1, 2], leo: 100, hw: 100)
        state.refreshLiveness { $0 != b3 }
        #expect(fetch(&state, b3, 100, at: 1).proposal == nil)
        _ = fetch(&state, b2, 100, at: 1)
        #expect(state.leaderAppended(logEndOffset: Offset(120), nowMs: 2) == nil)
        #expect(fetch(&state, b2, 120, at: 3).highWatermark == Offset(120))
        // Back alive: it is proposed again at its next fetch.
        state.refreshLiveness { _ in true }
        #expect(fetch(&state, b3, 120, at: 4).proposal != nil)
    }

    /// A caught-up replica outside the ISR holds the HW back only while it is eligible (KAFKA-13091 with Kafka's
    /// `isReplicaIsrEligible`): a refusal by the controller releases the HW at once.
    @Test func refusedReplicaStopsHoldingTheHighWatermark() {
        var state = leader(isr: [1], leo: 100, hw: 100)
        let proposal = fetch(&state, b2, 100, at: 1).proposal!
        #expect(state.leaderAppended(logEndOffset: Offset(120), nowMs: 2) == nil)  // waits for b2 (pending)
        let answer = state.alterPartitionAnswered(proposal, answer: .rejected(.ineligibleReplica), nowMs: 3)
        #expect(answer == .reverted(highWatermark: Offset(120)))
    }

    @Test func transportFailureAndRetriableErrorsRetryTheSameProposal() {
        var state = leader(isr: [1], leo: 100, hw: 100)
        let proposal = fetch(&state, b2, 100, at: 1).proposal!
        #expect(state.alterPartitionAnswered(proposal, answer: .failed, nowMs: 2) == .retry)
        #expect(state.alterPartitionAnswered(proposal, answer: .rejected(.notController), nowMs: 3) == .retry)
        #expect(state.isr.pending?.proposal == proposal)
        let outcome = state.alterPartitionAnswered(
            proposal, answer: .accepted(leaderEpoch: LeaderEpoch(5), partitionEpoch: 8, isr: [b1, b2]), nowMs: 4)
        #expect(outcome == .committed(highWatermark: nil))
        #expect(state.isr.committed == [b1, b2])
    }

    @Test func answerToAnotherProposalIsStale() {
        var state = leader(isr: [1], leo: 100, hw: 100)
        _ = fetch(&state, b2, 100, at: 1)
        let other = IsrProposal(leaderEpoch: LeaderEpoch(5), partitionEpoch: 7, newIsr: [b1, b3])
        #expect(state.alterPartitionAnswered(other, answer: .failed, nowMs: 2) == .stale)
    }

    @Test func caughtUpFollowerOutsideTheIsrHoldsTheHighWatermarkBack() {
        var state = leader(isr: [1], leo: 100, hw: 100, nowMs: 0)
        // b2 is not in the ISR but caught up recently (about to join): HW waits for it.
        _ = fetch(&state, b2, 100, at: 10)
        let proposal = state.isr.pending?.proposal
        _ = state.alterPartitionAnswered(proposal!, answer: .rejected(.operationNotAttempted), nowMs: 11)
        #expect(state.leaderAppended(logEndOffset: Offset(120), nowMs: 12) == nil)
        // Once it is no longer caught up, it stops holding the HW.
        #expect(state.leaderAppended(logEndOffset: Offset(121), nowMs: 10 + lagMs + 1) == Offset(121))
    }

    @Test func acksAllSettlesWithNotEnoughReplicasAfterAppendWhenTheIsrShrankBelowMin() {
        var state = leader(isr: [1, 2], leo: 100, hw: 100, nowMs: 0, minIsr: 2)
        _ = fetch(&state, b2, 100, at: 1)
        _ = state.leaderAppended(logEndOffset: Offset(110), nowMs: 2)
        #expect(state.checkEnoughReplicasReachOffset(Offset(110)) == (false, .noError))
        let proposal = state.checkIsrShrink(nowMs: lagMs + 10)!
        _ = state.alterPartitionAnswered(
            proposal, answer: .accepted(leaderEpoch: LeaderEpoch(5), partitionEpoch: 8, isr: [b1]), nowMs: lagMs + 11)
        #expect(state.isUnderMinIsr)
        #expect(state.highWatermark == Offset(100))  // frozen under min ISR
    }

    @Test func reElectionKeepsWhatTheLeaderKnewOfItsFollowers() {
        var first = leader(isr: [1, 2], leo: 100, hw: 100, nowMs: 0)
        _ = fetch(&first, b2, 100, at: 1)
        let second = PartitionReplicaState(
            becomingLeader: .init(
                leaderEpoch: LeaderEpoch(6), partitionEpoch: 9, isr: [b1, b2], replicas: [b1, b2, b3]),
            localBrokerID: b1, leaderLogEndOffset: Offset(100), highWatermark: Offset(100), nowMs: 50,
            replicaLagTimeMaxMs: lagMs, minInsyncReplicas: 1, previous: first)
        #expect(second.followers[b2]?.logEndOffset == Offset(100))
        #expect(second.followers[b2]?.lastCaughtUpTimeMs == 50)
        #expect(second.followers[b3]?.lastCaughtUpTimeMs == nil)
    }
}
