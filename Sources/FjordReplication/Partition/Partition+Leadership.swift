import FjordModel
import FjordStorage

extension Partition {
    /// A partition's entry of a LeaderAndIsr request, in Fjord's types.
    struct Assignment: Sendable {
        var leader: BrokerID
        var leaderEpoch: LeaderEpoch
        var partitionEpoch: Int32
        var isr: [BrokerID]
        var replicas: [BrokerID]
    }

    /// Makes this replica the leader for `assignment.leaderEpoch` (Kafka's `makeLeader`): the epoch starts at the
    /// log end offset and is recorded in the leader-epoch cache before any batch of it is written; the producer
    /// state is rebuilt from the log unless it is known to be current; follower states are reset (kept across a
    /// re-election). Blocking (checkpoint write, maybe a scan of the log's batch headers): call off event loops.
    ///
    /// The role is `.none` while the blocking work runs, so produce requests meanwhile get NOT_LEADER_OR_FOLLOWER
    /// and a fetcher of the previous epoch can no longer append.
    ///
    /// - Returns: the high watermark the leadership starts with.
    @discardableResult
    func makeLeader(
        _ assignment: Assignment, minInsyncReplicas: Int, replicaLagTimeMaxMs: Int64, nowMs: Int64
    ) throws(LogError) -> Offset {
        try logMutation.withLock { (_) throws(LogError) -> Offset in
            let previous = state.withLock { state -> PartitionReplicaState? in
                var previous: PartitionReplicaState?
                if case .leader(let replicaState) = state.role { previous = replicaState }
                state.role = .none
                state.leaderEpoch = assignment.leaderEpoch
                state.partitionEpoch = assignment.partitionEpoch
                state.replicas = assignment.replicas
                state.followerIsr = []
                return previous
            }
            let startOffset = log.logEndOffset
            try log.assignLeaderEpoch(assignment.leaderEpoch, startOffset: startOffset)
            var loaded: ProducerStateTable?
            if !state.withLock({ $0.producerStateLoaded }) { loaded = try log.loadProducerState() }
            let leadership = PartitionReplicaState.Leadership(
                leaderEpoch: assignment.leaderEpoch, partitionEpoch: assignment.partitionEpoch, isr: assignment.isr,
                replicas: assignment.replicas)
            let replicaState = PartitionReplicaState(
                becomingLeader: leadership, localBrokerID: localBrokerID, leaderLogEndOffset: log.logEndOffset,
                highWatermark: log.highWatermark, nowMs: nowMs, replicaLagTimeMaxMs: replicaLagTimeMaxMs,
                minInsyncReplicas: minInsyncReplicas, previous: previous)
            state.withLock { state in
                if let loaded {
                    state.producerState = loaded
                    state.producerStateLoaded = true
                }
                state.role = .leader(replicaState)
            }
            let highWatermark = log.updateHighWatermark(replicaState.highWatermark)
            logger.info(
                "became leader",
                metadata: [
                    "partition": "\(topicPartition)", "leaderEpoch": "\(assignment.leaderEpoch)",
                    "epochStartOffset": "\(startOffset)", "highWatermark": "\(highWatermark)",
                    "isr": "\(assignment.isr.map(\.rawValue))",
                    "producers": "\(state.withLock { $0.producerState.count })",
                ])
            return highWatermark
        }
    }

    /// Makes this replica a follower of `assignment.leader` (Kafka's `makeFollower`). The log is not truncated here:
    /// the fetcher sends its last fetched epoch and the leader answers with a diverging epoch if the logs differ
    /// (KIP-595). Non-blocking.
    func makeFollower(_ assignment: Assignment) {
        logMutation.withLock { _ in
            state.withLock { state in
                state.role = .follower(leader: assignment.leader)
                state.leaderEpoch = assignment.leaderEpoch
                state.partitionEpoch = assignment.partitionEpoch
                state.replicas = assignment.replicas
                state.followerIsr = assignment.isr
            }
        }
        logger.info(
            "became follower",
            metadata: [
                "partition": "\(topicPartition)", "leader": "\(assignment.leader)",
                "leaderEpoch": "\(assignment.leaderEpoch)", "logEndOffset": "\(log.logEndOffset)",
            ])
    }

    /// StopReplica: serve nothing until the next LeaderAndIsr. An epoch from the request (`>= 0`) is remembered so
    /// that older requests stay fenced.
    func stop(leaderEpoch: LeaderEpoch) {
        logMutation.withLock { _ in
            state.withLock { state in
                state.role = .none
                if leaderEpoch > state.leaderEpoch { state.leaderEpoch = leaderEpoch }
            }
        }
    }
}
