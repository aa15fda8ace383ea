import FjordModel
import KafkaWire
import NIOCore

/// A follower's fetch: one request per (follower, leader) pair carries every partition the follower replicates
/// from that leader. Body layout, version 0:
///
///     replica_id            int32   the follower's broker id
///     broker_epoch          int64   the follower's broker epoch (czxid of its registration)
///     max_wait_ms           int32   long-poll bound
///     min_bytes             int32   answer early once this many record bytes are available
///     max_bytes             int32   bound on record bytes in the whole response (first batch excepted)
///     topics                int32 count, then per topic:
///       topic               string
///       partitions          int32 count, then per partition:
///         partition             int32
///         current_leader_epoch  int32   the leader epoch the follower believes current
///         fetch_offset          int64   the follower's log end offset
///         last_fetched_epoch    int32   epoch of the follower's last batch, -1 when its log is empty
///         log_start_offset      int64   the follower's log start offset
///         partition_max_bytes   int32
public struct ReplicaFetchRequest: Hashable, Sendable {
    public struct Partition: Hashable, Sendable {
        public var topicPartition: TopicPartition
        public var currentLeaderEpoch: LeaderEpoch
        public var fetchOffset: Offset
        public var lastFetchedEpoch: LeaderEpoch
        public var logStartOffset: Offset
        public var partitionMaxBytes: Int32

        public init(
            topicPartition: TopicPartition, currentLeaderEpoch: LeaderEpoch, fetchOffset: Offset,
            lastFetchedEpoch: LeaderEpoch, logStartOffset: Offset, partitionMaxBytes: Int32
        ) {
            self.topicPartition = topicPartition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.fetchOffset = fetchOffset
            self.lastFetchedEpoch = lastFetchedEpoch
            self.logStartOffset = logStartOffset
            self.partitionMaxBytes = partitionMaxBytes
        }
    }

    public var replicaID: BrokerID
    public var brokerEpoch: BrokerEpoch
    public var maxWaitMs: Int32
    public var minBytes: Int32
    public var maxBytes: Int32
    /// In request order; encoded grouped by topic, topics in order of first appearance.
    public var partitions: [Partition]

    public init(
        replicaID: BrokerID, brokerEpoch: BrokerEpoch, maxWaitMs: Int32, minBytes: Int32, maxBytes: Int32,
        partitions: [Partition]
    ) {
        self.replicaID = replicaID
        self.brokerEpoch = brokerEpoch
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.partitions = partitions
    }

    static let partitionBytes = 4 + 4 + 8 + 4 + 8 + 4
    static let topicMinimumBytes = 2 + 4

    public func write(to buffer: inout ByteBuffer, version: Int16) {
        precondition(ReplicaFetchProtocol.supportedVersions.contains(version), "replica fetch version \(version)")
        buffer.writeInteger(replicaID.rawValue)
        buffer.writeInteger(brokerEpoch.rawValue)
        buffer.writeInteger(maxWaitMs)
        buffer.writeInteger(minBytes)
        buffer.writeInteger(maxBytes)
        let groups = Self.groupedByTopic(partitions)
        buffer.writeInteger(Int32(groups.count))
        for (topic, members) in groups {
            buffer.writeReplicaFetchString(topic.rawValue)
            buffer.writeInteger(Int32(members.count))
            for p in members {
                buffer.writeInteger(p.topicPartition.partition.rawValue)
                buffer.writeInteger(p.currentLeaderEpoch.rawValue)
                buffer.writeInteger(p.fetchOffset.rawValue)
                buffer.writeInteger(p.lastFetchedEpoch.rawValue)
                buffer.writeInteger(p.logStartOffset.rawValue)
                buffer.writeInteger(p.partitionMaxBytes)
            }
        }
    }

    /// Decodes a body of `version`, never trusting counts or lengths beyond the bytes present and `limits`.
    public init(from buffer: inout ByteBuffer, version: Int16, limits: ReplicaFetchProtocol.Limits)
        throws(KafkaWireError)
    {
        guard ReplicaFetchProtocol.supportedVersions.contains(version) else {
            throw .unsupportedVersion(
                "ReplicaFetchRequest", version: version, valid: ReplicaFetchProtocol.supportedVersions)
        }
        replicaID = BrokerID(try buffer.readInt32())
        brokerEpoch = BrokerEpoch(try buffer.readInt64())
        maxWaitMs = try buffer.readInt32()
        minBytes = try buffer.readInt32()
        maxBytes = try buffer.readInt32()
        let topicCount = try buffer.readReplicaFetchCount(
            maxCount: limits.maxPartitions, minimumElementBytes: Self.topicMinimumBytes, what: "replica fetch topics")
        var partitions: [Partition] = []
        for _ in 0..<topicCount {
            let topic = TopicName(
                try buffer.readReplicaFetchString(maxBytes: limits.maxTopicNameBytes, what: "replica fetch topic"))
            let count = try buffer.readReplicaFetchCount(
                maxCount: limits.maxPartitions - partitions.count, minimumElementBytes: Self.partitionBytes,
                what: "replica fetch partitions")
            partitions.reserveCapacity(partitions.count + count)
            for _ in 0..<count {
                let index = PartitionID(try buffer.readInt32())
                partitions.append(
                    Partition(
                        topicPartition: TopicPartition(topic, index),
                        currentLeaderEpoch: LeaderEpoch(try buffer.readInt32()),
                        fetchOffset: Offset(try buffer.readInt64()),
                        lastFetchedEpoch: LeaderEpoch(try buffer.readInt32()),
                        logStartOffset: Offset(try buffer.readInt64()), partitionMaxBytes: try buffer.readInt32()))
            }
        }
        self.partitions = partitions
    }

    static func groupedByTopic<T>(_ items: [T], topic: (T) -> TopicName) -> [(TopicName, [T])] {
        var order: [TopicName] = []
        var groups: [TopicName: [T]] = [:]
        for item in items {
            let name = topic(item)
            if groups[name] == nil { order.append(name) }
            groups[name, default: []].append(item)
        }
        return order.map { ($0, groups[$0]!) }
    }

    static func groupedByTopic(_ partitions: [Partition]) -> [(TopicName, [Partition])] {
        groupedByTopic(partitions) { $0.topicPartition.topic }
    }
}
