import FjordModel

/// What the producer state keeps of one appended batch of an idempotent producer: its sequence range and where it
/// landed, so that a retry of the same batch is answered with the original offsets instead of being appended again.
public struct ProducerBatchMetadata: Hashable, Sendable, CustomStringConvertible {
    /// The producer sequence of the batch's first record.
    public var firstSequence: Int32
    /// The producer sequence of the batch's last record (wraps to 0 after `Int32.max`).
    public var lastSequence: Int32
    public var firstOffset: Offset
    public var lastOffset: Offset
    /// The batch's max timestamp: the `LogAppendTime` a duplicate is answered with under that timestamp type.
    public var timestamp: TimestampMs

    public init(
        firstSequence: Int32, lastSequence: Int32, firstOffset: Offset, lastOffset: Offset, timestamp: TimestampMs
    ) {
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.timestamp = timestamp
    }

    public var description: String {
        "seq \(firstSequence)...\(lastSequence) at \(firstOffset)...\(lastOffset)"
    }
}
