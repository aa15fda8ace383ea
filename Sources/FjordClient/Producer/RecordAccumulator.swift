import FjordModel
import KafkaProtocol
import KafkaWire
import NIOCore

/// The producer's pure core: records collected into per-partition batches, the choice of which batches go out in
/// which request, and what happens to each batch after its response. No I/O, no clock: the sender shell
/// (``ProducerSender``) passes the time in and performs what the returned plans say.
///
/// Owned by the producer's `Mutex`; every method runs under it and is short (no compression, no encoding).
///
/// Invariants:
/// - Per partition, batches leave in creation order. A batch waiting to be resent (`retries`) is always older than
///   the partition's open batches and goes first; several waiting batches go in batch-id (= creation) order.
/// - At most one batch per partition per request, and at most `max.in.flight.requests.per.connection` unanswered
///   requests per broker. With idempotence, sequence stamping and the resend rule of ``SequenceBook`` keep order
///   and prevent duplicates across retries.
/// - `bufferedBytes` is the encoded size of every unfinished record; it only drops when a batch finishes.
struct RecordAccumulator: Sendable {
    struct Settings: Sendable {
        /// The largest batch, header included: `batch.size`, capped at `max.request.size` (a batch must fit a
        /// request, and the broker's default `message.max.bytes` is `max.request.size`'s default plus 12). A
        /// record larger than this still goes, alone in its batch.
        var batchSizeBytes: Int
        var lingerNs: UInt64
        var compression: CompressionCodec
        var compressionLevel: Int?
        var retryBackoffNs: UInt64
        var deliveryTimeoutNs: UInt64
        var maxRequestSizeBytes: Int
        var bufferMemoryBytes: Int
        var maxInFlightPerBroker: Int
        var retries: Int
        var idempotent: Bool

        init(_ c: ProducerConfiguration) {
            batchSizeBytes = max(1, min(c.batchSize, c.maxRequestSize))
            lingerNs = UInt64(max(0, c.linger.nanosecondsClamped))
            compression = c.compression
            compressionLevel = c.compressionLevel
            retryBackoffNs = UInt64(max(0, c.retryBackoff.nanosecondsClamped))
            deliveryTimeoutNs = UInt64(max(0, c.deliveryTimeout.nanosecondsClamped))
            maxRequestSizeBytes = c.maxRequestSize
            bufferMemoryBytes = c.bufferMemory
            maxInFlightPerBroker = c.maxInFlightRequestsPerConnection
            retries = c.retries
            idempotent = c.isIdempotent
        }
    }

    /// One partition's waiting batches.
    struct PartitionQueue: Sendable {
        /// Closed batches waiting to be resent, oldest first. (Arrays, not deques: element reads go through
        /// addressors without copying a batch, and these queues hold a handful of batches.)
        var retrying: [ReadyBatch] = []
        /// Batches taking records; all but the last are full.
        var open: [OpenBatch] = []

        var isEmpty: Bool { retrying.isEmpty && open.isEmpty }

        /// Appends to the last open batch when it has room (a batch always takes its first record). One in-place
        /// access to the batch: no copy of its buffer.
        mutating func appendToLast(_ record: Append, size: Int, completion: DeliveryCompletion, batchLimitBytes: Int)
            -> Bool
        {
            guard !open.isEmpty else { return false }
            return open[open.count - 1].tryAppend(
                record, size: size, completion: completion, batchLimitBytes: batchLimitBytes)
        }
    }

    /// One topic's partitioner and its partitions' queues, indexed by partition id: the record path costs one
    /// dictionary lookup (by topic name).
    struct TopicQueues: Sendable {
        let name: TopicName
        var partitioner: StickyPartitioner
        var partitions: [PartitionQueue]

        init(name: TopicName, partitioner: StickyPartitioner) {
            self.name = name
            self.partitioner = partitioner
            self.partitions = Array(repeating: PartitionQueue(), count: Int(partitioner.partitionCount))
        }

