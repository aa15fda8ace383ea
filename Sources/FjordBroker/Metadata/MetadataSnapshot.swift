import FjordModel
import KafkaWire

/// What the broker knows about the cluster at one moment: live brokers, partition leadership and topic ids, as the
/// controller last sent them in UpdateMetadata. Immutable; ``MetadataCache`` swaps whole snapshots.
public struct MetadataSnapshot: Sendable {
    /// A live broker and where each of its listeners is reachable.
    public struct Broker: Hashable, Sendable {
        public var id: BrokerID
        /// Listener name (upper case) → advertised host and port.
        public var endpoints: [String: HostPort]
        public var rack: String?

        public init(id: BrokerID, endpoints: [String: HostPort], rack: String?) {
            self.id = id
            self.endpoints = endpoints
            self.rack = rack
        }
    }

    public struct HostPort: Hashable, Sendable {
        public var host: String
        public var port: Int32
        public init(host: String, port: Int32) {
            self.host = host
            self.port = port
        }
    }

    /// One partition's leadership as the controller last announced it.
    public struct Partition: Hashable, Sendable {
        /// ``BrokerID/none`` when the partition is offline.
        public var leader: BrokerID
        public var leaderEpoch: LeaderEpoch
        public var isr: [BrokerID]
        public var replicas: [BrokerID]
        public var offlineReplicas: [BrokerID]
        /// The version of the partition's state znode.
        public var partitionEpoch: Int32

        public init(
            leader: BrokerID, leaderEpoch: LeaderEpoch, isr: [BrokerID], replicas: [BrokerID],
            offlineReplicas: [BrokerID] = [], partitionEpoch: Int32 = 0
        ) {
            self.leader = leader
            self.leaderEpoch = leaderEpoch
            self.isr = isr
            self.replicas = replicas
            self.offlineReplicas = offlineReplicas
            self.partitionEpoch = partitionEpoch
        }
    }

    public internal(set) var brokers: [BrokerID: Broker] = [:]
    public internal(set) var topics: [TopicName: [PartitionID: Partition]] = [:]
    public internal(set) var topicIDs: [TopicName: KafkaUUID] = [:]
    /// The controller process that sent the last UpdateMetadata, and its epoch.
    public internal(set) var controllerID: Int32 = -1
    public internal(set) var controllerEpoch: ControllerEpoch = .none
    /// Grows by one per applied UpdateMetadata.
    public internal(set) var generation: UInt64 = 0

    public init() {}

    /// Live broker ids in ascending order.
    public var liveBrokerIDs: [BrokerID] { brokers.keys.sorted() }

    /// The id reported as ControllerId in Metadata responses: the lowest live broker (PROFILE trap 8), which handles
    /// admin requests itself; -1 when no broker is known.
    public var reportedControllerID: Int32 { brokers.keys.min()?.rawValue ?? -1 }

    public func partition(_ tp: TopicPartition) -> Partition? { topics[tp.topic]?[tp.partition] }

    public func contains(_ topic: TopicName) -> Bool { topics[topic] != nil }

    /// Whether every partition of `topic` has a live leader.
    public func hasLeaders(_ topic: TopicName, partitionCount: Int? = nil) -> Bool {
        guard let partitions = topics[topic], !partitions.isEmpty else { return false }
        if let partitionCount, partitions.count < partitionCount { return false }
        return partitions.values.allSatisfy { $0.leader != .none && brokers[$0.leader] != nil }
    }

    /// The endpoint of `broker` on `listener`, if the broker is live and has that listener.
    public func endpoint(of broker: BrokerID, listener: String) -> HostPort? {
        brokers[broker]?.endpoints[listener]
    }
}
