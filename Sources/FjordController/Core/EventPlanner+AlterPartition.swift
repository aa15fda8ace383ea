import FjordCluster
import FjordModel

extension EventPlanner {
    /// A leader asks to change its partitions' ISR (KIP-497; Kafka's `tryProcessAlterPartition`).
    ///
    /// Checks, in Kafka's order: the broker is registered with this epoch (else STALE_BROKER_EPOCH for the whole
    /// request); per partition: known (UNKNOWN_TOPIC_OR_PARTITION / UNKNOWN_TOPIC_ID); a partition or leader epoch
    /// newer than ours means we are not the controller any more (NOT_CONTROLLER); an older leader epoch is fenced
    /// (FENCED_LEADER_EPOCH); a request already applied is answered with the current state; an older partition epoch
    /// is INVALID_UPDATE_VERSION; every new ISR member must be live and not shutting down (INELIGIBLE_REPLICA, or
    /// OPERATION_NOT_ATTEMPTED before v2). Fjord adds: the sender must be the leader, and the new ISR must contain it
    /// (INVALID_REQUEST) — an ISR without its leader is never valid. Accepted changes keep leader and leader epoch and
    /// are written with compare-and-set at the partition epoch; a lost race answers INVALID_UPDATE_VERSION.
    mutating func onAlterPartition(_ request: AlterPartitionRequest) {
        guard let registered = context.liveBrokers[request.brokerID], registered.epoch == request.brokerEpoch else {
            note("AlterPartition from broker \(request.brokerID) epoch \(request.brokerEpoch): stale broker epoch")
            plan.reply = .ready(.alterPartition(AlterPartitionReply(error: .staleBrokerEpoch)))
            return
        }
        var errors: [TopicReference: [PartitionID: ControllerErrorCode]] = [:]
        var touched: [TopicPartition] = []
        var changed = 0
        for topicRequest in request.topics {
            let name: TopicName? =
                switch topicRequest.topic {
                case .name(let n): context.topics[n] != nil ? n : nil
                case .id(let id): context.topicName(forID: id)
                }
            for partition in topicRequest.partitions {
                guard let name else {
                    let code: ControllerErrorCode =
                        if case .id = topicRequest.topic { .unknownTopicID } else { .unknownTopicOrPartition }
                    errors[topicRequest.topic, default: [:]][partition.partition] = code
                    continue
                }
                let tp = TopicPartition(name, partition.partition)
                touched.append(tp)
                if let error = alterPartitionError(tp, partition, request) {
                    if error != .none { errors[topicRequest.topic, default: [:]][partition.partition] = error }
                    continue
                }
                guard let current = context.leadership[tp] else { continue }
                var next = current
                next.isr = partition.newIsr
                next.leaderRecoveryState = partition.leaderRecoveryState
                next.controllerEpoch = context.epoch
                setLeadership(tp, next)
                changed += 1
            }
        }
        plan.batch.addUpdateMetadata(context.liveOrShuttingDownBrokerIDs, partitions: touched)
        plan.reply = .alterPartition(request, errors: errors)
        let reassigning = Set(touched).intersection(context.partitionsBeingReassigned)
        if !reassigning.isEmpty { plan.followUps.append(.maybeCompleteReassignments(reassigning)) }
        note(
            "AlterPartition from broker \(request.brokerID): \(changed) ISR changes, \(errors.count) topics with errors"
        )
    }

    /// The error for one partition, `.none` for "already in this state", or nil when the change is accepted.
    private func alterPartitionError(
        _ tp: TopicPartition, _ partition: AlterPartitionRequest.Partition, _ request: AlterPartitionRequest
    ) -> ControllerErrorCode? {
        guard let current = context.leadership[tp] else { return .unknownTopicOrPartition }
        if partition.partitionEpoch > current.partitionEpoch || partition.leaderEpoch > current.leaderEpoch {
            return .notController
        }
        if partition.leaderEpoch < current.leaderEpoch { return .fencedLeaderEpoch }
        let proposed = LeaderAndIsr(
            leader: request.brokerID, leaderEpoch: partition.leaderEpoch, isr: partition.newIsr,
            controllerEpoch: current.controllerEpoch, partitionEpoch: partition.partitionEpoch,
            leaderRecoveryState: partition.leaderRecoveryState)
        if current.isSameDecision(asStale: proposed) { return ControllerErrorCode.none }
        if partition.partitionEpoch < current.partitionEpoch { return .invalidUpdateVersion }
        if partition.leaderRecoveryState == 1 && partition.newIsr.count > 1 { return .invalidRequest }
        if current.leaderRecoveryState == 0 && partition.leaderRecoveryState == 1 { return .invalidRequest }
        if request.brokerID != current.leader || !partition.newIsr.contains(request.brokerID)
            || Set(partition.newIsr).count != partition.newIsr.count
        {
            return .invalidRequest
        }
        if partition.newIsr.contains(where: { !context.isLive($0) }) {
            return request.version > 1 ? .ineligibleReplica : .operationNotAttempted
        }
        return nil
    }
}

extension ControllerCore {
    /// Builds the AlterPartition answer after the writes: errors found while planning, INVALID_UPDATE_VERSION where
    /// the write lost a race, else the partition's state as now written.
    static func alterPartitionReply(
        _ request: AlterPartitionRequest, errors: [TopicReference: [PartitionID: ControllerErrorCode]],
        context: ControllerContext, dropped: Set<TopicPartition>
    ) -> AlterPartitionReply {
        var topics: [AlterPartitionReply.Topic] = []
        for topicRequest in request.topics {
            let name: TopicName? =
                switch topicRequest.topic {
                case .name(let n): n
                case .id(let id): context.topicName(forID: id)
                }
            let topicID: String? =
                switch topicRequest.topic {
                case .id(let id): id
                case .name(let n): context.topics[n]?.topicID
                }
            var partitions: [AlterPartitionPartitionReply] = []
            for partition in topicRequest.partitions {
                if let error = errors[topicRequest.topic]?[partition.partition] {
                    partitions.append(
                        AlterPartitionPartitionReply(partition: partition.partition, error: error, state: nil))
                } else if let name, !dropped.contains(TopicPartition(name, partition.partition)),
                    let state = context.leadership[TopicPartition(name, partition.partition)]
                {
                    partitions.append(
                        AlterPartitionPartitionReply(partition: partition.partition, error: .none, state: state))
                } else {
                    partitions.append(
                        AlterPartitionPartitionReply(
                            partition: partition.partition, error: .invalidUpdateVersion, state: nil))
                }
            }
            topics.append(
                AlterPartitionReply.Topic(topic: topicRequest.topic, topicID: topicID, partitions: partitions))
        }
        return AlterPartitionReply(error: .none, topics: topics)
    }
}
