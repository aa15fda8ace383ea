import FjordModel

/// One producer id's state in one partition: its current epoch and the metadata of its last
/// ``ProducerStateEntry/maxBatches`` batches (Kafka keeps five, the most a producer may have in flight with
/// `max.in.flight.requests.per.connection=5`).
///
/// Invariants: `batches` holds at most `maxBatches` entries, oldest first, all written under `epoch`, with
/// increasing offsets; a new epoch starts with an empty list.
public struct ProducerStateEntry: Hashable, Sendable {
    public static let maxBatches = 5

    public let producerID: ProducerID
    public private(set) var epoch: ProducerEpoch
    /// The most recent batches of `epoch`, oldest first.
    public private(set) var batches: [ProducerBatchMetadata]

    public init(producerID: ProducerID, epoch: ProducerEpoch, batches: [ProducerBatchMetadata] = []) {
        self.producerID = producerID
        self.epoch = epoch
        self.batches = Array(batches.suffix(Self.maxBatches))
    }

    /// The last sequence written under ``epoch``, `nil` when no batch is known.
    public var lastSequence: Int32? { batches.last?.lastSequence }

    /// The batch of `epoch` with exactly this sequence range, if it is one of the remembered ones.
    public func duplicate(epoch: ProducerEpoch, firstSequence: Int32, lastSequence: Int32) -> ProducerBatchMetadata? {
        guard epoch == self.epoch else { return nil }
        return batches.first { $0.firstSequence == firstSequence && $0.lastSequence == lastSequence }
    }

    /// Records an appended batch. A different epoch replaces the remembered batches (the producer was bumped, or
    /// the log holds an older epoch's batch after a rebuild: the later batch wins, as the log order says).
    public mutating func record(epoch: ProducerEpoch, batch: ProducerBatchMetadata) {
        if epoch != self.epoch {
            self.epoch = epoch
            batches.removeAll(keepingCapacity: true)
        }
        if batches.count == Self.maxBatches { batches.removeFirst() }
        batches.append(batch)
    }
}
