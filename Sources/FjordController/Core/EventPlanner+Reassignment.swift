import FjordCluster
import FjordModel

/// Partition reassignment (KIP-455, Kafka's `onPartitionReassignment`).
///
/// Phase U: write RS = TRS ∪ ORS with adding = TRS \ ORS and removing = ORS \ TRS to the topic znode (replicas a
/// replaced reassignment had added and no longer needs leave the ISR and get StopReplica(delete)).
/// Phase A (TRS ⊄ ISR): bump the leader epoch and send LeaderAndIsr to RS, so added replicas start fetching.
/// Phase B (TRS ⊆ ISR, reached through AlterPartition): in one `multi`, write leader' (kept if in TRS and live, else
/// the first live TRS member in the ISR), ISR' = ISR \ removing with leader epoch + 1, and RS = TRS with nothing
/// adding or removing; then LeaderAndIsr to TRS, StopReplica(delete) to the removed replicas, UpdateMetadata to all.
extension EventPlanner {
    /// AlterPartitionReassignments from an admin client, forwarded by a broker.
    mutating func onAlterPartitionReassignments(_ targets: [TopicPartition: [BrokerID]?]) {
        var results: [TopicPartition: ControllerApiError] = [:]
        var accepted: [TopicPartition: PartitionAssignment] = [:]
        for (tp, target) in targets {
            if let target, let error = validateReassignment(tp, target) {
                results[tp] = error
            } else if let built = buildReassignment(tp, target) {
                accepted[tp] = built
            } else {
                results[tp] = ControllerApiError(.noReassignmentInProgress)
            }
        }
        if var node = context.zkReassignment, !Set(node.targets.keys).isDisjoint(with: accepted.keys) {
            for tp in accepted.keys { node.targets[tp] = nil }
            context.zkReassignment = node
            writeReassignmentNode()
        }
        results.merge(triggerReassignments(accepted), uniquingKeysWith: { a, _ in a })
        plan.reply = .ready(.alterPartitionReassignments(.none, results))
        note(
            "AlterPartitionReassignments: \(accepted.count) accepted, \(results.filter { $0.value.code.isError }.count) rejected"
        )
    }

    /// `/admin/reassign_partitions` was created: start every reassignment it lists; drop entries that fail.
    mutating func onZkReassignment(_ node: ControllerContext.ZkReassignment) {
        context.zkReassignment = node
        var accepted: [TopicPartition: PartitionAssignment] = [:]
        var failed: Set<TopicPartition> = []
        for (tp, target) in node.targets {
            if let built = buildReassignment(tp, target) { accepted[tp] = built } else { failed.insert(tp) }
        }
        let results = triggerReassignments(accepted)
        failed.formUnion(results.filter { $0.value.code.isError }.keys)
        if !failed.isEmpty {
            for tp in failed { context.zkReassignment?.targets[tp] = nil }
            writeReassignmentNode()
        }
        note(
            "reassignment (zk): \(accepted.count - results.filter { $0.value.code.isError }.count) started, \(failed.count) failed"
        )
    }

    /// ListPartitionReassignments: the given partitions that are being reassigned, or all of them.
    mutating func onListPartitionReassignments(_ partitions: Set<TopicPartition>?) {
        var result: [TopicPartition: PartitionAssignment] = [:]
        for tp in partitions ?? context.partitionsBeingReassigned {
            if let assignment = context.assignment(tp), assignment.isBeingReassigned { result[tp] = assignment }
        }
        plan.reply = .ready(.listPartitionReassignments(.none, result))
    }

    /// Continues reassignments after a broker came back, after an ISR change, or on failover.
    mutating func resumeReassignments(_ partitions: Set<TopicPartition>) {
        for tp in partitions.sorted() where context.partitionsBeingReassigned.contains(tp) {
            guard let assignment = context.assignment(tp) else { continue }
            onPartitionReassignment(tp, assignment)
        }
    }

    func isReassignmentComplete(_ tp: TopicPartition) -> Bool {
        guard let assignment = context.assignment(tp) else { return false }
        guard assignment.isBeingReassigned else { return true }
        guard let isr = context.leadership[tp]?.isr else { return false }
        return Set(assignment.targetReplicas).isSubset(of: Set(isr))
    }

    /// Kafka's `validateReplicas`: non-empty, no duplicates, no negative ids, added replicas live.
    private func validateReassignment(_ tp: TopicPartition, _ target: [BrokerID]) -> ControllerApiError? {
        if target.isEmpty {
            return ControllerApiError(
                .invalidReplicaAssignment, "Empty replica list specified in partition reassignment.")
        }
        if Set(target).count != target.count {
            return ControllerApiError(
                .invalidReplicaAssignment, "Duplicate replica ids in partition reassignment replica list: \(target)")
        }
        if target.contains(where: { $0.rawValue < 0 }) {
            return ControllerApiError(.invalidReplicaAssignment, "Invalid broker id in replica list: \(target)")
        }
        guard let current = context.assignment(tp) else { return nil }
        let adding = current.reassigning(to: target).adding
        if !Set(adding).isSubset(of: context.liveBrokerIDs) {
            return ControllerApiError(
                .invalidReplicaAssignment,
                "Replica assignment has brokers that are not alive. Replica list: \(adding), live broker list: \(context.liveBrokerIDs.sorted())"
            )
        }
        return nil
    }

