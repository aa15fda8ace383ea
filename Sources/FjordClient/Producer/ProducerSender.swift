import FjordModel
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore
import Synchronization

/// The producer's I/O shell: one loop that drains the ``RecordAccumulator`` into produce requests, and the
/// handlers that feed responses, metadata, connections and producer ids back into it.
///
/// Threading: the loop runs as one task; responses are handled on the connections' event loops. Both touch the
/// accumulator only through its `Mutex` and run completions (resuming `send` callers, delivery reports) after
/// releasing it. Batches are built (compressed) by the loop outside the lock. Background work (metadata refresh,
/// connects, InitProducerId) runs in tasks deduplicated through `background`.
final class ProducerSender: Sendable {
    let configuration: ProducerConfiguration
    let accumulator: Mutex<RecordAccumulator>
    let wakeup: LoopWakeup
    let cluster: ClusterClient
    let logger: Logger
    let deliveryHandler: (@Sendable (DeliveryReport) -> Void)?

    private struct Background {
        var refreshing = false
        var lastRefreshStartNs: UInt64 = 0
        var connecting: Set<BrokerID> = []
        var initializingIdentity = false
        var stopRequested = false
        var fatalError: KafkaClientError?
    }

    private let background = Mutex(Background())

    init(
        configuration: ProducerConfiguration, cluster: ClusterClient, eventLoop: any EventLoop, logger: Logger,
        deliveryHandler: (@Sendable (DeliveryReport) -> Void)?
    ) {
        self.configuration = configuration
        self.accumulator = Mutex(RecordAccumulator(settings: RecordAccumulator.Settings(configuration)))
        self.wakeup = LoopWakeup(eventLoop: eventLoop)
        self.cluster = cluster
        self.logger = logger
        self.deliveryHandler = deliveryHandler
    }

    /// A fatal error (the broker cannot give this producer an id), after which nothing is sent.
    var fatalError: KafkaClientError? { background.withLock { $0.fatalError } }

    /// Asks the loop to end once every batch is finished.
    func requestStop() {
        background.withLock { $0.stopRequested = true }
        wakeup.signal()
    }

    // MARK: The loop

    func run() async {
        while true {
            let stop = background.withLock { $0.stopRequested }
            if stop && accumulator.withLock({ $0.isIdle }) { break }
            let now = MonotonicClock.nowNs()
            let metadata = cluster.metadata
            var plan = accumulator.withLock { acc in
                acc.drain(
                    nowNs: now, leader: { metadata.leader(for: $0) },
                    connected: { self.cluster.readyConnection(to: $0) != nil })
            }
            perform(finished: plan.finished, memoryWaiters: plan.memoryWaiters, flushWaiters: plan.flushWaiters)
            if plan.refreshMetadata || (cluster.isMetadataStale && !metadata.topics.isEmpty) {
                triggerMetadataRefresh()
            }
            for broker in plan.connect { triggerConnect(broker) }
            if plan.needIdentity { triggerInitProducerId() }
            // Moved out of the plan, so each open batch's builder owns its buffer when it is built (see `send`).
            var sends = plan.sends
            plan.sends = [:]
            let sentRequests = !sends.isEmpty
            while let (broker, batches) = sends.popFirst() {
                send(consume batches, to: broker, identity: plan.identity)
            }
            if sentRequests && plan.nextWakeNs == nil {
                // A request went out; look again at once in case more is ready than one request held.
                await Task.yield()
                continue
            }
            await wakeup.wait(untilNs: plan.nextWakeNs)
        }
        logger.debug("producer sender stopped")
    }

    /// Runs batch completions and resumes waiters; never called with the lock held.
    func perform(
        finished: [FinishedBatch], memoryWaiters: [CheckedContinuation<Void, Never>],
        flushWaiters: [CheckedContinuation<Void, Never>]
    ) {
        for batch in finished {
            if let report = batch.complete() { deliveryHandler?(report) }
        }
        for waiter in memoryWaiters { waiter.resume() }
        for waiter in flushWaiters { waiter.resume() }
    }

    // MARK: Requests