        enum Outcome {
            case appended(newBatch: Bool)
            case partitionOutOfRange(Int32)
        }

        /// Partitions the record and appends it, opening batch `batchId` when the partition needs a new batch.
        mutating func append(
            _ record: Append, size: Int, completion: DeliveryCompletion, batchId: UInt64, random: Int,
            settings: Settings, clock: () -> UInt64
        ) -> Outcome {
            let count = partitioner.partitionCount
            let partition: Int32
            if let explicit = record.partition {
                guard explicit.rawValue >= 0, explicit.rawValue < count else { return .partitionOutOfRange(count) }
                partition = explicit.rawValue
            } else if let hash = record.keyHash {
                partition = Murmur2.toPositive(hash) % count
            } else {
                partition = partitioner.partitionForUnkeyed(sizeBytes: size, random: random)
            }
            let index = Int(partition)
            while partitions.count <= index { partitions.append(PartitionQueue()) }
            let batchSize = settings.batchSizeBytes
            if partitions[index].appendToLast(record, size: size, completion: completion, batchLimitBytes: batchSize) {
                return .appended(newBatch: false)
            }
            let builder = RecordBatchBuilder(
                compression: settings.compression, compressionLevel: settings.compressionLevel,
                initialCapacityBytes: min(max(batchSize, size), Self.initialBatchCapacityBytes) + RecordBatchHeader.size
            )
            partitions[index].open.append(
                OpenBatch(
                    id: batchId, topicPartition: TopicPartition(name, PartitionID(partition)), builder: builder,
                    createdNs: clock()))
            let appended = partitions[index].appendToLast(
                record, size: size, completion: completion, batchLimitBytes: batchSize)
            precondition(appended, "a new batch takes any record that fits a request")
            return .appended(newBatch: true)
        }

        /// A new batch's first allocation; it grows (doubling) as records arrive, up to `batch.size`.
        static let initialBatchCapacityBytes = 64 * 1024

        /// Runs `body` on one partition's queue in place; nil for a partition the topic does not have.
        mutating func withPartition<R>(_ index: Int, _ body: (inout PartitionQueue) -> R) -> R? {
            guard index >= 0, index < partitions.count else { return nil }
            return body(&partitions[index])
        }
    }

    /// A record to append, already partitioned or with what partitioning needs.
    struct Append {
        var topic: TopicName
        var partition: PartitionID?
        /// murmur2 of the key, computed outside the lock; nil for a null key.
        var keyHash: Int32?
        var key: ByteBuffer?
        var value: ByteBuffer?
        var headers: [RecordHeader]
        var timestamp: TimestampMs
    }

    enum AppendResult: Equatable, Sendable {
        /// Appended; `newBatch` when it opened a batch (the sender should look again).
        case appended(newBatch: Bool)
        /// The topic's partition count is not known yet: fetch metadata and try again.
        case unknownTopic
        /// `buffer.memory` is used up: wait for batches to finish and try again.
        case bufferFull
        case closed
        case partitionOutOfRange(partitionCount: Int32)
        case recordTooLarge(sizeBytes: Int)
    }

