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

/// A batch still taking records.
struct OpenBatch: Sendable {
    let id: UInt64
    let topicPartition: TopicPartition
    var builder: RecordBatchBuilder
    var completions: [DeliveryCompletion] = []
    let createdNs: UInt64
    /// Bytes charged against `buffer.memory`: the records' encoded size.
    var sizeBytes: Int = 0

    /// Appends the record unless it would take the batch past `batchSizeBytes` (an empty batch takes any record).
    mutating func tryAppend(
        _ record: RecordAccumulator.Append, size: Int, completion: DeliveryCompletion, batchSizeBytes: Int
    ) -> Bool {
        if builder.recordCount > 0 && sizeBytes + size > batchSizeBytes { return false }
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
    var completions: [DeliveryCompletion]
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
    var completions: [DeliveryCompletion]
    var result: Result<(baseOffset: Offset, logAppendTime: TimestampMs), KafkaClientError>

    /// Resumes every `send` and returns the delivery report for the `enqueue`d records, if any.
    func complete() -> DeliveryReport? {
        var deliveries: [DeliveryReport.Delivery] = []
        for (index, completion) in completions.enumerated() {
            let offset: Offset
            switch result {
            case .success(let r): offset = r.baseOffset == .none ? .none : r.baseOffset + Int64(index)
            case .failure: offset = .none
            }
            switch completion {
            case .continuation(let continuation, let timestamp):
                switch result {
                case .success(let r):
                    continuation.resume(
                        returning: RecordMetadata(
                            topic: topicPartition.topic, partition: topicPartition.partition, offset: offset,
                            timestamp: r.logAppendTime == .none ? timestamp : r.logAppendTime))
                case .failure(let error):
                    continuation.resume(throwing: error)
                }
            case .report(let id):
                deliveries.append(DeliveryReport.Delivery(id: id, offset: offset))
            }
        }
        guard !deliveries.isEmpty else { return nil }
        let error: KafkaClientError? =
            switch result {
            case .success: nil
            case .failure(let e): e
            }
        return DeliveryReport(topicPartition: topicPartition, deliveries: deliveries, error: error)
    }
}