    /// Builds the drained batches and sends them to `broker` in one produce request.
    ///
    /// Each drained batch is moved out of `drained` before it is built: a builder whose buffer is still referenced
    /// elsewhere would copy the whole batch when it writes the header (copy-on-write).
    private func send(_ drained: consuming [DrainedBatch], to broker: BrokerID, identity: ProducerIdentity?) {
        var batches: [ReadyBatch] = []
        batches.reserveCapacity(drained.count)
        var remaining = drained
        remaining.reverse()
        while let item = remaining.popLast() {
            switch consume item {
            case .open(var open, let sequence):
                let recordCount = open.builder.recordCount
                do {
                    let bytes = try open.builder.build()
                    batches.append(
                        ReadyBatch(
                            id: open.id, topicPartition: open.topicPartition, bytes: bytes, recordCount: recordCount,
                            completions: open.completions, createdNs: open.createdNs, sizeBytes: open.sizeBytes,
                            sequence: sequence))
                } catch {
                    let failure = KafkaClientError(
                        .invalidArgument, "could not build a record batch: \(error)",
                        topicPartition: open.topicPartition)
                    let plan = accumulator.withLock {
                        $0.failUnsent(open, broker: broker, sequence: sequence, error: failure)
                    }
                    perform(finished: plan.finished, memoryWaiters: plan.memoryWaiters, flushWaiters: plan.flushWaiters)
                }
            case .ready(var ready):
                if let identity, let sequence = ready.sequence {
                    ProducerStamp.restamp(&ready.bytes, identity: identity, baseSequence: sequence.baseSequence)
                }
                batches.append(ready)
            }
        }
        guard !batches.isEmpty else {
            accumulator.withLock { $0.requestAbandoned(broker: broker) }
            return
        }
        guard let connection = cluster.readyConnection(to: broker) else {
            complete(
                broker: broker, batches, .failure(KafkaClientError(.connectionClosed, "broker \(broker) disconnected")))
            return
        }
        let version: Int16
        do { version = try connection.requireVersion(.produce) } catch {
            complete(broker: broker, batches, .failure(error))
            return
        }
        var byTopic: [TopicName: [ProduceRequest.PartitionProduceData]] = [:]
        var totalBytes = 0
        for index in batches.indices {
            batches[index].attempts += 1
            let batch = batches[index]
            totalBytes += batch.bytes.readableBytes
            byTopic[batch.topicPartition.topic, default: []].append(
                ProduceRequest.PartitionProduceData(
                    index: batch.topicPartition.partition.rawValue, records: batch.bytes))
        }
        let request = ProduceRequest(
            transactionalId: nil, acks: configuration.acks.rawValue,
            timeoutMs: configuration.requestTimeout.millisecondsInt32,
            topicData: byTopic.map { ProduceRequest.TopicProduceData(name: $0.key.rawValue, partitionData: $0.value) })
        let frame = connection.encode(request, version: version, capacity: totalBytes + 128 + 64 * batches.count)
        let expectsResponse = configuration.acks != .none
        let sent = batches
        connection.roundTrip(frame: frame, expectsResponse: expectsResponse).whenComplete { result in
            self.complete(broker: broker, sent, result.mapError { $0 }, version: version, acks: self.configuration.acks)
        }
    }

    /// Turns a produce response (or a request failure) into per-batch outcomes and applies them.
    private func complete(
        broker: BrokerID, _ batches: [ReadyBatch], _ result: Result<ByteBuffer, any Error>, version: Int16 = 0,
        acks: ProducerConfiguration.Acks = .all
    ) {
        var responses: [(ReadyBatch, RecordAccumulator.BatchResponse)] = []
        responses.reserveCapacity(batches.count)
        switch result {
        case .failure(let error):
            let failure =
                error as? KafkaClientError ?? KafkaClientError(.connectionClosed, "produce request failed: \(error)")
            if failure.kind == .connectionClosed || failure.kind == .requestTimedOut {
                cluster.dropConnection(to: broker)
            }
            for batch in batches { responses.append((batch, .requestFailed(failure))) }
        case .success(var frame):
            if acks == .none {
                for batch in batches {
                    responses.append(
                        (batch, .partition(errorCode: .noError, baseOffset: .none, logAppendTime: .none, message: nil)))
                }
                break
            }
            do {
                let response = try BrokerConnection.decode(ProduceResponse.self, from: &frame, version: version)
                var byPartition: [TopicPartition: ProduceResponse.PartitionProduceResponse] = [:]
                for topic in response.responses {
                    for p in topic.partitionResponses {
                        byPartition[TopicPartition(TopicName(topic.name), PartitionID(p.index))] = p
                    }
                }
                for batch in batches {
                    if let p = byPartition[batch.topicPartition] {
                        responses.append(
                            (
                                batch,
                                .partition(
                                    errorCode: ErrorCode(p.errorCode), baseOffset: Offset(p.baseOffset),
                                    logAppendTime: TimestampMs(p.logAppendTimeMs), message: p.errorMessage)
                            ))
                    } else {
                        responses.append(
                            (
                                batch,
                                .requestFailed(
                                    KafkaClientError(.protocolViolation, "produce response lacks the partition"))
                            ))
                    }
                }
            } catch {
                let failure = error
                for batch in batches { responses.append((batch, .requestFailed(failure))) }
            }
        }
        let now = MonotonicClock.nowNs()
        let plan = accumulator.withLock { $0.complete(broker: broker, responses, nowNs: now) }
        if plan.refreshMetadata { triggerMetadataRefresh() }
        perform(finished: plan.finished, memoryWaiters: plan.memoryWaiters, flushWaiters: plan.flushWaiters)
        wakeup.signal()
    }

    // MARK: Background work

