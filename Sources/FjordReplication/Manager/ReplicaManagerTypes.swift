import FjordModel
import FjordStorage
import KafkaProtocol

/// One partition's answer to a produce request.
public struct PartitionAppendResult: Sendable, Hashable {
    public var error: ErrorCode
    public var errorMessage: String?
    /// The offset of the first appended record (or of the original batch, for a duplicate); `-1` on error.
    public var baseOffset: Offset
    /// The broker time stamped on the batches under `LogAppendTime`, `-1` under `CreateTime` or on error.
    public var logAppendTime: TimestampMs
    public var logStartOffset: Offset

    public init(
        error: ErrorCode, errorMessage: String? = nil, baseOffset: Offset = .none, logAppendTime: TimestampMs = .none,
        logStartOffset: Offset = .none
    ) {
        self.error = error
        self.errorMessage = errorMessage
        self.baseOffset = baseOffset
        self.logAppendTime = logAppendTime
        self.logStartOffset = logStartOffset
    }

    mutating func fail(_ code: ErrorCode) {
        error = code
        baseOffset = .none
        logAppendTime = .none
    }
}

/// A consumer fetch, as the broker's Fetch handler decoded it (Fetch v4–v11: no sessions, no diverging epochs).
public struct ConsumerFetchRequest: Sendable {
    public var maxWaitMs: Int32
    public var minBytes: Int32
    public var maxBytes: Int32
    /// `read_committed`: bound by the last stable offset (the high watermark, as Fjord has no transactions).
    public var isolationCommitted: Bool
    public var partitions: [ConsumerFetchPartition]

    public init(
        maxWaitMs: Int32, minBytes: Int32, maxBytes: Int32, isolationCommitted: Bool,
        partitions: [ConsumerFetchPartition]
    ) {
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.isolationCommitted = isolationCommitted
        self.partitions = partitions
    }
}

public struct ConsumerFetchPartition: Sendable {
    public var topicPartition: TopicPartition
    public var fetchOffset: Offset
    /// The leader epoch the client believes current (Fetch v9+), `nil` when not given.
    public var currentLeaderEpoch: LeaderEpoch?
    public var partitionMaxBytes: Int32

    public init(
        topicPartition: TopicPartition, fetchOffset: Offset, currentLeaderEpoch: LeaderEpoch? = nil,
        partitionMaxBytes: Int32
    ) {
        self.topicPartition = topicPartition
        self.fetchOffset = fetchOffset
        self.currentLeaderEpoch = currentLeaderEpoch
        self.partitionMaxBytes = partitionMaxBytes
    }
}

/// One partition of a consumer fetch's answer.
public struct PartitionFetchResult: Sendable {
    public var topicPartition: TopicPartition
    public var error: ErrorCode
    public var highWatermark: Offset
    /// Equal to the high watermark (no transactions).
    public var lastStableOffset: Offset
    public var logStartOffset: Offset
    /// Whole batches as a file range (send with ``FjordStorage/LogReadResult/makeFileRegion()``), `nil` on error.
    public var records: LogReadResult?

    public init(
        topicPartition: TopicPartition, error: ErrorCode, highWatermark: Offset = .none,
        lastStableOffset: Offset = .none, logStartOffset: Offset = .none, records: LogReadResult? = nil
    ) {
        self.topicPartition = topicPartition
        self.error = error
        self.highWatermark = highWatermark
        self.lastStableOffset = lastStableOffset
        self.logStartOffset = logStartOffset
        self.records = records
    }
}

/// A ListOffsets answer for one partition.
public struct ListOffsetResult: Sendable, Hashable {
    public var error: ErrorCode
    /// `-1` when no offset matches (a timestamp later than every record).
    public var offset: Offset
    public var timestamp: TimestampMs
    public var leaderEpoch: LeaderEpoch

    public init(
        error: ErrorCode, offset: Offset = .none, timestamp: TimestampMs = .none, leaderEpoch: LeaderEpoch = .none
    ) {
        self.error = error
        self.offset = offset
        self.timestamp = timestamp
        self.leaderEpoch = leaderEpoch
    }
}
