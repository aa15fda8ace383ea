import FjordModel
import FjordStorage
import KafkaProtocol

extension Partition {
    /// The leader-side checks of one partition of a replica fetch, and their bookkeeping.
    enum ReplicaFetchCheck: Sendable {
        case error(ErrorCode)
        /// The follower's log diverges from the leader's (KIP-595): no records; the follower truncates.
        case diverging(DivergingEpoch)
        /// Read from the fetch offset. The follower's LEO was recorded first, so `highWatermark` is set when that
        /// advanced the HW, and `proposal` when the follower now joins the ISR.
        case read(highWatermark: Offset?, proposal: IsrProposal?)
    }

    /// Checks a follower's fetch as leader and records the follower's log end offset (Kafka's `fetchRecords` for a
    /// follower, with `updateFollowerFetchState` moved before the read so the response carries the HW it
    /// produced). Order: leadership (NOT_LEADER_OR_FOLLOWER), leader epoch (FENCED_LEADER_EPOCH /
    /// UNKNOWN_LEADER_EPOCH), membership (NOT_LEADER_OR_FOLLOWER for a broker that is not a replica), divergence by
    /// last fetched epoch, then the offset range (OFFSET_OUT_OF_RANGE).
    func checkReplicaFetch(
        replica: BrokerID, brokerEpoch: BrokerEpoch, currentLeaderEpoch: LeaderEpoch, fetchOffset: Offset,
        lastFetchedEpoch: LeaderEpoch, followerLogStartOffset: Offset, nowMs: Int64
    ) -> ReplicaFetchCheck {
        state.withLock { state -> ReplicaFetchCheck in
            guard case .leader(let replicaState) = state.role else { return .error(.notLeaderOrFollower) }
            let epochError = Self.checkLeaderEpoch(currentLeaderEpoch, current: state.leaderEpoch)
            guard epochError == .noError else { return .error(epochError) }
            guard replicaState.isFollower(replica) else { return .error(.notLeaderOrFollower) }
            if lastFetchedEpoch.rawValue >= 0 {
                let (epoch, endOffset) = log.endOffset(for: lastFetchedEpoch)
                if epoch < lastFetchedEpoch || endOffset < fetchOffset {
                    return .diverging(DivergingEpoch(epoch: epoch, endOffset: endOffset))
                }
            }
            guard fetchOffset >= log.logStartOffset, fetchOffset <= log.logEndOffset else {
                return .error(.offsetOutOfRange)
            }
            let isLive = self.isLive
            let update = state.withLeaderState {
                $0.refreshLiveness(isLive)
                return $0.followerFetched(
                    replica, fetchOffset: fetchOffset, logStartOffset: followerLogStartOffset,
                    brokerEpoch: brokerEpoch, nowMs: nowMs)
            }!
            var highWatermark: Offset?
            if let advanced = update.highWatermark { highWatermark = log.updateHighWatermark(advanced) }
            return .read(highWatermark: highWatermark, proposal: update.proposal)
        }
    }

    /// A consumer-side check: this replica leads, in the epoch the client believes current if it says one.
    func checkLeader(currentLeaderEpoch: LeaderEpoch?) -> ErrorCode {
        state.withLock { state in
            guard case .leader = state.role else { return .notLeaderOrFollower }
            return Self.checkLeaderEpoch(currentLeaderEpoch, current: state.leaderEpoch)
        }
    }

    /// Whether an acks=all append ending before `requiredOffset` is committed (see
    /// ``PartitionReplicaState/checkEnoughReplicasReachOffset(_:)``); a replica that no longer leads answers
    /// NOT_LEADER_OR_FOLLOWER.
    func checkEnoughReplicasReachOffset(_ requiredOffset: Offset) -> (done: Bool, error: ErrorCode) {
        state.withLock { state in
            guard case .leader(let replicaState) = state.role else { return (true, .notLeaderOrFollower) }
            return replicaState.checkEnoughReplicasReachOffset(requiredOffset)
        }
    }

    /// The periodic ISR check: a shrink proposal, if one is due.
    func maybeShrinkIsr(nowMs: Int64) -> IsrProposal? {
        state.withLock { state in
            state.withLeaderState { $0.checkIsrShrink(nowMs: nowMs) } ?? nil
        }
    }

    /// Applies the controller's answer to `proposal`. Returns the outcome and the new HW when it advanced.
    func alterPartitionAnswered(
        _ proposal: IsrProposal, answer: PartitionReplicaState.AlterPartitionAnswer, nowMs: Int64
    ) -> PartitionReplicaState.AlterPartitionOutcome {
        state.withLock { state in
            guard proposal.leaderEpoch == state.leaderEpoch else { return .stale }
            let outcome = state.withLeaderState {
                $0.alterPartitionAnswered(proposal, answer: answer, nowMs: nowMs)
            }
            guard let outcome else { return .stale }
            if case .committed(let advanced?) = outcome {
                return .committed(highWatermark: log.updateHighWatermark(advanced))
            }
            if case .reverted(let advanced?) = outcome {
                return .reverted(highWatermark: log.updateHighWatermark(advanced))
            }
            return outcome
        }
    }

    /// Updates the partition's `min.insync.replicas` (topic config change, or re-read at each LeaderAndIsr).
    func setMinInsyncReplicas(_ value: Int) {
        state.withLock { state in _ = state.withLeaderState { $0.minInsyncReplicas = value } }
    }
}
