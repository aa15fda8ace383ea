import FjordCluster
import FjordModel

/// Topic deletion (Kafka's `TopicDeletionManager`).
///
/// A topic named under `/admin/delete_topics` is queued. When it is eligible (no reassignment in progress, no
/// replica on a dead broker), brokers get UpdateMetadata with its partitions led by -2 (they stop serving them) and
/// every live replica gets StopReplica(delete); once every replica answered without error, the controller deletes
/// `/brokers/topics/<t>` with everything below it, `/config/topics/<t>` and the admin node, in one `multi`. A
/// replica on a dead broker, or one that failed to delete, makes the topic ineligible until the broker returns.
/// Unlike Kafka, no ISR change is written for a topic being deleted.
extension EventPlanner {
    /// On failover: queue the topics under `/admin/delete_topics` that exist; drop the markers of those that don't.
    mutating func initializeTopicDeletion(_ requested: Set<TopicName>) {
        guard configuration.deleteTopicEnable else {
            for topic in requested { deleteTopicMarker(topic) }
            return
        }
        for topic in requested where context.topics[topic] == nil { deleteTopicMarker(topic) }
        let queued = requested.filter { context.topics[$0] != nil }
        context.topicsToBeDeleted = queued
        for topic in queued {
            let reassigning = context.partitionsBeingReassigned.contains { $0.topic == topic }
            let offline = context.partitions(of: topic).contains { tp in
                context.replicas(tp).contains { !context.isLive($0) }
            }
            if reassigning || offline { context.topicsIneligibleForDeletion.insert(topic) }
            for tp in context.partitions(of: topic) {
                for replica in context.replicas(tp) where !context.isLive(replica) {
                    context.replicaDeletionStates[tp, default: [:]][replica] = .ineligible
                }
            }
        }
    }

    /// The children of `/admin/delete_topics` changed (Kafka's `processTopicDeletion`).
    mutating func onTopicDeletionRequested(_ requested: Set<TopicName>) {
        let unknown = requested.filter { context.topics[$0] == nil }
        for topic in unknown { deleteTopicMarker(topic) }
        let topics = requested.subtracting(unknown)
        guard configuration.deleteTopicEnable else {
            for topic in topics { deleteTopicMarker(topic) }
            note("delete.topic.enable=false: removed \(topics.count) deletion requests")
            return
        }
        let newlyQueued = topics.subtracting(context.topicsToBeDeleted)
        guard !newlyQueued.isEmpty else { return }
        for topic in newlyQueued where context.partitionsBeingReassigned.contains(where: { $0.topic == topic }) {
            context.topicsIneligibleForDeletion.insert(topic)
        }
        context.topicsToBeDeleted.formUnion(newlyQueued)
        note("queued \(newlyQueued.sorted().map(\.rawValue)) for deletion")
        resumeDeletions()
    }

    /// A broker answered StopReplica(delete) for replicas of topics being deleted.
    mutating func onStopReplicaResponse(
        _ broker: BrokerID, error: ControllerErrorCode, partitions: [TopicPartition: ControllerErrorCode]
    ) {
        var failed: [TopicPartition] = []
        for (tp, code) in partitions where context.topicsWithDeletionStarted.contains(tp.topic) {
            guard context.replicaDeletionStates[tp]?[broker] == .started else { continue }
            if error.isError || code.isError {
                failed.append(tp)
                context.replicaDeletionStates[tp]?[broker] = .ineligible
                context.topicsIneligibleForDeletion.insert(tp.topic)
            } else {
                context.replicaDeletionStates[tp]?[broker] = .successful
            }
        }
        if !failed.isEmpty { note("broker \(broker) failed to delete \(failed.count) replicas") }
        resumeDeletions()
    }

    /// Replicas of topics being deleted that live on `brokers` (gone) cannot be deleted now.
    mutating func failReplicaDeletion(on brokers: Set<BrokerID>) {
        for topic in context.topicsToBeDeleted {
            var affected = false
            for tp in context.partitions(of: topic) {
                for replica in context.replicas(tp) where brokers.contains(replica) {
                    context.replicaDeletionStates[tp, default: [:]][replica] = .ineligible
                    affected = true
                }
            }
            if affected { context.topicsIneligibleForDeletion.insert(topic) }
        }
    }

    mutating func markTopicIneligibleForDeletion(_ topics: Set<TopicName>) {
        context.topicsIneligibleForDeletion.formUnion(topics.intersection(context.topicsToBeDeleted))
    }

    /// Kafka's `resumeDeletionForTopics`: the topics may be deletable again.
    mutating func resumeDeletion(for topics: Set<TopicName>) {
        let resumable = topics.intersection(context.topicsToBeDeleted)
        guard !resumable.isEmpty else { return }
        context.topicsIneligibleForDeletion.subtract(resumable)
        resumeDeletions()
    }

    /// Kafka's `resumeDeletions`: finish topics whose replicas are all deleted; retry failed replicas of topics with
    /// nothing in flight; start topics that are eligible.
    mutating func resumeDeletions() {
        guard configuration.deleteTopicEnable else { return }
        var eligible: [TopicName] = []
        for topic in context.topicsToBeDeleted.sorted() {
            let replicas = replicaStates(of: topic)
            if replicas.allSatisfy({ $0.state == .successful }) {
                completeDeleteTopic(topic)
                continue
            }
            let inFlight = replicas.contains { $0.state == .started }
            if !inFlight {
                for replica in replicas where replica.state == .ineligible && context.isLive(replica.broker) {
                    context.replicaDeletionStates[replica.tp]?[replica.broker] = nil
                }
            }
            if !inFlight && !context.topicsIneligibleForDeletion.contains(topic) { eligible.append(topic) }
        }
        if !eligible.isEmpty { startTopicDeletion(eligible) }
    }

    private func replicaStates(of topic: TopicName)
        -> [(tp: TopicPartition, broker: BrokerID, state: ControllerContext.ReplicaDeletionState?)]
    {
        context.partitions(of: topic).flatMap { tp in
            context.replicas(tp).map { (tp, $0, context.replicaDeletionStates[tp]?[$0]) }
        }
    }

    /// Kafka's `onTopicDeletion` + `onPartitionDeletion`.
    private mutating func startTopicDeletion(_ topics: [TopicName]) {
        context.topicsWithDeletionStarted.formUnion(topics)
        var partitions: [TopicPartition] = []
        for topic in topics { partitions += context.partitions(of: topic) }
        plan.batch.addUpdateMetadata(context.liveOrShuttingDownBrokerIDs, partitions: partitions)
        var ineligible: Set<TopicName> = []
        for tp in partitions {
            for replica in context.replicas(tp) {
                if context.replicaDeletionStates[tp]?[replica] == .successful { continue }
                if context.isLive(replica) {
                    context.replicaDeletionStates[tp, default: [:]][replica] = .started
                    plan.batch.addStopReplica([replica], tp, delete: true)
                } else {
                    context.replicaDeletionStates[tp, default: [:]][replica] = .ineligible
                    ineligible.insert(tp.topic)
                }
            }
        }
        context.topicsIneligibleForDeletion.formUnion(ineligible)
        note(
            "deleting \(topics.map(\.rawValue)): StopReplica(delete) sent; waiting on dead replicas of \(ineligible.sorted().map(\.rawValue))"
        )
    }

    /// Every replica is gone: delete the topic's znodes and forget it.
    private mutating func completeDeleteTopic(_ topic: TopicName) {
        plan.topicTreeDeletions.append(topic)
        context.removeTopic(topic)
        note("topic \(topic) deleted")
    }
}
