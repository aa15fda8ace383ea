import FjordModel
import KafkaProtocol

extension PartitionReplicaState {
    /// The controller's answer to a proposal, as the shell decoded it.
    public enum AlterPartitionAnswer: Hashable, Sendable {
        /// The partition's state as the controller now has it (the change applied, or it already was so).
        case accepted(leaderEpoch: LeaderEpoch, partitionEpoch: Int32, isr: [BrokerID])
        /// A per-partition error code.
        case rejected(ErrorCode)
        /// No answer: the request failed in transport, timed out, or the whole request was refused (NOT_CONTROLLER,
        /// STALE_BROKER_EPOCH…).
        case failed
    }

    /// What handling an answer did.
    public enum AlterPartitionOutcome: Hashable, Sendable {
        /// The answer was for a proposal that is no longer pending (a LeaderAndIsr replaced the state): ignored.
        case stale
        /// The new ISR and partition epoch are committed; `highWatermark` is set when the HW advanced.
        case committed(highWatermark: Offset?)
        /// The controller said the change was not applied and our view is current (INELIGIBLE_REPLICA,
        /// OPERATION_NOT_ATTEMPTED): back to the committed ISR; later checks may propose again. `highWatermark` is
        /// set when dropping the refused replica let the HW advance.
        case reverted(highWatermark: Offset?)
        /// Our view is stale (or the answer names another leader epoch or an older partition epoch): nothing more
        /// is proposed until the next LeaderAndIsr; the maximal ISR keeps counting the proposal meanwhile.
        case awaitingLeaderAndIsr
        /// Send the same proposal again after a backoff.
        case retry
    }

    /// Applies the controller's answer to `proposal` (Kafka's `handleAlterPartitionUpdate` and
    /// `handleAlterPartitionError`).
    public mutating func alterPartitionAnswered(
        _ proposal: IsrProposal, answer: AlterPartitionAnswer, nowMs: Int64
    ) -> AlterPartitionOutcome {
        guard let pending = isr.pending, pending.proposal == proposal, pending.status == .inFlight else {
            return .stale
        }
        switch answer {
        case .accepted(let epoch, let newPartitionEpoch, let newIsr):
            guard epoch == leaderEpoch, newPartitionEpoch >= partitionEpoch else {
                isr.pending!.status = .awaitingLeaderAndIsr
                return .awaitingLeaderAndIsr
            }
            isr = IsrState(committed: Set(newIsr))
            partitionEpoch = newPartitionEpoch
            return .committed(highWatermark: maybeIncrementHighWatermark(nowMs: nowMs))
        case .rejected(let error):
            switch error {
            case .operationNotAttempted, .ineligibleReplica:
                if error == .ineligibleReplica, case .expand(let id) = pending.kind {
                    ineligibleReplicas[id] = followers[id]?.brokerEpoch
                }
                isr.pending = nil
                return .reverted(highWatermark: maybeIncrementHighWatermark(nowMs: nowMs))
            case .unknownTopicOrPartition, .unknownTopicId, .fencedLeaderEpoch, .invalidUpdateVersion, .invalidRequest:
                isr.pending!.status = .awaitingLeaderAndIsr
                return .awaitingLeaderAndIsr
            default:
                return .retry
            }
        case .failed:
            return .retry
        }
    }
}
