import FjordModel

/// One member's subscription as the group leader sees it in the JoinGroup response.
struct GroupMemberSubscription: Sendable, Hashable {
    var memberId: String
    var groupInstanceId: String?
    var topics: Set<TopicName>
    /// Partitions the member holds now (cooperative rebalancing; empty with eager rebalancing).
    var ownedPartitions: [TopicPartition]
    /// The generation in which the member got `ownedPartitions`; -1 when unknown.
    var generation: Int32

    init(
        memberId: String, groupInstanceId: String? = nil, topics: Set<TopicName>,
        ownedPartitions: [TopicPartition] = [], generation: Int32 = -1
    ) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.topics = topics
        self.ownedPartitions = ownedPartitions
        self.generation = generation
    }

    /// Kafka's member order for assignors: by group instance id when both have one, else by member id.
    static func kafkaOrder(_ a: GroupMemberSubscription, _ b: GroupMemberSubscription) -> Bool {
        if let ia = a.groupInstanceId, let ib = b.groupInstanceId, ia != ib { return ia < ib }
        return a.memberId < b.memberId
    }
}

/// The assignors: pure functions from subscriptions and partition counts to each member's partitions. Every member
/// appears in the result (possibly with no partitions); topics missing from `partitionCounts` are skipped.
enum PartitionAssignors {
    static func assign(
        _ strategy: PartitionAssignmentStrategy, members: [GroupMemberSubscription], partitionCounts: [TopicName: Int]
    ) -> [String: [TopicPartition]] {
        switch strategy {
        case .range: RangeAssignor.assign(members: members, partitionCounts: partitionCounts)
        case .roundRobin: RoundRobinAssignor.assign(members: members, partitionCounts: partitionCounts)
        case .cooperativeSticky:
            CooperativeStickyAssignor.assign(members: members, partitionCounts: partitionCounts)
        }
    }
}

/// Kafka's `RangeAssignor`: for each topic, the subscribed members in member order each take a consecutive range;
/// with `n` partitions and `m` members, every member gets `n / m` and the first `n % m` one more.
enum RangeAssignor {
    static func assign(members: [GroupMemberSubscription], partitionCounts: [TopicName: Int])
        -> [String: [TopicPartition]]
    {
        var result = Dictionary(uniqueKeysWithValues: members.map { ($0.memberId, [TopicPartition]()) })
        let ordered = members.sorted(by: GroupMemberSubscription.kafkaOrder)
        let topics = Set(members.flatMap(\.topics)).sorted()
        for topic in topics {
            guard let count = partitionCounts[topic], count > 0 else { continue }
            let subscribed = ordered.filter { $0.topics.contains(topic) }
            let perMember = count / subscribed.count
            let extra = count % subscribed.count
            for (i, member) in subscribed.enumerated() {
                let start = perMember * i + min(i, extra)
                let length = perMember + (i < extra ? 1 : 0)
                for p in start..<(start + length) {
                    result[member.memberId, default: []].append(TopicPartition(topic, PartitionID(Int32(p))))
                }
            }
        }
        return result
    }
}

/// Kafka's `RoundRobinAssignor`: every partition of every subscribed topic, sorted by topic and partition, dealt
/// in turn to the members (in member order), skipping members not subscribed to the partition's topic.
enum RoundRobinAssignor {
    static func assign(members: [GroupMemberSubscription], partitionCounts: [TopicName: Int])
        -> [String: [TopicPartition]]
    {
        var result = Dictionary(uniqueKeysWithValues: members.map { ($0.memberId, [TopicPartition]()) })
        let ordered = members.sorted(by: GroupMemberSubscription.kafkaOrder)
        guard !ordered.isEmpty else { return result }
        var next = 0
        for topic in Set(members.flatMap(\.topics)).sorted() {
            guard let count = partitionCounts[topic] else { continue }
            for p in 0..<count {
                // Find the next member (cyclically) subscribed to this topic; one exists since the topic came from
                // some member's subscription.
                var tries = 0
                while !ordered[next % ordered.count].topics.contains(topic) && tries < ordered.count {
                    next += 1
                    tries += 1
                }
                let member = ordered[next % ordered.count]
                result[member.memberId, default: []].append(TopicPartition(topic, PartitionID(Int32(p))))
                next += 1
            }
        }
        return result
    }
}
