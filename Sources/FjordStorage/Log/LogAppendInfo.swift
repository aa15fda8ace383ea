import FjordModel

/// What an append did: the offsets the batches got and what the produce response and the replication layer need.
public struct LogAppendInfo: Hashable, Sendable {
    /// Base offset of the first batch appended (`.none` for an empty append).
    public var firstOffset: Offset
    /// Last offset of the last batch appended (`.none` for an empty append).
    public var lastOffset: Offset
    /// The largest batch max timestamp among the appended batches (`.none` when none has one).
    public var maxTimestamp: TimestampMs
    /// The last offset of the first batch carrying ``maxTimestamp``.
    public var offsetOfMaxTimestamp: Offset
    /// The broker time stamped on the batches under `LogAppendTime`, `.none` under `CreateTime` (as Kafka's produce
    /// response reports it).
    public var logAppendTime: TimestampMs
    /// The log start offset after the append (for the produce response).
    public var logStartOffset: Offset
    /// The log end offset after the append.
    public var logEndOffset: Offset
    public var batchCount: Int
    /// Sum of the batches' record counts.
    public var recordCount: Int64
    public var sizeBytes: Int
    /// Whether the append first rolled a new segment.
    public var rolledSegment: Bool
    /// Whether the flush policy (`flush.messages`) asks the caller to run ``PartitionLog/flush(upTo:)`` now, off
    /// the event loop.
    public var flushNeeded: Bool
}

/// A timestamp lookup's answer (ListOffsets): the offset, the timestamp found there and the batch's leader epoch.
public struct TimestampAndOffset: Hashable, Sendable {
    public var timestamp: TimestampMs
    public var offset: Offset
    public var leaderEpoch: LeaderEpoch

    public init(timestamp: TimestampMs, offset: Offset, leaderEpoch: LeaderEpoch) {
        self.timestamp = timestamp
        self.offset = offset
        self.leaderEpoch = leaderEpoch
    }
}
