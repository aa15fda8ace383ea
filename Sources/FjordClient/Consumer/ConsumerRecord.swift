import FjordModel
import KafkaWire
import NIOCore

/// A record as the consumer returns it. `key`, `value` and header values share storage with the fetched
/// response (no copy).
public struct ConsumerRecord: Sendable, Hashable {
    public var topic: TopicName
    public var partition: PartitionID
    public var offset: Offset
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]
    public var timestamp: TimestampMs
    /// Whether ``timestamp`` is the broker's LogAppendTime (else the producer's CreateTime).
    public var isLogAppendTime: Bool

    public init(
        topic: TopicName, partition: PartitionID, offset: Offset, key: ByteBuffer?, value: ByteBuffer?,
        headers: [RecordHeader] = [], timestamp: TimestampMs, isLogAppendTime: Bool = false
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.isLogAppendTime = isLogAppendTime
    }

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }
}

/// A change of the consumer's assignment, delivered on ``Consumer/rebalanceEvents``.
public enum RebalanceEvent: Sendable, Hashable {
    /// Partitions newly assigned (with cooperative rebalancing: only the added ones).
    case assigned([TopicPartition])
    /// Partitions given up in a rebalance (their processed positions were committed first with auto-commit).
    case revoked([TopicPartition])
    /// Partitions lost without a chance to commit (the member was dropped from the group).
    case lost([TopicPartition])
}

/// Where ``Consumer/seek(_:to:)`` moves a partition's position.
public enum SeekTarget: Sendable, Hashable {
    case offset(Offset)
    case beginning
    case end
    /// The earliest offset whose timestamp is at or after this time (ListOffsets by timestamp); the end when none.
    case timestamp(TimestampMs)
}
