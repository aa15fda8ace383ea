import FjordModel
import KafkaWire

/// The idempotent-producer state of one partition (Kafka's `ProducerStateManager`, without transactions): per
/// producer id, its epoch and its last five batches. Pure value; the replication layer keeps it next to the
/// partition's log under the partition's lock and updates it on every append, leader or follower, so that after a
/// failover the new leader still recognises retries of batches the old leader wrote.
///
/// Rules for a producer's batch on a leader append (``checkLeaderAppend(_:)``), Kafka ≥ 2.5 semantics:
/// - same epoch, same sequence range as one of the last five batches: a *duplicate*, answered with the original
///   offsets and not appended again;
/// - same epoch: the first sequence must follow the last one (`last + 1`, or `0` after `Int32.max`), else
///   OUT_OF_ORDER_SEQUENCE_NUMBER;
/// - older epoch: INVALID_PRODUCER_EPOCH;
/// - newer epoch: must start at sequence 0, else OUT_OF_ORDER_SEQUENCE_NUMBER;
/// - unknown producer id: accepted whatever its sequence (since KIP-360, Kafka 2.5, a producer whose state expired
///   or was never seen here is not refused with UNKNOWN_PRODUCER_ID; it is trusted and tracked from then on).
/// Batches without a producer id (`-1`) and control batches are not tracked.
///
/// Invariant: after ``rebuild(from:)`` or a sequence of ``record(_:baseOffset:)`` calls in log order, the table
/// holds exactly what a replay of the log's batches produces.
public struct ProducerStateTable: Hashable, Sendable {
    public private(set) var entries: [ProducerID: ProducerStateEntry] = [:]

    public init() {}

    public subscript(producerID: ProducerID) -> ProducerStateEntry? { entries[producerID] }

    public var count: Int { entries.count }

    /// What a leader append should do.
    public enum AppendCheck: Hashable, Sendable {
        /// Append the batches.
        case append
        /// One of the batches was already written: answer with its metadata and append nothing (Kafka answers the
        /// whole partition's request this way).
        case duplicate(ProducerBatchMetadata)
    }

    /// Checks the batches of one leader append, in order (each batch is checked against the state the earlier
    /// ones of the same append would leave). Changes nothing.
    public func checkLeaderAppend(_ headers: [RecordBatchHeader]) throws(ProducerStateError) -> AppendCheck {
        var overlay: [ProducerID: ProducerStateEntry] = [:]
        for header in headers where Self.isTracked(header) {
            let producerID = header.producerId
            let current = overlay[producerID] ?? entries[producerID]
            if let duplicate = current?.duplicate(
                epoch: header.producerEpoch, firstSequence: header.baseSequence, lastSequence: header.lastSequence)
            {
                return .duplicate(duplicate)
            }
            try Self.checkSequence(current, header)
            var next = current ?? ProducerStateEntry(producerID: producerID, epoch: header.producerEpoch)
            next.record(epoch: header.producerEpoch, batch: Self.metadata(header, baseOffset: .none))
            overlay[producerID] = next
        }
        return .append
    }

    /// Records a batch that is now in the log at `baseOffset` (leader appends after the log assigned offsets,
    /// follower appends and rebuilds with the batch's own base offset). Untracked batches are ignored.
    public mutating func record(_ header: RecordBatchHeader, baseOffset: Offset) {
        guard Self.isTracked(header) else { return }
        let metadata = Self.metadata(header, baseOffset: baseOffset)
        if entries[header.producerId] != nil {
            entries[header.producerId]!.record(epoch: header.producerEpoch, batch: metadata)
        } else {
            var entry = ProducerStateEntry(producerID: header.producerId, epoch: header.producerEpoch)
            entry.record(epoch: header.producerEpoch, batch: metadata)
            entries[header.producerId] = entry
        }
    }

    /// Replaces the state with a replay of `headers` (a log's batch headers in offset order).
    public mutating func rebuild(from headers: some Sequence<RecordBatchHeader>) {
        entries.removeAll(keepingCapacity: true)
        for header in headers { record(header, baseOffset: header.baseOffset) }
    }

    public mutating func clear() { entries.removeAll() }

    static func isTracked(_ header: RecordBatchHeader) -> Bool {
        header.producerId.rawValue >= 0 && !header.attributes.isControl
    }

    static func metadata(_ header: RecordBatchHeader, baseOffset: Offset) -> ProducerBatchMetadata {
        ProducerBatchMetadata(
            firstSequence: header.baseSequence, lastSequence: header.lastSequence, firstOffset: baseOffset,
            lastOffset: baseOffset.rawValue < 0 ? .none : baseOffset + Int64(header.lastOffsetDelta),
            timestamp: header.maxTimestamp)
    }

    /// Whether `next` is the sequence after `last` (sequences wrap from `Int32.max` to 0).
    public static func inSequence(last: Int32, next: Int32) -> Bool {
        Int64(next) == Int64(last) + 1 || (next == 0 && last == Int32.max)
    }

    private static func checkSequence(_ current: ProducerStateEntry?, _ header: RecordBatchHeader)
        throws(ProducerStateError)
    {
        guard let current else { return }  // unknown producer id: accepted (KIP-360)
        let producer = "producer \(header.producerId)"
        if header.producerEpoch < current.epoch {
            throw ProducerStateError(
                .invalidProducerEpoch,
                "\(producer) epoch \(header.producerEpoch) is older than the current epoch \(current.epoch)")
        }
        if header.producerEpoch > current.epoch {
            guard header.baseSequence == 0 else {
                throw ProducerStateError(
                    .outOfOrderSequence,
                    "\(producer) starts epoch \(header.producerEpoch) at sequence \(header.baseSequence), not 0")
            }
            return
        }
        guard let last = current.lastSequence else { return }
        guard inSequence(last: last, next: header.baseSequence) else {
            throw ProducerStateError(
                .outOfOrderSequence,
                "\(producer) epoch \(header.producerEpoch): sequence \(header.baseSequence) does not follow \(last)")
        }
    }
}
