import FjordModel
import FjordStorage
import KafkaProtocol
import NIOCore

extension ReplicaManager {
    /// A consumer fetch (Kafka's `fetchMessages` for a consumer): reads whole batches below the high watermark of
    /// each partition this broker leads, in request order; a fetch offset inside a batch returns that batch. Byte
    /// bounds: `partitionMaxBytes` per partition and `maxBytes` in total, except that the first batch found is
    /// returned whatever its size (KIP-74). Answers at once when there is an error, `minBytes` are available or
    /// `maxWaitMs` is 0; otherwise waits until the HW of a partition moves enough data past its fetch offset, the
    /// leadership changes, or `maxWaitMs` passes. Errors per partition: NOT_LEADER_OR_FOLLOWER (not hosted here or
    /// not the leader: the broker maps topics its metadata does not know to UNKNOWN_TOPIC_OR_PARTITION first),
    /// FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (Fetch v9+ epochs), OFFSET_OUT_OF_RANGE.
    public func fetch(_ request: ConsumerFetchRequest, eventLoop: any EventLoop) -> EventLoopFuture<
        [PartitionFetchResult]
    > {
        let results = readForConsumer(request)
        let bytes = results.reduce(0) { $0 + ($1.records?.lengthBytes ?? 0) }
        let hasError = results.contains { $0.error != .noError }
        if request.maxWaitMs <= 0 || request.partitions.isEmpty || bytes >= Int(request.minBytes) || hasError {
            return eventLoop.makeSucceededFuture(results)
        }
        let promise = eventLoop.makePromise(of: [PartitionFetchResult].self)
        let operation = DelayedFetch(
            isSatisfied: { [weak self] in self?.consumerFetchSatisfied(request) ?? true },
            respond: { [weak self] in promise.succeed(self?.readForConsumer(request) ?? results) })
        if !fetchPurgatory.tryCompleteElseWatch(operation, keys: request.partitions.map(\.topicPartition)) {
            operation.scheduleTimeout(on: eventLoop, afterMs: Int64(request.maxWaitMs))
        }
        return promise.futureResult
    }

    func readForConsumer(_ request: ConsumerFetchRequest) -> [PartitionFetchResult] {
        var remainingBytes = max(0, Int(request.maxBytes))
        var minOneBatch = true
        return request.partitions.map { item -> PartitionFetchResult in
            let tp = item.topicPartition
            guard let partition = partition(tp) else {
                return PartitionFetchResult(topicPartition: tp, error: .notLeaderOrFollower)
            }
            let log = partition.log
            let error = partition.checkLeader(currentLeaderEpoch: item.currentLeaderEpoch)
            let highWatermark = log.highWatermark
            var result = PartitionFetchResult(
                topicPartition: tp, error: error, highWatermark: highWatermark, lastStableOffset: highWatermark,
                logStartOffset: log.logStartOffset)
            guard error == .noError else { return result }
            do throws(LogError) {
                let read = try log.read(
                    from: item.fetchOffset, maxBytes: min(max(0, Int(item.partitionMaxBytes)), remainingBytes),
                    maxOffset: highWatermark, minOneBatch: minOneBatch)
                if !read.isEmpty {
                    minOneBatch = false
                    remainingBytes = max(0, remainingBytes - read.lengthBytes)
                }
                result.records = read
                result.logStartOffset = read.logStartOffset
            } catch {
                result.error = ErrorCode(error.kafkaErrorCode)
            }
            return result
        }
    }

    /// Whether a waiting consumer fetch should answer now: a partition left this broker or changed leader epoch,
    /// its HW is below the fetch offset, or its HW moved far enough past the fetch offset to give `minBytes`.
    private func consumerFetchSatisfied(_ request: ConsumerFetchRequest) -> Bool {
        var accumulated = 0
        for item in request.partitions {
            guard let partition = partition(item.topicPartition) else { return true }
            if partition.checkLeader(currentLeaderEpoch: item.currentLeaderEpoch) != .noError { return true }
            let end = partition.log.highWatermark
            if item.fetchOffset > end { return true }  // Kafka's case F (e.g. a new leader whose HW lags)
            guard end > item.fetchOffset else { continue }
            if request.minBytes <= 1 { return true }
            let available = try? partition.log.read(
                from: item.fetchOffset, maxBytes: max(0, Int(item.partitionMaxBytes)), maxOffset: end)
            accumulated += available?.lengthBytes ?? 0
            if accumulated >= Int(request.minBytes) { return true }
        }
        return false
    }
}