    /// What the sender should do after a drain.
    struct DrainPlan: Sendable {
        /// One request per broker.
        var sends: [BrokerID: [DrainedBatch]] = [:]
        /// Batches that expired (delivery timeout) while queued.
        var finished: [FinishedBatch] = []
        var refreshMetadata = false
        /// Leaders without a ready connection.
        var connect: Set<BrokerID> = []
        /// An InitProducerId is needed (nothing is sent until it completes).
        var needIdentity = false
        /// The identity sends were stamped with (for re-stamping retried batches).
        var identity: ProducerIdentity?
        /// When to look again at the latest (nil: only when woken).
        var nextWakeNs: UInt64?
        var memoryWaiters: [CheckedContinuation<Void, Never>] = []
        var flushWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// What the sender should do after responses.
    struct CompletionPlan: Sendable {
        var finished: [FinishedBatch] = []
        var refreshMetadata = false
        var memoryWaiters: [CheckedContinuation<Void, Never>] = []
        var flushWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let settings: Settings
    /// Every known topic's queues, in the order topics became known; ``topicIndexes`` finds a topic's slot.
    /// (An array rather than a dictionary of queues: the record path mutates a topic's queues in place, where a
    /// dictionary's optional-chained mutation copied them out and back for every record.)
    private(set) var topics: [TopicQueues] = []
    private var topicIndexes: [TopicName: Int] = [:]
    /// The topic of the last append and its slot: producers mostly write one topic, so the record path usually
    /// compares one name instead of hashing it.
    private var lastTopic: (name: TopicName, index: Int)?
    private(set) var sequences = SequenceBook()
    private(set) var bufferedBytes = 0
    private(set) var inFlightRequests: [BrokerID: Int] = [:]
    private(set) var batchesOnWire = 0
    private var nextBatchId: UInt64 = 1
    /// Ids of every unfinished batch: open, waiting, or on the wire.
    private(set) var unfinished: Set<UInt64> = []
    private var flushes: [(mark: UInt64, waiter: CheckedContinuation<Void, Never>)] = []
    private var memoryWaiters: [CheckedContinuation<Void, Never>] = []
    private(set) var closing = false

    init(settings: Settings) {
        self.settings = settings
    }

    /// Records a topic's partition count and the partitions with a leader (from metadata).
    mutating func updateTopic(_ topic: TopicName, partitionCount: Int32, available: [Int32]) {
        if let index = topicIndexes[topic] {
            topics[index].partitioner.update(partitionCount: partitionCount, available: available)
        } else {
            topicIndexes[topic] = topics.count
            topics.append(
                TopicQueues(
                    name: topic,
                    partitioner: StickyPartitioner(
                        partitionCount: partitionCount, available: available,
                        switchAfterBytes: settings.batchSizeBytes)))
        }
    }

    /// A partition's queue, for inspection.
    func queue(_ tp: TopicPartition) -> PartitionQueue? {
        guard let slot = topicIndexes[tp.topic] else { return nil }
        let index = Int(tp.partition.rawValue)
        guard index >= 0, index < topics[slot].partitions.count else { return nil }
        return topics[slot].partitions[index]
    }

    /// Runs `body` on a partition's queue in place.
    @discardableResult
    private mutating func withQueue<R>(_ tp: TopicPartition, _ body: (inout PartitionQueue) -> R) -> R? {
        guard let slot = topicIndexes[tp.topic] else { return nil }
        return topics[slot].withPartition(Int(tp.partition.rawValue), body)
    }

    /// Every partition with something queued.
    private var queuedPartitions: [TopicPartition] {
        var result: [TopicPartition] = []
        for topic in topics {
            let name = topic.name
            for (index, queue) in topic.partitions.enumerated() where !queue.isEmpty {
                result.append(TopicPartition(name, PartitionID(Int32(index))))
            }
        }
        return result
    }

    var isIdle: Bool { unfinished.isEmpty }

    // MARK: Appending

