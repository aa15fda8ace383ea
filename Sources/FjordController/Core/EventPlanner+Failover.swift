import FjordCluster
import FjordModel

extension EventPlanner {
    /// The controller just won: take over the cluster as read from ZooKeeper (Kafka's `onControllerFailover`).
    ///
    /// Order as in Kafka: UpdateMetadata to every broker first (they learn the live brokers), then every replica on a
    /// live broker gets LeaderAndIsr, replicas on dead brokers leave their ISRs, offline partitions elect leaders and
    /// new ones are initialized; then reassignments, topic deletions and preferred elections left pending resume (as
    /// follow-up events).
    mutating func onControllerFailover(_ snapshot: ClusterSnapshot) {
        for broker in snapshot.brokers { context.liveBrokers[broker.id] = broker }
        for (name, loaded) in snapshot.topics.sorted(by: { $0.key < $1.key }) {
            context.apply(loaded, to: name)
            context.topics[name]?.config = loaded.config
            if loaded.assignment.topicId == nil { assignTopicID(name) }
        }
        for (tp, state) in snapshot.partitionStates where context.assignment(tp) != nil {
            context.leadership[tp] = state
        }
        context.zkReassignment = snapshot.reassignment
        initializeTopicDeletion(snapshot.topicsToDelete)

        plan.batch.addLeadingUpdateMetadata(context.liveOrShuttingDownBrokerIDs, full: false)
        let registered = Set(context.liveBrokers.keys)
        var offline = Set<BrokerID>()
        for tp in context.allPartitions { offline.formUnion(context.replicas(tp).filter { !registered.contains($0) }) }
        reconcilePartitions(gone: offline)
        for tp in context.leadership.keys.sorted() where !context.isTopicQueuedForDeletion(tp.topic) {
            plan.batch.addLeaderAndIsr(context.replicas(tp).filter(context.isLive), tp, isNew: false, context: context)
        }
        note(
            "active with epoch \(context.epoch): \(context.liveBrokers.count) brokers, \(context.topics.count) topics, "
                + "\(context.leadership.count) partition states")

        if let node = snapshot.reassignment { plan.followUps.append(.zkReassignmentRequested(node)) }
        let inZk = Set(snapshot.reassignment?.targets.keys.map { $0 } ?? [])
        let resumable = context.partitionsBeingReassigned.subtracting(inZk)
        if !resumable.isEmpty { plan.followUps.append(.resumeReassignments(resumable)) }
        if !context.topicsToBeDeleted.isEmpty { plan.followUps.append(.resumeTopicDeletion) }
        if let preferred = snapshot.preferredReplicaElection {
            plan.followUps.append(.preferredReplicaElectionRequested(preferred))
        }
    }

    /// Gives a topic without an id a fresh one and writes it (Kafka's `setTopicIds`).
    mutating func assignTopicID(_ topic: TopicName) {
        context.topics[topic]?.topicID = configuration.makeTopicID()
        writeTopicAssignment(topic)
    }
}
