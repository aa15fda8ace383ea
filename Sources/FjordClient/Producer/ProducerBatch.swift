import FjordModel
import KafkaWire
import NIOCore

/// Where the producer reports a record was stored.
public struct RecordMetadata: Hashable, Sendable {
    public var topic: TopicName
    public var partition: PartitionID
    /// The record's offset; `Offset.none` (-1) with `acks=0`, where the broker does not answer.
    public var offset: Offset
    /// The record's timestamp: the broker's LogAppendTime when the topic uses it, else the record's CreateTime.
    public var timestamp: TimestampMs

    public init(topic: TopicName, partition: PartitionID, offset: Offset, timestamp: TimestampMs) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
    }
}

/// The outcome of the records of one batch that were handed to ``Producer/enqueue(topic:key:value:headers:partition:timestamp:deliveryId:)``,
/// given to the producer's delivery report handler.
public struct DeliveryReport: Sendable {
    /// One delivered (or failed) record: the id the caller gave it, and its offset (-1 when unknown).
    public struct Delivery: Hashable, Sendable {
        public var id: UInt64
        public var offset: Offset
    }

    public var topicPartition: TopicPartition
    public var deliveries: [Delivery]
    /// Nil on success.
    public var error: KafkaClientError?
}

/// How a record's outcome reaches whoever sent it.
enum DeliveryCompletion: Sendable {
    /// `send`: resumes the caller with the record's metadata (the record's own timestamp kept for it).
    case continuation(CheckedContinuation<RecordMetadata, any Error>, TimestampMs)
    /// `enqueue`: reported through the delivery report handler under the caller's id.
    case report(id: UInt64)
}

/// The completions of one batch's records, in record order. Delivery-report ids are kept flat, one integer per
/// record (the `enqueue` path appends one per record and reports them by the million), and `send` continuations
/// aside with their record's index.
struct BatchCompletions: Sendable {
    /// A `send` record's continuation, the record's index in the batch and its own timestamp.
    struct Waiter: Sendable {
        var index: Int
        var continuation: CheckedContinuation<RecordMetadata, any Error>
        var timestamp: TimestampMs
    }

    /// Report ids by record index; the slot of a `send` record holds 0 and is not reported.
    private(set) var reportIds: [UInt64] = []
    /// `send` records, by ascending index.
    private(set) var waiters: [Waiter] = []

    /// Records in the batch.
    var count: Int { reportIds.count }

    mutating func append(_ completion: DeliveryCompletion) {
        switch completion {
        case .report(let id):
            reportIds.append(id)
        case .continuation(let continuation, let timestamp):
            waiters.append(Waiter(index: reportIds.count, continuation: continuation, timestamp: timestamp))
            reportIds.append(0)
        }
    }
}

/// A batch still taking records.
struct OpenBatch: Sendable {
    let id: UInt64
    let topicPartition: TopicPartition
    var builder: RecordBatchBuilder
    var completions = BatchCompletions()
    let createdNs: UInt64
    /// Bytes charged against `buffer.memory`: the records' sizes as estimated before partitioning (with zero
    /// offset and timestamp deltas). Not the batch's size: that is ``encodedSizeBytes``.
    var sizeBytes: Int = 0
    /// The first record's timestamp, from which the others' timestamp deltas are taken.
    private(set) var baseTimestamp = TimestampMs.none

    /// The batch's exact size before compression: the 61-byte header plus every record as encoded, with its real
    /// offset and timestamp deltas. This, not ``sizeBytes``, is what the broker checks against
    /// `max.message.bytes`.
    var encodedSizeBytes: Int { builder.uncompressedSizeBytes }

