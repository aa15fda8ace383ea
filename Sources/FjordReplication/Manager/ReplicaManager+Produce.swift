import FjordModel
import FjordStorage
import KafkaProtocol
import NIOCore

extension ReplicaManager {
    /// Appends a produce request's batches to the partitions this broker leads (Kafka's `appendRecords`).
    ///
    /// Per partition: a broker that must assume its ZooKeeper session lost (`isFenced`) or that does not lead the
    /// partition answers NOT_LEADER_OR_FOLLOWER; acks=all with the ISR below `min.insync.replicas` answers
    /// NOT_ENOUGH_REPLICAS before writing; producer sequence and epoch errors, MESSAGE_TOO_LARGE and
    /// CORRUPT_MESSAGE come from validation; a duplicate batch is answered with its original offset. acks=0 and
    /// acks=1 complete after the local append; acks=all completes when each partition's HW passes its last offset
    /// (so every ISR member has fetched past it) or fails those still waiting with REQUEST_TIMED_OUT after
    /// `timeoutMs`. Any other acks value: INVALID_REQUIRED_ACKS. The future completes on `eventLoop`.
    public func appendRecords(
        acks: Int16, timeoutMs: Int32, entries: [(TopicPartition, ByteBuffer)], eventLoop: any EventLoop
    ) -> EventLoopFuture<[TopicPartition: PartitionAppendResult]> {
        guard acks == 0 || acks == 1 || acks == -1 else {
            let results = Dictionary(
                entries.map { ($0.0, PartitionAppendResult(error: .invalidRequiredAcks)) },
                uniquingKeysWith: { a, _ in a })
            return eventLoop.makeSucceededFuture(results)
        }
        let fenced = isFenced()
        let now = TimestampMs.now()
        let nowMs = MonotonicClock.nowMs()
        var results: [TopicPartition: PartitionAppendResult] = [:]
        var waiting: [TopicPartition: Offset] = [:]
        var appended: [TopicPartition] = []
        var advanced: [TopicPartition] = []
        var durable: [(log: PartitionLog, offset: Offset)] = []  // flush.messages=1: acks wait for group commit
        for (tp, records) in entries {
            guard !fenced else {
                results[tp] = PartitionAppendResult(
                    error: .notLeaderOrFollower, errorMessage: "the broker lost its ZooKeeper session")
                continue
            }
            guard let partition = partition(tp) else {
                results[tp] = PartitionAppendResult(error: .notLeaderOrFollower)
                continue
            }
            var records = records
            do throws(AppendFailure) {
                let outcome = try partition.appendRecordsToLeader(
                    &records, requiredAcks: acks, now: now, nowMs: nowMs)
                results[tp] = PartitionAppendResult(
                    error: .noError, baseOffset: outcome.firstOffset, logAppendTime: outcome.logAppendTime,
                    logStartOffset: outcome.logStartOffset)
                if !outcome.isDuplicate { appended.append(tp) }
                if outcome.highWatermark != nil { advanced.append(tp) }
                if acks == -1 { waiting[tp] = outcome.lastOffset + 1 }
                if acks != 0 && partition.log.config.syncsBeforeAcknowledge {
                    durable.append((partition.log, outcome.lastOffset + 1))
                }
                if outcome.flushNeeded {
                    let log = partition.log
                    runBlocking { try log.flush() }
                }
            } catch {
                results[tp] = PartitionAppendResult(error: error.code, errorMessage: error.message)
            }
        }
        for tp in appended { logEndOffsetAdvanced(tp) }
        for tp in advanced { highWatermarkAdvanced(tp) }
        guard !waiting.isEmpty else {
            if durable.isEmpty { return eventLoop.makeSucceededFuture(results) }
            let appendedResults = results
            return PartitionLog.whenDurable(durable, on: eventLoop).map { Self.failingUnsynced(appendedResults, $0) }
        }
        let promise = eventLoop.makePromise(of: [TopicPartition: PartitionAppendResult].self)
        let operation = DelayedProduce(waiting: waiting, results: results, promise: promise, isFenced: isFenced) {
            [weak self] in self?.partition($0)
        }
        if !producePurgatory.tryCompleteElseWatch(operation, keys: Array(waiting.keys)) {
            operation.scheduleTimeout(on: eventLoop, afterMs: Int64(timeoutMs))
        }
        guard !durable.isEmpty else { return promise.futureResult }
        return PartitionLog.whenDurable(durable, on: eventLoop).and(promise.futureResult).map {
            Self.failingUnsynced($1, $0)
        }
    }

    /// `flush.messages=1`: a partition whose group-commit sync failed answers KAFKA_STORAGE_ERROR, not its append.
    static func failingUnsynced(
        _ results: [TopicPartition: PartitionAppendResult], _ failed: [TopicPartition: LogError]
    ) -> [TopicPartition: PartitionAppendResult] {
        var results = results
        for (tp, error) in failed {
            results[tp] = PartitionAppendResult(error: .kafkaStorageError, errorMessage: error.message)
        }
        return results
    }
}
