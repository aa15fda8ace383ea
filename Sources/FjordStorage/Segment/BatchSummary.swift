import FjordModel
import KafkaWire

/// What the log layer keeps of a batch header: enough to index, bound reads and assign epochs.
struct BatchSummary: Hashable, Sendable {
    var baseOffset: Offset
    var lastOffset: Offset
    var maxTimestamp: TimestampMs
    var sizeBytes: Int
    var leaderEpoch: LeaderEpoch
    var recordCount: Int32

    init(_ header: RecordBatchHeader) {
        baseOffset = header.baseOffset
        lastOffset = header.lastOffset
        maxTimestamp = header.maxTimestamp
        sizeBytes = header.totalSize
        leaderEpoch = header.partitionLeaderEpoch
        recordCount = header.recordCount
    }

    init(
        baseOffset: Offset, lastOffset: Offset, maxTimestamp: TimestampMs, sizeBytes: Int,
        leaderEpoch: LeaderEpoch = .none, recordCount: Int32 = 1
    ) {
        self.baseOffset = baseOffset
        self.lastOffset = lastOffset
        self.maxTimestamp = maxTimestamp
        self.sizeBytes = sizeBytes
        self.leaderEpoch = leaderEpoch
        self.recordCount = recordCount
    }

    var nextOffset: Offset { lastOffset + 1 }
}
