import FjordCluster
import FjordModel

extension EventPlanner {
    /// Routes an event to its handler. Runs only while active.
    mutating func handle(_ event: ControllerEvent) {
        switch event {
        case .becameActive(let snapshot): onControllerFailover(snapshot)
        case .resigned: break
        case .brokersChanged(let brokers): onBrokersChanged(brokers)
        case .brokerModified(let broker): onBrokerModified(broker)
        case .topicsChanged(let all, let new): onTopicsChanged(all: all, new: new)
        case .topicModified(let topic, let loaded): onTopicModified(topic, loaded)
        case .topicDeletionRequested(let topics): onTopicDeletionRequested(topics)
        case .zkReassignmentRequested(let node): onZkReassignment(node)
        case .preferredReplicaElectionRequested(let partitions): onPreferredReplicaElectionNode(partitions)
        case .alterPartition(let request): onAlterPartition(request)
        case .controlledShutdown(let broker, let epoch): onControlledShutdown(broker, brokerEpoch: epoch)
        case .alterPartitionReassignments(let targets): onAlterPartitionReassignments(targets)
        case .listPartitionReassignments(let partitions): onListPartitionReassignments(partitions)
        case .electLeaders(let type, let partitions): onElectLeaders(type, partitions)
        case .autoLeaderRebalance: onAutoLeaderRebalance()
        case .stopReplicaResponse(let broker, let error, let partitions):
            onStopReplicaResponse(broker, error: error, partitions: partitions)
        case .reconcile: onReconcile()
        case .resumeReassignments(let partitions): resumeReassignments(partitions)
        case .maybeCompleteReassignments(let partitions):
            for tp in partitions.sorted()
            where context.partitionsBeingReassigned.contains(tp) && isReassignmentComplete(tp) {
                completeReassignment(tp)
            }
        case .resumeTopicDeletion: resumeDeletions()
        }
    }

    /// Re-derives decisions from the context after a write conflict refreshed it.
    mutating func onReconcile() {
        electOfflineAndNewPartitions()
        for tp in context.partitionsBeingReassigned.sorted() where isReassignmentComplete(tp) {
            completeReassignment(tp)
        }
        resumeDeletions()
    }
}
