import FjordModel

/// The content of `/brokers/topics/<topic>`: the replica assignment of every partition and the topic id.
///
/// `partitions` maps a partition number (as a decimal string, Kafka's format) to its replicas in preference order:
/// the first replica is the preferred leader. `addingReplicas`/`removingReplicas` describe a reassignment in
/// progress (KIP-455).
public struct TopicAssignment: Codable, Hashable, Sendable {
    public var version: Int = 3
    public var partitions: [String: [Int32]]
    public var topicId: String?
    public var addingReplicas: [String: [Int32]] = [:]
    public var removingReplicas: [String: [Int32]] = [:]

    enum CodingKeys: String, CodingKey {
        case version, partitions
        case topicId = "topic_id"
        case addingReplicas = "adding_replicas"
        case removingReplicas = "removing_replicas"
    }

    public init(
        replicas: [PartitionID: [BrokerID]], topicId: String?, adding: [PartitionID: [BrokerID]] = [:],
        removing: [PartitionID: [BrokerID]] = [:]
    ) {
        func raw(_ m: [PartitionID: [BrokerID]]) -> [String: [Int32]] {
            Dictionary(uniqueKeysWithValues: m.map { (String($0.key.rawValue), $0.value.map(\.rawValue)) })
        }
        self.partitions = raw(replicas)
        self.topicId = topicId
        self.addingReplicas = raw(adding)
        self.removingReplicas = raw(removing)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decodeIfPresent(Int.self, forKey: .version) ?? 1
        partitions = try c.decode([String: [Int32]].self, forKey: .partitions)
        topicId = try c.decodeIfPresent(String.self, forKey: .topicId)
        addingReplicas = try c.decodeIfPresent([String: [Int32]].self, forKey: .addingReplicas) ?? [:]
        removingReplicas = try c.decodeIfPresent([String: [Int32]].self, forKey: .removingReplicas) ?? [:]
    }

    /// Replicas per partition with typed keys; entries whose key is not a number are dropped.
    public var replicas: [PartitionID: [BrokerID]] { Self.typed(partitions) }
    public var adding: [PartitionID: [BrokerID]] { Self.typed(addingReplicas) }
    public var removing: [PartitionID: [BrokerID]] { Self.typed(removingReplicas) }

    private static func typed(_ m: [String: [Int32]]) -> [PartitionID: [BrokerID]] {
        var result: [PartitionID: [BrokerID]] = [:]
        for (key, value) in m {
            if let p = Int32(key) { result[PartitionID(p)] = value.map { BrokerID($0) } }
        }
        return result
    }
}

/// The content of `/config/topics/<topic>`: per-topic configuration overrides.
public struct TopicConfigNode: Codable, Hashable, Sendable {
    public var version: Int = 1
    public var config: [String: String]
    public init(config: [String: String]) { self.config = config }
}

/// The content of `/admin/reassign_partitions` (Kafka's format).
public struct ReassignmentRequest: Codable, Hashable, Sendable {
    public struct Entry: Codable, Hashable, Sendable {
        public var topic: String
        public var partition: Int32
        public var replicas: [Int32]
        public init(topic: String, partition: Int32, replicas: [Int32]) {
            self.topic = topic
            self.partition = partition
            self.replicas = replicas
        }
    }
    public var version: Int = 1
    public var partitions: [Entry]
    public init(partitions: [Entry]) { self.partitions = partitions }
}

/// The content of `/cluster/id`.
public struct ClusterIDNode: Codable, Hashable, Sendable {
    public var version: String = "1"
    public var id: String
    public init(id: String) { self.id = id }
}
