import FjordModel
import FjordStorage
import KafkaProtocol
import KafkaWire
import NIOCore

extension ReplicaManager {
    /// ListOffsets for one partition this broker leads (Kafka's `fetchOffsetForTimestamp` for a client):
    /// - `-2` (earliest): the log start offset, with the leader epoch of the batch there;
    /// - `-1` (latest): the high watermark (which is also the last stable offset, so `isolationCommitted` does not
    ///   matter), with the current leader epoch;
    /// - `-3` (max timestamp, KIP-734) and any timestamp `>= 0`: the first record at or after the timestamp (or the
    ///   record with the largest timestamp), found through the time index and exact to the record; only offsets
    ///   below the high watermark count, else the answer is offset `-1`.
    /// A new leader whose HW has not yet reached the start of its epoch answers OFFSET_NOT_AVAILABLE for everything
    /// but earliest (the broker maps it to LEADER_NOT_AVAILABLE for ListOffsets versions before 5, as Kafka does).
    /// Not leader: NOT_LEADER_OR_FOLLOWER; epoch mismatch: FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH.
    public func listOffset(
        _ tp: TopicPartition, timestamp: Int64, currentLeaderEpoch: LeaderEpoch?, isolationCommitted: Bool
    ) -> ListOffsetResult {
        guard let partition = partition(tp), let leader = partition.leaderState else {
            return ListOffsetResult(error: .notLeaderOrFollower)
        }
        let epochError = Partition.checkLeaderEpoch(currentLeaderEpoch, current: leader.leaderEpoch)
        guard epochError == .noError else { return ListOffsetResult(error: epochError) }
        let log = partition.log
        let highWatermark = log.highWatermark
        let lagging = leader.leaderEpochStartOffset > highWatermark
        switch timestamp {
        case -2, -4:
            let start = log.logStartOffset
            return ListOffsetResult(
                error: .noError, offset: start, timestamp: .none,
                leaderEpoch: log.leaderEpochCache.epoch(forOffset: start) ?? .none)
        case -1:
            if lagging { return ListOffsetResult(error: .offsetNotAvailable) }
            return ListOffsetResult(
                error: .noError, offset: highWatermark, timestamp: .none, leaderEpoch: leader.leaderEpoch)
        case -3, 0...:
            let found: TimestampAndOffset?
            do throws(LogError) {
                found =
                    timestamp == -3
                    ? try log.offsetOfMaxTimestamp(locateRecord: Self.locateRecord)
                    : try log.offsetForTimestamp(TimestampMs(timestamp), locateRecord: Self.locateRecord)
            } catch {
                return ListOffsetResult(error: ErrorCode(error.kafkaErrorCode))
            }
            if let found, found.offset < highWatermark {
                return ListOffsetResult(
                    error: .noError, offset: found.offset, timestamp: found.timestamp, leaderEpoch: found.leaderEpoch)
            }
            return ListOffsetResult(error: lagging ? .offsetNotAvailable : .noError)
        default:
            return ListOffsetResult(error: .noError)
        }
    }

    /// The first record of a batch with a timestamp at or above `target` (decompressing the batch if needed).
    static func locateRecord(_ bytes: ByteBuffer, _ target: TimestampMs) -> TimestampAndOffset? {
        guard let batch = try? RecordBatch(validating: bytes), var records = try? batch.records() else { return nil }
        while let record = try? records.next() {
            let timestamp = batch.header.attributes.isLogAppendTime ? batch.header.maxTimestamp : record.timestamp
            if timestamp >= target {
                return TimestampAndOffset(
                    timestamp: timestamp, offset: record.offset, leaderEpoch: batch.header.partitionLeaderEpoch)
            }
        }
        return nil
    }

