import FjordCluster
import FjordModel

/// The header every control request carries: who sends it, its epoch, and the epoch of the broker it is meant for.
/// A broker rejects a request whose controller epoch is older than one it has seen (STALE_CONTROLLER_EPOCH) or
/// whose broker epoch is not its own (STALE_BROKER_EPOCH, KIP-380).
public struct ControlRequestHeader: Hashable, Sendable {
    public var controllerID: Int32
    public var controllerEpoch: ControllerEpoch
    public var brokerEpoch: BrokerEpoch

    public init(controllerID: Int32, controllerEpoch: ControllerEpoch, brokerEpoch: BrokerEpoch) {
        self.controllerID = controllerID
        self.controllerEpoch = controllerEpoch
        self.brokerEpoch = brokerEpoch
    }
}

/// One partition's entry in a LeaderAndIsr request.
public struct LeaderAndIsrPartitionState: Hashable, Sendable {
    public var topicPartition: TopicPartition
    public var state: LeaderAndIsr
    public var assignment: PartitionAssignment
    /// The replica should not exist yet on the broker (new partition or replica added by a reassignment).
    public var isNew: Bool

    public init(topicPartition: TopicPartition, state: LeaderAndIsr, assignment: PartitionAssignment, isNew: Bool) {
        self.topicPartition = topicPartition
        self.state = state
        self.assignment = assignment
        self.isNew = isNew
    }
}

/// One partition's entry in an UpdateMetadata request.
public struct UpdateMetadataPartitionState: Hashable, Sendable {
    public var topicPartition: TopicPartition
    public var controllerEpoch: ControllerEpoch
    /// -2 (``LeaderAndIsr/leaderDuringDelete``) while the topic is being deleted: brokers drop the partition.
    public var leader: BrokerID
    public var leaderEpoch: LeaderEpoch
    public var isr: [BrokerID]
    public var partitionEpoch: PartitionEpoch
    public var replicas: [BrokerID]
    public var offlineReplicas: [BrokerID]

    public init(
        topicPartition: TopicPartition, controllerEpoch: ControllerEpoch, leader: BrokerID, leaderEpoch: LeaderEpoch,
        isr: [BrokerID], partitionEpoch: PartitionEpoch, replicas: [BrokerID], offlineReplicas: [BrokerID]
    ) {
        self.topicPartition = topicPartition
        self.controllerEpoch = controllerEpoch
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.isr = isr
        self.partitionEpoch = partitionEpoch
        self.replicas = replicas
        self.offlineReplicas = offlineReplicas
    }
}

/// One partition's entry in a StopReplica request.
public struct StopReplicaPartitionState: Hashable, Sendable {
    public var topicPartition: TopicPartition
    /// -2 while the topic is being deleted, else the current leader epoch, else -1.
    public var leaderEpoch: LeaderEpoch
    public var deletePartition: Bool

    public init(topicPartition: TopicPartition, leaderEpoch: LeaderEpoch, deletePartition: Bool) {
        self.topicPartition = topicPartition
        self.leaderEpoch = leaderEpoch
        self.deletePartition = deletePartition
    }
}

/// A request from the controller to one broker (Kafka's LeaderAndIsr, UpdateMetadata, StopReplica), independent of
/// the wire version; the shell encodes it.
public enum ControlRequest: Hashable, Sendable, CustomStringConvertible {
    case leaderAndIsr(
        ControlRequestHeader, partitions: [LeaderAndIsrPartitionState], topicIDs: [TopicName: String],
        liveLeaders: [LiveBroker])
    case updateMetadata(
        ControlRequestHeader, partitions: [UpdateMetadataPartitionState], topicIDs: [TopicName: String],
        liveBrokers: [LiveBroker])
    case stopReplica(ControlRequestHeader, partitions: [StopReplicaPartitionState])

    public var header: ControlRequestHeader {
        switch self {
        case .leaderAndIsr(let h, _, _, _), .updateMetadata(let h, _, _, _), .stopReplica(let h, _): h
        }
    }

    public var name: String {
        switch self {
        case .leaderAndIsr: "LeaderAndIsr"
        case .updateMetadata: "UpdateMetadata"
        case .stopReplica: "StopReplica"
        }
    }

    public var partitionCount: Int {
        switch self {
        case .leaderAndIsr(_, let p, _, _): p.count
        case .updateMetadata(_, let p, _, _): p.count
        case .stopReplica(_, let p): p.count
        }
    }

    public var description: String { "\(name)(\(partitionCount) partitions)" }
}

/// The control requests for one broker from one event, in the order they must be sent (LeaderAndIsr, then
/// UpdateMetadata, then StopReplica, as Kafka's request batch sends them).
public struct BrokerControlRequests: Hashable, Sendable {
    public var broker: BrokerID
    public var requests: [ControlRequest]

    public init(broker: BrokerID, requests: [ControlRequest]) {
        self.broker = broker
        self.requests = requests
    }
}