    /// Appends a record to its partition's open batch (opening one when there is none or it is full).
    ///
    /// - Parameter clock: the monotonic time, read only when a batch is opened.
    mutating func append(_ record: Append, completion: DeliveryCompletion, clock: () -> UInt64) -> AppendResult {
        guard !closing else { return .closed }
        let size = RecordBatchBuilder.recordSizeBytes(
            key: record.key, value: record.value, headers: record.headers, timestampDelta: 0, offsetDelta: 0)
        guard size + RecordBatchHeader.size <= settings.maxRequestSizeBytes, size <= settings.bufferMemoryBytes else {
            return .recordTooLarge(sizeBytes: size)
        }
        guard bufferedBytes + size <= settings.bufferMemoryBytes else { return .bufferFull }
        var random = 0
        if record.partition == nil && record.keyHash == nil {
            randomState = randomState &+ 0x9e37_79b9_7f4a_7c15
            random = Int(truncatingIfNeeded: Self.mix(randomState) >> 1)
        }
        let batchId = nextBatchId
        let slot: Int?
        if let last = lastTopic, last.name == record.topic {
            slot = last.index
        } else {
            slot = topicIndexes[record.topic]
            if let slot { lastTopic = (record.topic, slot) }
        }
        let outcome = slot.map { slot in
            topics[slot].append(
                record, size: size, completion: completion, batchId: batchId, random: random, settings: settings,
                clock: clock)
        }
        switch outcome {
        case nil:
            return .unknownTopic
        case .partitionOutOfRange(let count)?:
            return .partitionOutOfRange(partitionCount: count)
        case .appended(let newBatch)?:
            if newBatch {
                nextBatchId += 1
                unfinished.insert(batchId)
            }
            bufferedBytes += size
            return .appended(newBatch: newBatch)
        }
    }

    /// ``append(_:completion:clock:)`` at a fixed time.
    mutating func append(_ record: Append, completion: DeliveryCompletion, nowNs: UInt64) -> AppendResult {
        append(record, completion: completion, clock: { nowNs })
    }

    /// SplitMix64 state for sticky partition switches (no system call per record).
    private var randomState = UInt64.random(in: 0...UInt64.max)

    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    // MARK: Draining

    /// Expires old batches, then takes the batches that are ready for leaders with a ready connection and spare
    /// in-flight capacity: at most one per partition, one request per broker, up to `max.request.size`.
    mutating func drain(
        nowNs: UInt64, leader: (TopicPartition) -> BrokerID?, connected: (BrokerID) -> Bool
    ) -> DrainPlan {
        var plan = DrainPlan()
        expire(nowNs: nowNs, into: &plan)
        if settings.idempotent && !sequences.canSend {
            plan.needIdentity = batchesOnWire == 0
            return plan
        }
        plan.identity = sequences.identity
        var requestBytes: [BrokerID: Int] = [:]
        var candidates: [(tp: TopicPartition, headId: UInt64, readyAtNs: UInt64?, sizeBytes: Int)] = []
        for tp in queuedPartitions {
            guard let head = headInfo(tp) else { continue }
            candidates.append((tp, head.id, head.readyAtNs, head.sizeBytes))
        }
        candidates.sort { $0.headId < $1.headId }
        for candidate in candidates {
            let tp = candidate.tp
            guard let readyAtNs = candidate.readyAtNs else { continue }
            guard readyAtNs <= nowNs else {
                plan.nextWakeNs = min(plan.nextWakeNs ?? .max, readyAtNs)
                continue
            }
            guard let broker = leader(tp) else {
                plan.refreshMetadata = true
                continue
            }
            guard connected(broker) else {
                plan.connect.insert(broker)
                continue
            }
            if plan.sends[broker] == nil, inFlightRequests[broker, default: 0] >= settings.maxInFlightPerBroker {
                continue
            }
            let used = requestBytes[broker, default: 0]
            guard used == 0 || used + candidate.sizeBytes <= settings.maxRequestSizeBytes else {
                plan.nextWakeNs = nowNs
                continue
            }
            guard let batch = takeHead(tp) else { continue }
            requestBytes[broker] = used + candidate.sizeBytes
            plan.sends[broker, default: []].append(batch)
        }
        for (broker, batches) in plan.sends {
            inFlightRequests[broker, default: 0] += 1
            batchesOnWire += batches.count
        }
        plan.nextWakeNs = plan.nextWakeNs.map { max($0, nowNs) }
        return plan
    }

