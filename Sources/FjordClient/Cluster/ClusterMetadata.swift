import FjordModel
import KafkaProtocol

/// A broker as Metadata lists it.
public struct BrokerInfo: Hashable, Sendable {
    public var id: BrokerID
    public var address: BrokerAddress
    public var rack: String?

    public init(id: BrokerID, address: BrokerAddress, rack: String? = nil) {
        self.id = id
        self.address = address
        self.rack = rack
    }
}

/// One partition as Metadata describes it.
public struct PartitionMetadata: Hashable, Sendable {
    public var partition: PartitionID
    /// The leader, nil when the partition has none (offline, or an election is under way).
    public var leader: BrokerID?
    public var leaderEpoch: LeaderEpoch
    public var replicas: [BrokerID]
    public var isr: [BrokerID]
    public var offlineReplicas: [BrokerID]
    /// The partition-level error (LEADER_NOT_AVAILABLE…), `.noError` normally.
    public var error: ErrorCode

    public init(
        partition: PartitionID, leader: BrokerID?, leaderEpoch: LeaderEpoch = .none, replicas: [BrokerID] = [],
        isr: [BrokerID] = [], offlineReplicas: [BrokerID] = [], error: ErrorCode = .noError
    ) {
        self.partition = partition
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.replicas = replicas
        self.isr = isr
        self.offlineReplicas = offlineReplicas
        self.error = error
    }

    /// Fewer in-sync replicas than replicas.
    public var isUnderReplicated: Bool { isr.count < replicas.count }
    /// No leader.
    public var isOffline: Bool { leader == nil }
}

/// One topic as Metadata describes it; `partitions` is sorted by partition id.
public struct TopicMetadata: Hashable, Sendable {
    public var name: TopicName
    public var error: ErrorCode
    public var isInternal: Bool
    public var partitions: [PartitionMetadata]

    public init(name: TopicName, error: ErrorCode = .noError, isInternal: Bool = false, partitions: [PartitionMetadata])
    {
        self.name = name
        self.error = error
        self.isInternal = isInternal
        self.partitions = partitions.sorted { $0.partition < $1.partition }
    }

    /// The replication factor: the replica count of partition 0 (Kafka's tools report it the same way).
    public var replicationFactor: Int { partitions.first?.replicas.count ?? 0 }
}

/// A snapshot of the cluster as the last Metadata responses described it. A plain value: the owner
/// (``ClusterClient``) replaces it whole on each refresh.
public struct ClusterMetadata: Hashable, Sendable {
    public var clusterId: String?
    /// The broker Metadata names as controller: where admin requests go. Nil when unknown (-1 on the wire).
    public var controllerId: BrokerID?
    public var brokers: [BrokerID: BrokerInfo]
    public var topics: [TopicName: TopicMetadata]

    public init(
        clusterId: String? = nil, controllerId: BrokerID? = nil, brokers: [BrokerID: BrokerInfo] = [:],
        topics: [TopicName: TopicMetadata] = [:]
    ) {
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.brokers = brokers
        self.topics = topics
    }

    /// The snapshot a Metadata response describes.
    public init(response: MetadataResponse) {
        var brokers: [BrokerID: BrokerInfo] = [:]
        for b in response.brokers {
            let id = BrokerID(b.nodeId)
            brokers[id] = BrokerInfo(id: id, address: BrokerAddress(host: b.host, port: Int(b.port)), rack: b.rack)
        }
        var topics: [TopicName: TopicMetadata] = [:]
        for t in response.topics {
            guard let name = t.name else { continue }
            let partitions = t.partitions.map { (p: MetadataResponse.MetadataResponsePartition) -> PartitionMetadata in
                PartitionMetadata(
                    partition: PartitionID(p.partitionIndex), leader: p.leaderId >= 0 ? BrokerID(p.leaderId) : nil,
                    leaderEpoch: LeaderEpoch(p.leaderEpoch), replicas: p.replicaNodes.map { BrokerID($0) },
                    isr: p.isrNodes.map { BrokerID($0) }, offlineReplicas: p.offlineReplicas.map { BrokerID($0) },
                    error: ErrorCode(p.errorCode))
            }
            topics[TopicName(name)] = TopicMetadata(
                name: TopicName(name), error: ErrorCode(t.errorCode), isInternal: t.isInternal, partitions: partitions)
        }
        self.init(
            clusterId: response.clusterId,
            controllerId: response.controllerId >= 0 ? BrokerID(response.controllerId) : nil,
            brokers: brokers, topics: topics)
    }

    /// This snapshot updated by a newer one that answered for `requested` topics only (nil: all topics): brokers and
    /// controller come from `newer`; topics it describes replace ours; with a full listing, topics it does not list
    /// are dropped (they were deleted).
    public func merging(_ newer: ClusterMetadata, requested: Set<TopicName>?) -> ClusterMetadata {
        var merged = newer
        if let requested {
            for (name, topic) in topics where !requested.contains(name) && merged.topics[name] == nil {
                merged.topics[name] = topic
            }
        }
        return merged
    }

    /// The leader of a partition, nil when unknown or when the partition has none.
    public func leader(for topicPartition: TopicPartition) -> BrokerID? {
        guard let topic = topics[topicPartition.topic] else { return nil }
        let index = Int(topicPartition.partition.rawValue)
        guard index >= 0, index < topic.partitions.count, topic.partitions[index].partition == topicPartition.partition
        else {
            return topic.partitions.first { $0.partition == topicPartition.partition }?.leader
        }
        return topic.partitions[index].leader
    }

    /// The partition count of a topic whose metadata has no topic-level error, nil otherwise.
    public func partitionCount(of topic: TopicName) -> Int? {
        guard let t = topics[topic], t.error == .noError, !t.partitions.isEmpty else { return nil }
        return t.partitions.count
    }
}
