import FjordCluster
import FjordModel

/// The content of `/consumer_groups/<g>/offsets`: every committed offset of the group, by topic then partition.
///
/// ```json
/// {"version":1,"offsets":{"orders":{"0":{"offset":42,"leader_epoch":3,"metadata":"","commit_timestamp":1700000000000}}}}
/// ```
/// One node per group keeps an OffsetCommit to one ZooKeeper write whatever its partition count. ZooKeeper's default
/// `jute.maxbuffer` (1 MiB) bounds it: roughly 10,000 partitions with short metadata (docs/group-coordinator.md).
public struct GroupOffsetsRecord: Codable, Hashable, Sendable {
    public var version: Int = 1
    public var offsets: [String: [String: CommittedOffsetRecord]]

    public init(offsets: [String: [String: CommittedOffsetRecord]]) {
        self.offsets = offsets
    }

    public init(_ committed: [TopicPartition: CommittedOffset]) {
        var offsets: [String: [String: CommittedOffsetRecord]] = [:]
        for (partition, value) in committed {
            offsets[partition.topic.rawValue, default: [:]][String(partition.partition.rawValue)] =
                CommittedOffsetRecord(value)
        }
        self.offsets = offsets
    }

    /// The offsets as the coordinator uses them; throws on a partition key that is not a non-negative integer.
    public func committedOffsets(path: String) throws(ClusterStateError) -> CommittedOffsets {
        var result: [TopicPartition: CommittedOffset] = [:]
        for (topic, partitions) in offsets {
            for (key, record) in partitions {
                guard let index = Int32(key), index >= 0 else {
                    throw ClusterStateError("\(path): partition key \"\(key)\" of topic \(topic) is not a partition")
                }
                result[TopicPartition(TopicName(topic), PartitionID(index))] = record.committedOffset
            }
        }
        return CommittedOffsets(result)
    }
}

/// One partition's entry in ``GroupOffsetsRecord``.
public struct CommittedOffsetRecord: Codable, Hashable, Sendable {
    public var offset: Int64
    public var leaderEpoch: Int32
    public var metadata: String
    public var commitTimestamp: Int64
    public var expireTimestamp: Int64?

    enum CodingKeys: String, CodingKey {
        case offset, metadata
        case leaderEpoch = "leader_epoch"
        case commitTimestamp = "commit_timestamp"
        case expireTimestamp = "expire_timestamp"
    }

    public init(_ value: CommittedOffset) {
        offset = value.offset.rawValue
        leaderEpoch = value.leaderEpoch.rawValue
        metadata = value.metadata
        commitTimestamp = value.commitTimestamp.rawValue
        expireTimestamp = value.expireTimestamp?.rawValue
    }

    public var committedOffset: CommittedOffset {
        CommittedOffset(
            offset: Offset(offset), leaderEpoch: LeaderEpoch(leaderEpoch), metadata: metadata,
            commitTimestamp: TimestampMs(commitTimestamp), expireTimestamp: expireTimestamp.map { TimestampMs($0) })
    }
}