    /// The partition's head batch: its id, when it may be sent (nil when it must wait for something other than
    /// time: an earlier batch of the partition still unfinished), and its size.
    private func headInfo(_ tp: TopicPartition) -> (id: UInt64, readyAtNs: UInt64?, sizeBytes: Int)? {
        guard let slot = topicIndexes[tp.topic] else { return nil }
        let index = Int(tp.partition.rawValue)
        guard index < topics[slot].partitions.count else { return nil }
        let queue = topics[slot].partitions[index]
        if !queue.retrying.isEmpty {
            let id = queue.retrying[0].id
            let size = queue.retrying[0].bytes.readableBytes
            if settings.idempotent, let sequence = queue.retrying[0].sequence, sequences.isCurrent(sequence),
                !sequences.mayResend(tp, sequence: sequence)
            {
                return (id, nil, size)
            }
            return (id, queue.retrying[0].retryAtNs, size)
        }
        guard !queue.open.isEmpty else { return nil }
        let id = queue.open[0].id
        let size = queue.open[0].encodedSizeBytes
        let full = queue.open.count > 1 || size >= settings.batchSizeBytes
        let readyAt = full || !flushes.isEmpty || closing ? 0 : queue.open[0].createdNs &+ settings.lingerNs
        return (id, readyAt, size)
    }

    /// Removes the partition's head batch for sending, stamping its sequence when idempotent.
    private mutating func takeHead(_ tp: TopicPartition) -> DrainedBatch? {
        let head = withQueue(tp) { queue -> DrainedBatch? in
            if !queue.retrying.isEmpty { return .ready(queue.retrying.removeFirst()) }
            if !queue.open.isEmpty { return .open(queue.open.removeFirst(), nil) }
            return nil
        }
        switch head ?? nil {
        case .ready(var batch)?:
            if settings.idempotent && !sequences.isCurrent(batch.sequence) {
                batch.sequence = sequences.assign(tp, recordCount: batch.recordCount)
            }
            return .ready(batch)
        case .open(var batch, _)?:
            var sequence: AssignedSequence?
            if settings.idempotent, let identity = sequences.identity {
                let assigned = sequences.assign(tp, recordCount: batch.builder.recordCount)
                batch.builder.producerId = identity.producerId
                batch.builder.producerEpoch = identity.epoch
                batch.builder.baseSequence = assigned.baseSequence
                sequence = assigned
            }
            return .open(batch, sequence)
        case nil:
            return nil
        }
    }

    /// Fails queued batches older than `delivery.timeout.ms`.
    private mutating func expire(nowNs: UInt64, into plan: inout DrainPlan) {
        let timeout = settings.deliveryTimeoutNs
        var expired:
            [(
                id: UInt64, tp: TopicPartition, completions: BatchCompletions, size: Int,
                sequence: AssignedSequence?
            )] = []
        for tp in queuedPartitions {
            withQueue(tp) { queue in
                while !queue.retrying.isEmpty, Self.age(queue.retrying[0].createdNs, nowNs) >= timeout {
                    let batch = queue.retrying.removeFirst()
                    expired.append((batch.id, tp, batch.completions, batch.sizeBytes, batch.sequence))
                }
                while !queue.open.isEmpty, Self.age(queue.open[0].createdNs, nowNs) >= timeout {
                    let batch = queue.open.removeFirst()
                    expired.append((batch.id, tp, batch.completions, batch.sizeBytes, nil))
                }
            }
        }
        guard !expired.isEmpty else { return }
        for e in expired {
            if let sequence = e.sequence { sequences.abandoned(e.tp, sequence: sequence) }
            plan.finished.append(finish(e.id, e.tp, e.completions, sizeBytes: e.size, .failure(expiry(e.tp))))
        }
        plan.memoryWaiters = takeMemoryWaiters()
        plan.flushWaiters = takeSatisfiedFlushes()
    }

    /// `now - created`, 0 when `created` is later (the caller read the clock before another task appended).
    static func age(_ createdNs: UInt64, _ nowNs: UInt64) -> UInt64 {
        nowNs > createdNs ? nowNs - createdNs : 0
    }

