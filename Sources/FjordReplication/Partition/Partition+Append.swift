import FjordModel
import FjordStorage
import KafkaProtocol
import KafkaWire
import NIOCore

/// An append refused with a Kafka error (nothing was written).
struct AppendFailure: Error, Sendable {
    var code: ErrorCode
    var message: String?
}

/// What a leader append did.
struct LeaderAppendOutcome: Sendable {
    var firstOffset: Offset
    var lastOffset: Offset
    var logAppendTime: TimestampMs
    var logStartOffset: Offset
    /// The new high watermark, when the append advanced it (an ISR of the leader alone).
    var highWatermark: Offset?
    /// The batches were a retry of ones already written: the offsets are the original ones.
    var isDuplicate: Bool
    /// The flush policy asks for a flush now (off the event loop).
    var flushNeeded: Bool
}

/// What a follower append did.
struct FollowerAppendOutcome: Sendable {
    var appendedBytes: Int
    var logEndOffset: Offset
    var highWatermark: Offset
    var lastFetchedEpoch: LeaderEpoch?
    var flushNeeded: Bool
}

extension Partition.State {
    /// Runs `body` on the leader's replica state, if this replica leads. The role is taken out while `body` runs
    /// so the state is mutated in place (no copy).
    mutating func withLeaderState<R, E: Error>(_ body: (inout PartitionReplicaState) throws(E) -> R) throws(E) -> R? {
        guard case .leader(var replicaState) = role else { return nil }
        role = .none
        defer { role = .leader(replicaState) }
        return try body(&replicaState)
    }
}

extension Partition {
    /// Appends a producer's batches as leader (Kafka's `appendRecordsToLeader`): refuses on a non-leader
    /// (NOT_LEADER_OR_FOLLOWER) and, for acks=all, when the ISR is below `min.insync.replicas` (NOT_ENOUGH_REPLICAS,
    /// before writing anything); answers a duplicate of one of a producer's last five batches with its original
    /// offsets; checks producer sequences and epochs; then appends (the log validates sizes and CRCs) and records
    /// the batches in the producer state. Runs under the partition lock; one `pwrite`, no fsync.
    func appendRecordsToLeader(
        _ records: inout ByteBuffer, requiredAcks: Int16, now: TimestampMs, nowMs: Int64
    ) throws(AppendFailure) -> LeaderAppendOutcome {
        try state.withLock { (state) throws(AppendFailure) -> LeaderAppendOutcome in
            guard case .leader(let replicaState) = state.role else {
                throw AppendFailure(
                    code: .notLeaderOrFollower, message: "broker is not the leader of \(topicPartition)")
            }
            if requiredAcks == -1 && replicaState.isUnderMinIsr {
                throw AppendFailure(
                    code: .notEnoughReplicas,
                    message: "ISR \(replicaState.isr.committed.count) below min.insync.replicas "
                        + "\(replicaState.effectiveMinIsr) for \(topicPartition)")
            }
            let headers = Self.peekHeaders(records)
            if let headers {
                let check: ProducerStateTable.AppendCheck
                do throws(ProducerStateError) {
                    check = try state.producerState.checkLeaderAppend(headers)
                } catch {
                    throw AppendFailure(code: ErrorCode(error.kafkaErrorCode), message: error.message)
                }
                if case .duplicate(let original) = check {
                    let appendTime = log.config.timestampType == .logAppendTime ? original.timestamp : .none
                    return LeaderAppendOutcome(
                        firstOffset: original.firstOffset, lastOffset: original.lastOffset, logAppendTime: appendTime,
                        logStartOffset: log.logStartOffset, highWatermark: nil, isDuplicate: true, flushNeeded: false)
                }
            }
            let info: LogAppendInfo
            do throws(LogError) {
                info = try log.appendAsLeader(records, leaderEpoch: state.leaderEpoch, now: now)
            } catch {
                throw AppendFailure(code: ErrorCode(error.kafkaErrorCode), message: error.message)
            }
            if let headers {
                var offset = info.firstOffset
                for header in headers {
                    state.producerState.record(header, baseOffset: offset)
                    offset = offset + Int64(header.lastOffsetDelta) + 1
                }
            }
            let isLive = self.isLive
            let advanced = state.withLeaderState {
                $0.refreshLiveness(isLive)
                return $0.leaderAppended(logEndOffset: info.logEndOffset, nowMs: nowMs)
            }
            var highWatermark: Offset?
            if let advanced, let advanced { highWatermark = log.updateHighWatermark(advanced) }
            return LeaderAppendOutcome(
                firstOffset: info.firstOffset, lastOffset: info.lastOffset, logAppendTime: info.logAppendTime,
                logStartOffset: info.logStartOffset, highWatermark: highWatermark, isDuplicate: false,
                flushNeeded: info.flushNeeded)
        }
    }

