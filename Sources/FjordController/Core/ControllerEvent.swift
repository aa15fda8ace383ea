import FjordCluster
import FjordModel

/// A topic as read from ZooKeeper: `/brokers/topics/<t>` (content and version) and `/config/topics/<t>`.
public struct LoadedTopic: Hashable, Sendable {
    public var assignment: TopicAssignment
    public var zkVersion: Int32
    public var config: [String: String]

    public init(assignment: TopicAssignment, zkVersion: Int32, config: [String: String] = [:]) {
        self.assignment = assignment
        self.zkVersion = zkVersion
        self.config = config
    }
}

/// Everything a newly elected controller reads before acting (Kafka's `initializeControllerContext`).
public struct ClusterSnapshot: Hashable, Sendable {
    public var epoch: ControllerEpoch
    public var epochZkVersion: Int32
    public var brokers: [LiveBroker]
    public var topics: [TopicName: LoadedTopic]
    /// Every existing `state` znode, with its version as the partition epoch.
    public var partitionStates: [TopicPartition: LeaderAndIsr]
    /// Children of `/admin/delete_topics`.
    public var topicsToDelete: Set<TopicName>
    /// `/admin/reassign_partitions`, if it exists.
    public var reassignment: ControllerContext.ZkReassignment?
    /// `/admin/preferred_replica_election`, if it exists.
    public var preferredReplicaElection: Set<TopicPartition>?

    public init(
        epoch: ControllerEpoch, epochZkVersion: Int32, brokers: [LiveBroker], topics: [TopicName: LoadedTopic],
        partitionStates: [TopicPartition: LeaderAndIsr], topicsToDelete: Set<TopicName> = [],
        reassignment: ControllerContext.ZkReassignment? = nil, preferredReplicaElection: Set<TopicPartition>? = nil
    ) {
        self.epoch = epoch
        self.epochZkVersion = epochZkVersion
        self.brokers = brokers
        self.topics = topics
        self.partitionStates = partitionStates
        self.topicsToDelete = topicsToDelete
        self.reassignment = reassignment
        self.preferredReplicaElection = preferredReplicaElection
    }
}

/// A topic named in a request: by name (AlterPartition v0–1) or by topic id (v2+).
public enum TopicReference: Hashable, Sendable, CustomStringConvertible {
    case name(TopicName)
    case id(String)

    public var description: String {
        switch self {
        case .name(let n): n.rawValue
        case .id(let id): "id:\(id)"
        }
    }
}

/// An AlterPartition request from a partition leader (KIP-497), independent of the wire version.
public struct AlterPartitionRequest: Hashable, Sendable {
    public struct Partition: Hashable, Sendable {
        public var partition: PartitionID
        public var leaderEpoch: LeaderEpoch
        public var newIsr: [BrokerID]
        public var leaderRecoveryState: Int8
        /// The partition epoch the leader last saw; the write expects it.
        public var partitionEpoch: PartitionEpoch

        public init(
            partition: PartitionID, leaderEpoch: LeaderEpoch, newIsr: [BrokerID], leaderRecoveryState: Int8 = 0,
            partitionEpoch: PartitionEpoch
        ) {
            self.partition = partition
            self.leaderEpoch = leaderEpoch
            self.newIsr = newIsr
            self.leaderRecoveryState = leaderRecoveryState
            self.partitionEpoch = partitionEpoch
        }
    }

    public struct Topic: Hashable, Sendable {
        public var topic: TopicReference
        public var partitions: [Partition]
        public init(topic: TopicReference, partitions: [Partition]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    public var brokerID: BrokerID
    public var brokerEpoch: BrokerEpoch
    /// The request's API version: v2+ name topics by id; before v2 INELIGIBLE_REPLICA is OPERATION_NOT_ATTEMPTED.
    public var version: Int16
    public var topics: [Topic]

    public init(brokerID: BrokerID, brokerEpoch: BrokerEpoch, version: Int16, topics: [Topic]) {
        self.brokerID = brokerID
        self.brokerEpoch = brokerEpoch
        self.version = version
        self.topics = topics
    }
}

/// Kafka's election types for ElectLeaders.
public enum ElectionType: Int8, Hashable, Sendable {
    case preferred = 0
    case unclean = 1
}

/// Something the controller reacts to. The shell turns watches, requests and timers into these and hands them to
/// ``ControllerCore`` one at a time, in arrival order (Kafka's `ControllerEventManager`).
public enum ControllerEvent: Hashable, Sendable {
    /// This controller won the election and read the cluster.
    case becameActive(ClusterSnapshot)
    /// This controller lost its session or its epoch: forget everything.
    case resigned
    /// The children of `/brokers/ids` changed: the current registrations with their epochs.
    case brokersChanged([LiveBroker])
    /// A broker's registration data changed (same epoch, for example new endpoints).
    case brokerModified(LiveBroker)
    /// The children of `/brokers/topics` changed: every topic now, and the data of topics new to the controller.
    case topicsChanged(all: Set<TopicName>, new: [TopicName: LoadedTopic])
    /// `/brokers/topics/<t>` changed (partitions added); nil when it is gone.
    case topicModified(TopicName, LoadedTopic?)
    /// The children of `/admin/delete_topics`.
    case topicDeletionRequested(Set<TopicName>)
    /// `/admin/reassign_partitions` was created with this content.
    case zkReassignmentRequested(ControllerContext.ZkReassignment)
    /// `/admin/preferred_replica_election` was created with these partitions.
    case preferredReplicaElectionRequested(Set<TopicPartition>)
    case alterPartition(AlterPartitionRequest)
    case controlledShutdown(broker: BrokerID, brokerEpoch: BrokerEpoch)
    /// Target replicas per partition; nil cancels the reassignment in progress.
    case alterPartitionReassignments([TopicPartition: [BrokerID]?])
    /// nil lists every reassignment in progress.
    case listPartitionReassignments(Set<TopicPartition>?)
    /// nil means every partition.
    case electLeaders(ElectionType, Set<TopicPartition>?)
    /// The `leader.imbalance.check.interval.seconds` timer fired.
    case autoLeaderRebalance
    /// A broker answered a StopReplica request that deleted replicas.
    case stopReplicaResponse(
        broker: BrokerID, error: ControllerErrorCode, partitions: [TopicPartition: ControllerErrorCode])
    /// Re-derive what to do from the context (after a write conflict refreshed it): elect leaders for offline and
    /// new partitions, complete reassignments that can complete, resume topic deletions.
    case reconcile(attempt: Int)
    /// Resume reassignments of these partitions (internal follow-up).
    case resumeReassignments(Set<TopicPartition>)
    /// Complete the reassignments of these partitions whose target replicas are now all in the ISR (internal
    /// follow-up of an accepted AlterPartition).
    case maybeCompleteReassignments(Set<TopicPartition>)
    /// Start or resume queued topic deletions (internal follow-up).
    case resumeTopicDeletion
}