    /// Refreshes metadata in the background (one refresh at a time, at most one per `retry.backoff.ms`) and feeds
    /// partition counts and leaders to the partitioner.
    func triggerMetadataRefresh() {
        let backoffNs = UInt64(max(0, configuration.retryBackoff.nanosecondsClamped))
        let start: UInt64? = background.withLock { b in
            guard !b.refreshing else { return nil }
            b.refreshing = true
            return b.lastRefreshStartNs
        }
        guard let lastStart = start else { return }
        Task {
            let elapsed = MonotonicClock.nowNs() &- lastStart
            if elapsed < backoffNs { try? await Task.sleep(for: .nanoseconds(backoffNs - elapsed)) }
            self.background.withLock { $0.lastRefreshStartNs = MonotonicClock.nowNs() }
            do {
                let metadata = try await self.cluster.refreshMetadata()
                self.apply(metadata)
            } catch {
                self.logger.debug("metadata refresh failed", metadata: ["error": "\(error)"])
            }
            self.background.withLock { $0.refreshing = false }
            self.wakeup.signal()
        }
    }

    /// Gives the partitioner the partition counts and available partitions of every known topic.
    func apply(_ metadata: ClusterMetadata) {
        accumulator.withLock { acc in
            for (name, topic) in metadata.topics where topic.error == .noError && !topic.partitions.isEmpty {
                acc.updateTopic(
                    name, partitionCount: Int32(topic.partitions.count),
                    available: topic.partitions.filter { $0.leader != nil }.map(\.partition.rawValue))
            }
        }
    }

    private func triggerConnect(_ broker: BrokerID) {
        let start = background.withLock { $0.connecting.insert(broker).inserted }
        guard start else { return }
        Task {
            do {
                _ = try await self.cluster.connection(to: broker)
            } catch {
                self.logger.debug("connect failed", metadata: ["broker": "\(broker)", "error": "\(error)"])
                self.triggerMetadataRefresh()
            }
            self.background.withLock { _ = $0.connecting.remove(broker) }
            self.wakeup.signal()
        }
    }

    /// Obtains a producer id (InitProducerId without a transactional id), retrying retriable failures with backoff.
    private func triggerInitProducerId() {
        let start = background.withLock { b -> Bool in
            guard !b.initializingIdentity, b.fatalError == nil else { return false }
            b.initializingIdentity = true
            return true
        }
        guard start else { return }
        Task {
            var delay = self.configuration.retryBackoff
            while self.background.withLock({ $0.fatalError == nil }) {
                do {
                    let connection = try await self.cluster.anyConnection()
                    let response = try await connection.send(
                        InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: Int32.max))
                    let code = ErrorCode(response.errorCode)
                    if code == .noError {
                        let identity = ProducerIdentity(
                            producerId: ProducerID(response.producerId), epoch: ProducerEpoch(response.producerEpoch))
                        self.accumulator.withLock { $0.installIdentity(identity) }
                        self.logger.debug(
                            "producer id", metadata: ["id": "\(identity.producerId)", "epoch": "\(identity.epoch)"])
                        break
                    }
                    if !code.isRetriable { throw KafkaClientError.broker(code, "InitProducerId failed") }
                } catch let error as KafkaClientError where !error.isRetriable {
                    self.failFatally(
                        KafkaClientError(
                            error.kind,
                            "cannot get a producer id for idempotence (\(error.message)); "
                                + "set enable.idempotence=false to produce without it", errorCode: error.errorCode))
                    break
                } catch {
                    self.logger.debug("InitProducerId failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
            }
            self.background.withLock { $0.initializingIdentity = false }
            self.wakeup.signal()
        }
    }

    /// Fails everything queued and stops retrying: the producer cannot work.
    func failFatally(_ error: KafkaClientError) {
        background.withLock { $0.fatalError = error }
        logger.error("producer failed", metadata: ["error": "\(error)"])
        let plan = accumulator.withLock { $0.abandonAll(error: error) }
        perform(finished: plan.finished, memoryWaiters: plan.memoryWaiters, flushWaiters: plan.flushWaiters)
    }
}

/// Rewrites the producer id, epoch and base sequence of a built record batch (a batch resent under a new producer
/// identity) and recomputes its CRC-32C, which covers those fields.
enum ProducerStamp {
    static func restamp(_ batch: inout ByteBuffer, identity: ProducerIdentity, baseSequence: Int32) {
        typealias P = RecordBatchHeader.Position
        let start = batch.readerIndex
        let currentId = batch.getInteger(at: start + P.producerId, as: Int64.self)
        let currentEpoch = batch.getInteger(at: start + P.producerEpoch, as: Int16.self)
        let currentSequence = batch.getInteger(at: start + P.baseSequence, as: Int32.self)
        if currentId == identity.producerId.rawValue, currentEpoch == identity.epoch.rawValue,
            currentSequence == baseSequence
        {
            return
        }
        batch.setInteger(identity.producerId.rawValue, at: start + P.producerId)
        batch.setInteger(identity.epoch.rawValue, at: start + P.producerEpoch)
        batch.setInteger(baseSequence, at: start + P.baseSequence)
        let crc = batch.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[P.attributes...]))
        }
        batch.setInteger(crc, at: start + P.crc)
    }
}