    /// Appends batches fetched from the leader of `leaderEpoch`, then sets the follower high watermark to
    /// `min(leader's HW, own LEO)` and follows the leader's log start offset up (DeleteRecords). Returns `nil`, and
    /// writes nothing, when the partition is no longer a follower in that epoch (a stale fetch response).
    func appendRecordsAsFollower(
        _ records: ByteBuffer, leaderEpoch: LeaderEpoch, leaderHighWatermark: Offset, leaderLogStartOffset: Offset,
        now: TimestampMs
    ) throws(LogError) -> FollowerAppendOutcome? {
        try state.withLock { (state) throws(LogError) -> FollowerAppendOutcome? in
            guard case .follower = state.role, state.leaderEpoch == leaderEpoch else { return nil }
            var flushNeeded = false
            if records.readableBytes > 0 {
                let info = try log.appendAsFollower(records, now: now)
                flushNeeded = info.flushNeeded
                if state.producerStateLoaded, let headers = Self.peekHeaders(records) {
                    for header in headers { state.producerState.record(header, baseOffset: header.baseOffset) }
                }
            }
            let highWatermark = log.updateHighWatermark(min(leaderHighWatermark, log.logEndOffset))
            if leaderLogStartOffset > log.logStartOffset {
                try? log.advanceLogStartOffset(to: min(leaderLogStartOffset, highWatermark))
            }
            return FollowerAppendOutcome(
                appendedBytes: records.readableBytes, logEndOffset: log.logEndOffset, highWatermark: highWatermark,
                lastFetchedEpoch: log.latestEpoch, flushNeeded: flushNeeded)
        }
    }

    /// Truncates the follower's log to `offset` (by leader epoch, after a diverging-epoch answer). Returns false, and
    /// does nothing, when the partition is no longer a follower in `leaderEpoch`. Blocking (checkpoint write).
    func truncateAsFollower(to offset: Offset, leaderEpoch: LeaderEpoch) throws(LogError) -> Bool {
        try logMutation.withLock { (_) throws(LogError) -> Bool in
            guard isFollower(in: leaderEpoch) else { return false }
            if try log.truncate(to: offset) { invalidateProducerState() }
            return true
        }
    }

    /// Empties the follower's log and restarts it at `offset` (its fetch offset fell below the leader's log start).
    /// Returns false when no longer a follower in `leaderEpoch`. Blocking.
    func truncateFullyAsFollower(startingAt offset: Offset, leaderEpoch: LeaderEpoch) throws(LogError) -> Bool {
        try logMutation.withLock { (_) throws(LogError) -> Bool in
            guard isFollower(in: leaderEpoch) else { return false }
            try log.truncateFullyAndStartAt(offset)
            state.withLock { state in
                state.producerState.clear()
                state.producerStateLoaded = true  // an empty log has no producers
            }
            return true
        }
    }

    func isFollower(in leaderEpoch: LeaderEpoch) -> Bool {
        state.withLock { state in
            guard case .follower = state.role else { return false }
            return state.leaderEpoch == leaderEpoch
        }
    }

    /// The producer state no longer matches the log (truncated): rebuilt when this replica next becomes leader.
    private func invalidateProducerState() {
        state.withLock { state in
            state.producerState.clear()
            state.producerStateLoaded = false
        }
    }

    /// The headers of the whole batches in `records`, or `nil` when the bytes do not parse (the log's own
    /// validation then reports the precise error).
    static func peekHeaders(_ records: ByteBuffer) -> [RecordBatchHeader]? {
        var headers: [RecordBatchHeader] = []
        var index = records.readerIndex
        while index < records.writerIndex {
            guard let header = try? RecordBatchHeader.peek(records, at: index),
                index + header.totalSize <= records.writerIndex
            else { return nil }
            headers.append(header)
            index += header.totalSize
        }
        return headers
    }
}
