import FjordCluster
import FjordModel

/// Everything the active controller knows about the cluster (Kafka's `ControllerContext`).
///
/// Owned by one ``ControllerCore``, which the shell drives from a single actor, one event at a time. It is a cache of
/// ZooKeeper: every field backed by a znode (assignments, partition states, admin nodes) changes only after the write
/// that puts the same value in ZooKeeper was planned, and is refreshed from ZooKeeper when such a write fails.
///
/// Invariants: `leadership` has entries only for partitions in `topics`; every `LeaderAndIsr` satisfies its own
/// invariants; `partitionsBeingReassigned` holds exactly the partitions whose assignment has adding or removing
/// replicas; `shuttingDownBrokers ⊆ liveBrokers.keys`.
public struct ControllerContext: Sendable {
    /// One topic: its id, the assignment of every partition, its `/brokers/topics/<t>` znode version, its overrides.
    public struct Topic: Hashable, Sendable {
        public var topicID: String?
        public var partitions: [PartitionID: PartitionAssignment]
        /// The version of `/brokers/topics/<t>`, expected by the next write of the assignment.
        public var zkVersion: Int32
        /// `/config/topics/<t>` overrides (only `unclean.leader.election.enable` matters to the controller).
        public var config: [String: String]

        public init(
            topicID: String?, partitions: [PartitionID: PartitionAssignment], zkVersion: Int32,
            config: [String: String] = [:]
        ) {
            self.topicID = topicID
            self.partitions = partitions
            self.zkVersion = zkVersion
            self.config = config
        }
    }

    /// Where a replica of a topic being deleted stands (Kafka's replica deletion states).
    public enum ReplicaDeletionState: Hashable, Sendable {
        /// StopReplica(delete) was sent; waiting for the answer.
        case started
        /// The broker deleted it.
        case successful
        /// Its broker is down or failed to delete it; deletion of the topic waits.
        case ineligible
    }

    /// `/admin/reassign_partitions` as last read or written: its entries and znode version.
    public struct ZkReassignment: Hashable, Sendable {
        public var targets: [TopicPartition: [BrokerID]]
        public var zkVersion: Int32
        public init(targets: [TopicPartition: [BrokerID]], zkVersion: Int32) {
            self.targets = targets
            self.zkVersion = zkVersion
        }
    }

    public var controllerID: Int32
    /// The epoch this controller won with (the value it wrote to `/controller_epoch`).
    public var epoch: ControllerEpoch
    /// The version of `/controller_epoch` after the election write; every controller write checks it.
    public var epochZkVersion: Int32

    public var liveBrokers: [BrokerID: LiveBroker] = [:]
    public var shuttingDownBrokers: Set<BrokerID> = []
    public var topics: [TopicName: Topic] = [:]
    /// Leader and ISR of every initialized partition. A partition in `topics` without an entry is new: its state
    /// znode does not exist yet (no replica was alive when it was created).
    public var leadership: [TopicPartition: LeaderAndIsr] = [:]
    public var partitionsBeingReassigned: Set<TopicPartition> = []
    public var zkReassignment: ZkReassignment?

    public var topicsToBeDeleted: Set<TopicName> = []
    public var topicsWithDeletionStarted: Set<TopicName> = []
    public var topicsIneligibleForDeletion: Set<TopicName> = []
    public var replicaDeletionStates: [TopicPartition: [BrokerID: ReplicaDeletionState]] = [:]

    public init(controllerID: Int32, epoch: ControllerEpoch, epochZkVersion: Int32) {
        self.controllerID = controllerID
        self.epoch = epoch
        self.epochZkVersion = epochZkVersion
    }
}

extension ControllerContext {
    // MARK: Brokers

    /// Registered and not shutting down: may lead and may join an ISR.
    public func isLive(_ broker: BrokerID) -> Bool {
        liveBrokers[broker] != nil && !shuttingDownBrokers.contains(broker)
    }

    /// Registered, shutting down or not: still receives control requests.
    public func isLiveOrShuttingDown(_ broker: BrokerID) -> Bool { liveBrokers[broker] != nil }

    public var liveBrokerIDs: Set<BrokerID> { Set(liveBrokers.keys).subtracting(shuttingDownBrokers) }
    public var liveOrShuttingDownBrokerIDs: [BrokerID] { liveBrokers.keys.sorted() }

    // MARK: Partitions

    public func assignment(_ tp: TopicPartition) -> PartitionAssignment? { topics[tp.topic]?.partitions[tp.partition] }

    /// RS: every replica assigned to the partition now (empty when unknown).
    public func replicas(_ tp: TopicPartition) -> [BrokerID] { assignment(tp)?.replicas ?? [] }

    public var allPartitions: [TopicPartition] {
        topics.flatMap { name, topic in topic.partitions.keys.map { TopicPartition(name, $0) } }.sorted()
    }

    public func partitions(of topic: TopicName) -> [TopicPartition] {
        (topics[topic]?.partitions.keys).map { $0.map { TopicPartition(topic, $0) }.sorted() } ?? []
    }

    /// Partitions with a replica on `broker`.
    public func partitions(on broker: BrokerID) -> [TopicPartition] {
        allPartitions.filter { replicas($0).contains(broker) }
    }

    /// Partitions `broker` leads.
    public func partitionsLed(by broker: BrokerID) -> [TopicPartition] {
        leadership.filter { $0.value.leader == broker }.keys.sorted()
    }

    public func isTopicQueuedForDeletion(_ topic: TopicName) -> Bool { topicsToBeDeleted.contains(topic) }

    /// Whether `unclean.leader.election.enable` holds for the topic (its override, else the cluster default).
    public func uncleanLeaderElectionEnabled(_ topic: TopicName, default defaultValue: Bool) -> Bool {
        guard let value = topics[topic]?.config["unclean.leader.election.enable"] else { return defaultValue }
        return value.trimmingWhitespace().lowercased() == "true"
    }

    public func topicName(forID id: String) -> TopicName? {
        topics.first { $0.value.topicID == id }?.key
    }

    /// The leader epoch StopReplica carries: -2 for a topic being deleted, else the current one, else -1.
    public func stopReplicaLeaderEpoch(_ tp: TopicPartition) -> LeaderEpoch {
        if isTopicQueuedForDeletion(tp.topic) { return LeaderAndIsr.epochDuringDelete }
        return leadership[tp]?.leaderEpoch ?? .none
    }

    /// Nil when the context's invariants hold, else the first violation.
    public func invariantViolation() -> String? {
        for (tp, state) in leadership {
            if assignment(tp) == nil { return "leadership for unknown partition \(tp)" }
            if let problem = state.invariantViolation() { return "\(tp): \(problem)" }
        }
        let reassigning = Set(allPartitions.filter { assignment($0)?.isBeingReassigned == true })
        if reassigning != partitionsBeingReassigned {
            return
                "reassigning partitions \(partitionsBeingReassigned.sorted()) but assignments say \(reassigning.sorted())"
        }
        if !shuttingDownBrokers.isSubset(of: Set(liveBrokers.keys)) {
            return "shutting-down brokers \(shuttingDownBrokers.sorted()) not all registered"
        }
        return nil
    }
}