    private func expiry(_ tp: TopicPartition) -> KafkaClientError {
        KafkaClientError(
            .deliveryTimedOut,
            "record expired: not acknowledged within delivery.timeout.ms "
                + "\(settings.deliveryTimeoutNs / 1_000_000) ms; check that the partition has a leader",
            topicPartition: tp)
    }

    // MARK: Completing

    /// The per-batch outcome of one request.
    enum BatchResponse: Sendable {
        /// The partition's answer (`errorCode` 0 on success).
        case partition(errorCode: ErrorCode, baseOffset: Offset, logAppendTime: TimestampMs, message: String?)
        /// The request failed as a whole (connection closed, timeout): the batch may or may not have been written.
        case requestFailed(KafkaClientError)
    }

    /// Applies the responses to the batches of one request sent to `broker`.
    mutating func complete(broker: BrokerID, _ responses: [(ReadyBatch, BatchResponse)], nowNs: UInt64)
        -> CompletionPlan
    {
        var plan = CompletionPlan()
        inFlightRequests[broker, default: 1] -= 1
        batchesOnWire -= responses.count
        for (batch, response) in responses {
            let tp = batch.topicPartition
            let decision: BatchDecision
            let error: KafkaClientError
            switch response {
            case .partition(let code, let baseOffset, let logAppendTime, let message):
                decision = sequences.decide(
                    code, topicPartition: tp, sequence: batch.sequence, idempotent: settings.idempotent)
                if decision == .succeed {
                    if let sequence = batch.sequence {
                        sequences.acknowledged(tp, sequence: sequence, recordCount: batch.recordCount)
                    }
                    plan.finished.append(
                        finish(
                            batch.id, tp, batch.completions, sizeBytes: batch.sizeBytes,
                            .success((code == .duplicateSequenceNumber ? .none : baseOffset, logAppendTime))))
                    continue
                }
                error = .broker(code, message, topicPartition: tp)
            case .requestFailed(let failure):
                decision = failure.isRetriable ? .retry(refreshMetadata: true) : .fail
                error = failure
            }
            if case .retry(let refresh) = decision, batch.attempts <= settings.retries,
                Self.age(batch.createdNs, nowNs) < settings.deliveryTimeoutNs, !closingWithoutRetries
            {
                plan.refreshMetadata = plan.refreshMetadata || refresh
                requeue(batch, nowNs: nowNs)
                continue
            }
            if let sequence = batch.sequence { sequences.abandoned(tp, sequence: sequence) }
            plan.finished.append(finish(batch.id, tp, batch.completions, sizeBytes: batch.sizeBytes, .failure(error)))
        }
        if !plan.finished.isEmpty {
            plan.memoryWaiters = takeMemoryWaiters()
            plan.flushWaiters = takeSatisfiedFlushes()
        }
        return plan
    }

    /// Set by ``abandonAll(error:)``: nothing is retried any more.
    private var closingWithoutRetries = false

    private mutating func requeue(_ batch: ReadyBatch, nowNs: UInt64) {
        var batch = batch
        batch.retryAtNs = nowNs &+ settings.retryBackoffNs
        let requeued: Bool? = withQueue(batch.topicPartition) { queue in
            let index = queue.retrying.firstIndex { $0.id > batch.id } ?? queue.retrying.endIndex
            queue.retrying.insert(batch, at: index)
            return true
        }
        precondition(requeued != nil, "a batch's partition queue exists while the batch is unfinished")
    }

    private mutating func finish(
        _ id: UInt64, _ tp: TopicPartition, _ completions: BatchCompletions, sizeBytes: Int,
        _ result: Result<(baseOffset: Offset, logAppendTime: TimestampMs), KafkaClientError>
    ) -> FinishedBatch {
        unfinished.remove(id)
        bufferedBytes -= sizeBytes
        return FinishedBatch(topicPartition: tp, completions: completions, result: result)
    }

