import FjordCluster
import FjordModel

extension EventPlanner {
    /// The set of topics changed (Kafka's `processTopicChange`): forget deleted ones, take in new ones and
    /// initialize their partitions.
    mutating func onTopicsChanged(all: Set<TopicName>, new: [TopicName: LoadedTopic]) {
        for topic in Set(context.topics.keys).subtracting(all).sorted() {
            context.removeTopic(topic)
            note("topic \(topic) disappeared")
        }
        for (topic, loaded) in new.sorted(by: { $0.key < $1.key }) where context.topics[topic] == nil {
            context.apply(loaded, to: topic)
            context.topics[topic]?.config = loaded.config
            if loaded.assignment.topicId == nil { assignTopicID(topic) }
            for tp in context.partitions(of: topic) { initializePartition(tp) }
            note("new topic \(topic) with \(loaded.assignment.partitions.count) partitions")
        }
    }

    /// A topic's assignment znode changed (Kafka's `processPartitionModifications`): new partitions are
    /// initialized, unless the topic is being deleted, in which case its previous assignment is written back.
    mutating func onTopicModified(_ topic: TopicName, _ loaded: LoadedTopic?) {
        guard let loaded, var entry = context.topics[topic] else { return }
        let added = loaded.assignment.replicas.filter { entry.partitions[$0.key] == nil }
        entry.zkVersion = loaded.zkVersion
        if loaded.assignment.topicId != nil { entry.topicID = loaded.assignment.topicId }
        context.topics[topic] = entry
        guard !added.isEmpty else { return }
        if context.isTopicQueuedForDeletion(topic) {
            note("\(topic): ignoring \(added.count) added partitions while the topic is being deleted")
            writeTopicAssignment(topic)
            return
        }
        for (p, replicas) in added.sorted(by: { $0.key < $1.key }) {
            context.topics[topic]?.partitions[p] = PartitionAssignment(replicas: replicas)
            initializePartition(TopicPartition(topic, p))
        }
        note("\(topic): \(added.count) partitions added")
    }
}