    /// Appends the record unless it would take ``encodedSizeBytes`` past `batchLimitBytes` (an empty batch takes
    /// any record).
    ///
    /// The test bounds the record's encoding in this batch from above: its offset and timestamp deltas grow with
    /// the batch and take up to 5 and 10 bytes where `size` (the zero-delta estimate) counts 1 each, and the
    /// record's length prefix may grow by a byte with them. Summing the estimates instead let a 1 MiB batch of
    /// 1 KiB records come out about 2 KB over its limit, and over the broker's `max.message.bytes`.
    mutating func tryAppend(
        _ record: RecordAccumulator.Append, size: Int, completion: DeliveryCompletion, batchLimitBytes: Int
    ) -> Bool {
        if builder.recordCount == 0 {
            baseTimestamp = record.timestamp
        } else {
            let deltaBytes =
                ByteBuffer.varlongSize(record.timestamp.rawValue &- baseTimestamp.rawValue)
                + ByteBuffer.varintSize(Int32(truncatingIfNeeded: builder.recordCount)) - 2
            let encodedBound = size + deltaBytes + (deltaBytes > 0 ? 1 : 0)
            if builder.uncompressedSizeBytes + encodedBound > batchLimitBytes { return false }
        }
        builder.append(key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp)
        completions.append(completion)
        sizeBytes += size
        return true
    }
}

/// A closed batch: built (and compressed), on the wire or waiting to be resent.
struct ReadyBatch: Sendable {
    let id: UInt64
    let topicPartition: TopicPartition
    /// The whole record batch as sent.
    var bytes: ByteBuffer
    let recordCount: Int
    var completions: BatchCompletions
    let createdNs: UInt64
    let sizeBytes: Int
    /// Sends so far.
    var attempts = 0
    /// Not to be resent before this (monotonic ns).
    var retryAtNs: UInt64 = 0
    /// Its idempotent sequence, nil without idempotence (or not yet stamped under the current identity).
    var sequence: AssignedSequence?
}

/// A batch in a partition's queue: still open, or closed and waiting to be resent.
enum QueuedBatch: Sendable {
    case open(OpenBatch)
    case ready(ReadyBatch)

    var id: UInt64 {
        switch self {
        case .open(let b): b.id
        case .ready(let b): b.id
        }
    }

    var createdNs: UInt64 {
        switch self {
        case .open(let b): b.createdNs
        case .ready(let b): b.createdNs
        }
    }
}

/// A batch the sender took from the queues for one request. Open batches were stamped (when idempotent) before
/// leaving the lock and are built by the sender outside it.
enum DrainedBatch: Sendable {
    case open(OpenBatch, AssignedSequence?)
    case ready(ReadyBatch)

    var topicPartition: TopicPartition {
        switch self {
        case .open(let b, _): b.topicPartition
        case .ready(let b): b.topicPartition
        }
    }
}

/// A batch whose records are done, one way or the other; its completions run outside the producer's lock.
struct FinishedBatch: Sendable {
    var topicPartition: TopicPartition
    var completions: BatchCompletions
    var result: Result<(baseOffset: Offset, logAppendTime: TimestampMs), KafkaClientError>

    /// Resumes every `send` and returns the delivery report for the `enqueue`d records, if any.
    func complete() -> DeliveryReport? {
        let baseOffset: Offset
        let error: KafkaClientError?
        switch result {
        case .success(let r):
            baseOffset = r.baseOffset
            error = nil
        case .failure(let e):
            baseOffset = .none
            error = e
        }
        func offset(_ index: Int) -> Offset { baseOffset == .none ? .none : baseOffset + Int64(index) }
        for waiter in completions.waiters {
            switch result {
            case .success(let r):
                waiter.continuation.resume(
                    returning: RecordMetadata(
                        topic: topicPartition.topic, partition: topicPartition.partition, offset: offset(waiter.index),
                        timestamp: r.logAppendTime == .none ? waiter.timestamp : r.logAppendTime))
            case .failure(let error):
                waiter.continuation.resume(throwing: error)
            }
        }
        let ids = completions.reportIds
        guard completions.waiters.count < ids.count else { return nil }
        var deliveries: [DeliveryReport.Delivery] = []
        deliveries.reserveCapacity(ids.count - completions.waiters.count)
        var nextWaiter = 0
        for index in ids.indices {
            if nextWaiter < completions.waiters.count, completions.waiters[nextWaiter].index == index {
                nextWaiter += 1
                continue
            }
            deliveries.append(DeliveryReport.Delivery(id: ids[index], offset: offset(index)))
        }
        return DeliveryReport(topicPartition: topicPartition, deliveries: deliveries, error: error)
    }
}