    /// Records a batch the sender could not build (a compression failure): it fails without being sent.
    mutating func failUnsent(_ batch: OpenBatch, broker: BrokerID, sequence: AssignedSequence?, error: KafkaClientError)
        -> CompletionPlan
    {
        batchesOnWire -= 1
        if let sequence { sequences.abandoned(batch.topicPartition, sequence: sequence) }
        var plan = CompletionPlan()
        plan.finished.append(
            finish(batch.id, batch.topicPartition, batch.completions, sizeBytes: batch.sizeBytes, .failure(error)))
        plan.memoryWaiters = takeMemoryWaiters()
        plan.flushWaiters = takeSatisfiedFlushes()
        return plan
    }

    /// Marks the end of a request that carried no batches after all (every batch failed to build).
    mutating func requestAbandoned(broker: BrokerID) {
        inFlightRequests[broker, default: 1] -= 1
    }

    // MARK: Identity, flush, memory, close

    mutating func installIdentity(_ identity: ProducerIdentity) {
        sequences.install(identity)
    }

    /// Registers a flush: every batch existing now becomes ready at once, and `waiter` resumes when all of them are
    /// finished. Returns false (and keeps nothing) when there is nothing to wait for.
    mutating func addFlush(_ waiter: CheckedContinuation<Void, Never>) -> Bool {
        let mark = nextBatchId - 1
        guard let oldest = unfinished.min(), oldest <= mark else { return false }
        flushes.append((mark, waiter))
        return true
    }

    private mutating func takeSatisfiedFlushes() -> [CheckedContinuation<Void, Never>] {
        guard !flushes.isEmpty else { return [] }
        let oldest = unfinished.min() ?? .max
        var done: [CheckedContinuation<Void, Never>] = []
        flushes.removeAll { entry in
            guard oldest > entry.mark else { return false }
            done.append(entry.waiter)
            return true
        }
        return done
    }

    /// Registers a wait for buffer memory; false (nothing kept) when there is room already.
    mutating func addMemoryWaiter(_ waiter: CheckedContinuation<Void, Never>, neededBytes: Int) -> Bool {
        guard bufferedBytes + neededBytes > settings.bufferMemoryBytes, bufferedBytes > 0 else { return false }
        memoryWaiters.append(waiter)
        return true
    }

    private mutating func takeMemoryWaiters() -> [CheckedContinuation<Void, Never>] {
        guard !memoryWaiters.isEmpty, bufferedBytes < settings.bufferMemoryBytes else { return [] }
        defer { memoryWaiters = [] }
        return memoryWaiters
    }

    /// Stops accepting records; queued batches become ready at once.
    mutating func beginClose() -> [CheckedContinuation<Void, Never>] {
        closing = true
        defer { memoryWaiters = [] }
        return memoryWaiters
    }

    /// Fails every queued batch with `error` (a forced close) and stops retrying batches still on the wire.
    mutating func abandonAll(error: KafkaClientError) -> CompletionPlan {
        closing = true
        closingWithoutRetries = true
        var plan = CompletionPlan()
        for tp in queuedPartitions {
            let queue = withQueue(tp) { queue -> PartitionQueue in
                defer { queue = PartitionQueue() }
                return queue
            }
            for batch in queue?.retrying ?? [] {
                plan.finished.append(
                    finish(batch.id, tp, batch.completions, sizeBytes: batch.sizeBytes, .failure(error)))
            }
            for batch in queue?.open ?? [] {
                plan.finished.append(
                    finish(batch.id, tp, batch.completions, sizeBytes: batch.sizeBytes, .failure(error)))
            }
        }
        plan.memoryWaiters = memoryWaiters
        memoryWaiters = []
        plan.flushWaiters = takeSatisfiedFlushes()
        return plan
    }
}
