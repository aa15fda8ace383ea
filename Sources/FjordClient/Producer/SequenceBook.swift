import FjordModel
import KafkaProtocol

/// The producer id and epoch an idempotent producer stamps on its batches.
struct ProducerIdentity: Hashable, Sendable {
    var producerId: ProducerID
    var epoch: ProducerEpoch
}

/// A batch's place in its partition's sequence stream: the identity generation it was stamped under and its
/// first sequence number.
struct AssignedSequence: Hashable, Sendable {
    var generation: Int
    var baseSequence: Int32
}

/// Idempotent-producer bookkeeping: per partition, the next sequence to hand out, the last acknowledged one, and the
/// batches stamped but not yet finished, in stamping order.
///
/// Invariants (these are what keep retries from duplicating or reordering records):
/// - Sequences are handed out when a batch is first drained, consecutively per partition, wrapping from
///   `Int32.max` to 0 as Kafka does.
/// - A stamped batch keeps its sequence across retries, so the broker recognises a resent batch it already wrote
///   (DUPLICATE_SEQUENCE_NUMBER, answered as success).
/// - A stamped batch is only (re)sent when it is the oldest unfinished batch of its partition
///   (``mayResend(_:sequence:)``), so retries go out strictly in sequence order, one at a time.
/// - When the sequence stream of any partition can no longer be trusted (a stamped batch failed for good, the
///   broker lost the producer's state: UNKNOWN_PRODUCER_ID, or OUT_OF_ORDER_SEQUENCE_NUMBER for the batch right
///   after the last acknowledged one, which is what a failover to a replica without the producer's state looks
///   like) a reset is requested: nothing is drained until no batch is on the wire, then a new identity is
///   obtained (InitProducerId; Fjord brokers do not support epoch bumps, so this is a new producer id, as the Java
///   client does against such brokers), every partition restarts at sequence 0, and queued batches are
///   re-stamped in queue order.
struct SequenceBook: Sendable {
    struct Partition: Sendable {
        var nextSequence: Int32 = 0
        var lastAckedSequence: Int32 = -1
        /// Base sequences of stamped, unfinished batches, oldest first.
        var unfinished: [Int32] = []
    }

    private(set) var identity: ProducerIdentity?
    /// Bumped with each identity; a batch stamped under an older generation is re-stamped before it is sent.
    private(set) var generation = 0
    private(set) var partitions: [TopicPartition: Partition] = [:]
    /// A new identity is needed before anything more is sent.
    private(set) var resetRequested = false

    /// Whether batches may be stamped and sent now.
    var canSend: Bool { identity != nil && !resetRequested }

    /// Installs a new identity: every partition starts over at sequence 0.
    mutating func install(_ newIdentity: ProducerIdentity) {
        identity = newIdentity
        generation += 1
        partitions = [:]
        resetRequested = false
    }

    /// Asks for a new identity (see the type's documentation for when).
    mutating func requestReset() {
        resetRequested = true
    }

    /// Whether `sequence` (of a batch of `topicPartition`) was stamped under the current identity.
    func isCurrent(_ sequence: AssignedSequence?) -> Bool {
        guard let sequence else { return false }
        return sequence.generation == generation
    }

    /// Stamps a batch of `recordCount` records: returns its sequence and advances the partition's next one.
    mutating func assign(_ topicPartition: TopicPartition, recordCount: Int) -> AssignedSequence {
        precondition(identity != nil, "sequences are assigned only under a producer identity")
        var p = partitions[topicPartition] ?? Partition()
        let base = p.nextSequence
        p.nextSequence = Self.advance(base, by: recordCount)
        p.unfinished.append(base)
        partitions[topicPartition] = p
        return AssignedSequence(generation: generation, baseSequence: base)
    }

    /// Whether a batch already stamped with `sequence` may be sent now: only the partition's oldest unfinished batch
    /// may be resent, so that retries keep their order.
    func mayResend(_ topicPartition: TopicPartition, sequence: AssignedSequence) -> Bool {
        guard sequence.generation == generation else { return false }
        return partitions[topicPartition]?.unfinished.first == sequence.baseSequence
    }

    /// Whether `baseSequence` directly follows the last acknowledged sequence of the partition.
    func isNextExpected(_ topicPartition: TopicPartition, baseSequence: Int32) -> Bool {
        let p = partitions[topicPartition] ?? Partition()
        return baseSequence == Self.advance(p.lastAckedSequence, by: 1)
    }

    /// Records a batch the broker acknowledged (or reported as a duplicate).
    mutating func acknowledged(_ topicPartition: TopicPartition, sequence: AssignedSequence, recordCount: Int) {
        guard sequence.generation == generation, var p = partitions[topicPartition] else { return }
        let last = Self.advance(sequence.baseSequence, by: recordCount - 1)
        p.lastAckedSequence = last
        p.unfinished.removeAll { $0 == sequence.baseSequence }
        partitions[topicPartition] = p
    }

    /// Records a stamped batch that will never be sent again. Whether the broker wrote it is unknown, so later
    /// sequences of the partition cannot be trusted: a reset is requested.
    mutating func abandoned(_ topicPartition: TopicPartition, sequence: AssignedSequence) {
        guard sequence.generation == generation, var p = partitions[topicPartition] else { return }
        p.unfinished.removeAll { $0 == sequence.baseSequence }
        partitions[topicPartition] = p
        resetRequested = true
    }

    /// Sequence arithmetic with Kafka's wrap-around: after `Int32.max` comes 0.
    static func advance(_ sequence: Int32, by count: Int) -> Int32 {
        let wide = (Int64(sequence) + Int64(count)) % (Int64(Int32.max) + 1)
        return Int32(wide < 0 ? wide + Int64(Int32.max) + 1 : wide)
    }
}

/// What to do with a batch after its partition's produce response (or a request failure).
enum BatchDecision: Equatable, Sendable {
    case succeed
    /// Resend after the retry backoff; `refreshMetadata` when the leader may have moved.
    case retry(refreshMetadata: Bool)
    case fail
}

extension SequenceBook {
    /// Kafka's rules for a partition-level error. With idempotence, OUT_OF_ORDER_SEQUENCE_NUMBER is retried: when
    /// the batch is not the one right after the last acknowledged sequence an earlier batch failed and this one
    /// follows it once that is resent; when it is, the broker lost our sequence state (a failover to a replica that
    /// did not have it), so a new identity is requested first. UNKNOWN_PRODUCER_ID likewise.
    mutating func decide(
        _ error: ErrorCode, topicPartition: TopicPartition, sequence: AssignedSequence?, idempotent: Bool
    ) -> BatchDecision {
        switch error {
        case .noError, .duplicateSequenceNumber:
            return .succeed
        case .outOfOrderSequenceNumber where idempotent:
            if let sequence, sequence.generation == generation,
                isNextExpected(topicPartition, baseSequence: sequence.baseSequence)
            {
                requestReset()
            }
            return .retry(refreshMetadata: true)
        case .unknownProducerId where idempotent:
            requestReset()
            return .retry(refreshMetadata: false)
        case .notLeaderOrFollower, .leaderNotAvailable, .unknownTopicOrPartition, .fencedLeaderEpoch,
            .unknownLeaderEpoch, .kafkaStorageError, .notEnoughReplicas, .notEnoughReplicasAfterAppend,
            .networkException, .requestTimedOut, .replicaNotAvailable:
            return .retry(refreshMetadata: error != .notEnoughReplicas && error != .notEnoughReplicasAfterAppend)
        default:
            return error.isRetriable ? .retry(refreshMetadata: false) : .fail
        }
    }
}