    /// OffsetForLeaderEpoch from a client (KIP-320): the end offset of `epoch` in this leader's log, with the
    /// largest epoch at or below it (`(-1, -1)` when unknown). Not leader: NOT_LEADER_OR_FOLLOWER; epoch mismatch:
    /// FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH.
    public func offsetForLeaderEpoch(_ tp: TopicPartition, epoch: LeaderEpoch, currentLeaderEpoch: LeaderEpoch?)
        -> (error: ErrorCode, leaderEpoch: LeaderEpoch, endOffset: Offset)
    {
        guard let partition = partition(tp) else { return (.notLeaderOrFollower, .none, .none) }
        let error = partition.checkLeader(currentLeaderEpoch: currentLeaderEpoch)
        guard error == .noError else { return (error, .none, .none) }
        let (found, endOffset) = partition.log.endOffset(for: epoch)
        return (.noError, found, endOffset)
    }

    /// DeleteRecords on the leader: moves the log start offset up to `beforeOffset` (`-1`: the high watermark).
    /// An offset above the high watermark or below `-1` is OFFSET_OUT_OF_RANGE. Returns the leader's new log start
    /// offset as the low watermark at once; followers follow it through their fetches (Fjord does not wait for them,
    /// unlike Kafka's DelayedDeleteRecords).
    public func deleteRecords(_ tp: TopicPartition, beforeOffset: Offset) -> (ErrorCode, lowWatermark: Offset) {
        guard let partition = partition(tp) else { return (.notLeaderOrFollower, .none) }
        let error = partition.checkLeader(currentLeaderEpoch: nil)
        guard error == .noError else { return (error, .none) }
        let log = partition.log
        let target = beforeOffset == .none ? log.highWatermark : beforeOffset
        guard target.rawValue >= 0, target <= log.highWatermark else { return (.offsetOutOfRange, .none) }
        do {
            try log.advanceLogStartOffset(to: target)
        } catch {
            return (ErrorCode(error.kafkaErrorCode), .none)
        }
        return (.noError, log.logStartOffset)
    }

    public func partitionSnapshot(_ tp: TopicPartition) -> PartitionSnapshot? {
        partition(tp)?.snapshot()
    }

    /// The partitions this broker currently leads.
    public var leaderPartitions: [TopicPartition] {
        partitions.withLock { $0 }.filter { $0.value.isLeader }.map(\.key).sorted()
    }

    /// Led partitions whose committed ISR is smaller than their replica set.
    public var underReplicatedPartitionCount: Int {
        partitions.withLock { $0 }.values.reduce(0) { count, partition in
            count + ((partition.leaderState?.isUnderReplicated ?? false) ? 1 : 0)
        }
    }

    /// Led partitions whose committed ISR is below `min.insync.replicas`.
    public var underMinIsrPartitionCount: Int {
        partitions.withLock { $0 }.values.reduce(0) { count, partition in
            count + ((partition.leaderState?.isUnderMinIsr ?? false) ? 1 : 0)
        }
    }

    /// The hosted partitions counted in one pass (each partition's lock taken once), for the broker's gauges.
    public func partitionCounts() -> PartitionCounts {
        var counts = PartitionCounts()
        for partition in partitions.withLock({ Array($0.values) }) {
            counts.replicas += 1
            guard let leader = partition.leaderState else { continue }
            counts.leaders += 1
            if leader.isUnderReplicated { counts.underReplicated += 1 }
            if leader.isUnderMinIsr { counts.underMinIsr += 1 }
        }
        return counts
    }

    /// Updates `min.insync.replicas` of the hosted partitions of `topic` (a topic config change).
    public func minInsyncReplicasChanged(topic: TopicName) {
        let value = minInsyncReplicas(topic)
        for (tp, partition) in partitions.withLock({ $0 }) where tp.topic == topic {
            partition.setMinInsyncReplicas(value)
        }
    }
}

/// How many partitions a broker hosts, leads, and leads with too small an ISR.
public struct PartitionCounts: Hashable, Sendable {
    /// Replicas hosted (led or followed).
    public var replicas = 0
    public var leaders = 0
    /// Led partitions whose committed ISR is smaller than their replica set.
    public var underReplicated = 0
    /// Led partitions whose committed ISR is below `min.insync.replicas`.
    public var underMinIsr = 0

    public init() {}
}