    /// Kafka's `maybeBuildReassignment`: nil target cancels (back to the origin replicas) if one is in progress.
    private func buildReassignment(_ tp: TopicPartition, _ target: [BrokerID]?) -> PartitionAssignment? {
        guard let current = context.assignment(tp) else { return target.map { PartitionAssignment(replicas: $0) } }
        if current.isBeingReassigned { return current.reassigning(to: target ?? current.originReplicas) }
        return target.map { current.reassigning(to: $0) }
    }

    /// Kafka's `maybeTriggerPartitionReassignment`.
    private mutating func triggerReassignments(_ reassignments: [TopicPartition: PartitionAssignment])
        -> [TopicPartition: ControllerApiError]
    {
        var results: [TopicPartition: ControllerApiError] = [:]
        for (tp, assignment) in reassignments.sorted(by: { $0.key < $1.key }) {
            if context.isTopicQueuedForDeletion(tp.topic) || context.assignment(tp) == nil
                || context.leadership[tp] == nil
            {
                results[tp] = ControllerApiError(.unknownTopicOrPartition, "The partition does not exist.")
                continue
            }
            onPartitionReassignment(tp, assignment)
            results[tp] = ControllerApiError.none
        }
        return results
    }

    mutating func onPartitionReassignment(_ tp: TopicPartition, _ reassignment: PartitionAssignment) {
        guard let current = context.assignment(tp) else { return }
        markTopicIneligibleForDeletion([tp.topic])
        if current != reassignment {
            context.topics[tp.topic]?.partitions[tp.partition] = reassignment
            writeTopicAssignment(tp.topic)
            let unneeded = current.replicas.filter { !reassignment.replicas.contains($0) }
            if !unneeded.isEmpty {
                stopRemovedReplicas(tp, unneeded)
                reconcilePartitions(gone: [], only: [tp])
            }
        }
        if reassignment.isBeingReassigned { context.partitionsBeingReassigned.insert(tp) }
        if isReassignmentComplete(tp) {
            completeReassignment(tp)
        } else if let state = context.leadership[tp] {
            setLeadership(tp, state.electing(state.leader, isr: state.isr, by: context.epoch), attachTo: tp.topic)
            plan.batch.addLeaderAndIsr(reassignment.originReplicas, tp, isNew: false, context: context)
            plan.batch.addLeaderAndIsr(reassignment.adding, tp, isNew: true, context: context)
        }
    }

    /// Phase B: the target replicas are all in the ISR.
    mutating func completeReassignment(_ tp: TopicPartition) {
        guard let assignment = context.assignment(tp), let current = context.leadership[tp] else { return }
        let target = assignment.targetReplicas
        let removing = assignment.removing
        var leader = current.leader
        if !target.contains(leader) || !context.isLive(leader) {
            leader = LeaderElection.reassignment(target: target, isr: current.isr, live: context.isLive) ?? .none
        }
        let isr = LeaderElection.isr(current.isr, removing: Set(removing), leader: leader)
        context.topics[tp.topic]?.partitions[tp.partition] = assignment.completed()
        context.partitionsBeingReassigned.remove(tp)
        writeTopicAssignment(tp.topic)
        setLeadership(tp, current.electing(leader, isr: isr, by: context.epoch), attachTo: tp.topic)
        plan.batch.addLeaderAndIsr(target, tp, isNew: false, context: context)
        plan.batch.addStopReplica(removing, tp, delete: true)
        plan.batch.addUpdateMetadata(context.liveOrShuttingDownBrokerIDs, partitions: [tp])
        if let node = context.zkReassignment, node.targets[tp] == target {
            context.zkReassignment?.targets[tp] = nil
            writeReassignmentNode()
        }
        note("\(tp): reassignment to \(target.map(\.rawValue)) completed, leader \(leader)")
        if !context.partitionsBeingReassigned.contains(where: { $0.topic == tp.topic }) {
            resumeDeletion(for: [tp.topic])
        }
    }

    /// Replicas a reassignment no longer needs: out of the ISR, then StopReplica(delete).
    private mutating func stopRemovedReplicas(_ tp: TopicPartition, _ replicas: [BrokerID]) {
        if let current = context.leadership[tp] {
            let isr = LeaderElection.isr(current.isr, removing: Set(replicas), leader: current.leader)
            if isr != current.isr {
                let leader = replicas.contains(current.leader) ? BrokerID.none : current.leader
                setLeadership(tp, current.electing(leader, isr: isr, by: context.epoch), attachTo: tp.topic)
            }
        }
        plan.batch.addStopReplica(replicas, tp, delete: true)
    }
}
