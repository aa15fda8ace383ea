import FjordModel
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A record to produce.
public struct ProducerRecord: Sendable {
    public var topic: TopicName
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]
    /// Nil: the partitioner picks (murmur2 of the key, or sticky for null keys).
    public var partition: PartitionID?
    /// Nil: now.
    public var timestamp: TimestampMs?

    public init(
        topic: TopicName, key: ByteBuffer? = nil, value: ByteBuffer?, headers: [RecordHeader] = [],
        partition: PartitionID? = nil, timestamp: TimestampMs? = nil
    ) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.partition = partition
        self.timestamp = timestamp
    }

    /// A record with UTF-8 key and value.
    public init(
        topic: TopicName, key: String?, value: String?, headers: [RecordHeader] = [], partition: PartitionID? = nil,
        timestamp: TimestampMs? = nil
    ) {
        self.init(
            topic: topic, key: key.map { ByteBuffer(string: $0) }, value: value.map { ByteBuffer(string: $0) },
            headers: headers, partition: partition, timestamp: timestamp)
    }
}

/// A Kafka producer: batches records per partition, sends them to partition leaders, retries, and (by default)
/// is idempotent, so retries neither duplicate nor reorder records.
///
/// `Sendable`: any number of tasks may call ``send(topic:key:value:headers:partition:timestamp:)`` at once. Records
/// from one task to one partition keep their order. Call ``close()`` when done; it sends what is buffered first.
///
/// Two ways to send:
/// - ``send(topic:key:value:headers:partition:timestamp:)`` waits until the record is acknowledged and returns its
///   ``RecordMetadata``. Awaiting each record in turn caps throughput at one batch per round trip; send from several
///   tasks, or use `enqueue`.
/// - ``enqueue(topic:key:value:headers:partition:timestamp:deliveryId:)`` returns once the record is buffered
///   (waiting only for metadata or buffer space) and reports the outcome later, per batch, to the
///   `deliveryReportHandler` under the caller's id (librdkafka's delivery reports; swift-kafka-client's model).
public final class Producer: Sendable {
    public let configuration: ProducerConfiguration
    private let sender: ProducerSender
    private let cluster: ClusterClient
    private let senderTask: Task<Void, Never>
    /// Run once by ``close()`` after the last delivery report.
    private let closeHooks = Mutex<[@Sendable () -> Void]>([])

    /// Creates a producer; it connects on first use.
    ///
    /// - Parameters:
    ///   - deliveryReportHandler: receives the outcome of `enqueue`d records, one call per batch, on a connection's
    ///     event loop: keep it short.
    /// - Throws: `.configuration` when ``ProducerConfiguration/validate()`` fails.
    public init(
        configuration: ProducerConfiguration, logger: Logger = Logger(label: "fjord.producer"),
        eventLoopGroup: (any EventLoopGroup)? = nil,
        deliveryReportHandler: (@Sendable (DeliveryReport) -> Void)? = nil
    ) throws(KafkaClientError) {
        try configuration.validate()
        let group = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        self.configuration = configuration
        self.cluster = ClusterClient(settings: configuration.connectionSettings, logger: logger, group: group)
        let sender = ProducerSender(
            configuration: configuration, cluster: cluster, eventLoop: group.next(), logger: logger,
            deliveryHandler: deliveryReportHandler)
        self.sender = sender
        self.senderTask = Task { await sender.run() }
    }

    /// A producer whose delivery reports arrive as an `AsyncStream` (swift-kafka-client's model) instead of a
    /// handler. The stream buffers without bound: consume it, or use the handler form.
    public static func makeProducerWithDeliveryReports(
        configuration: ProducerConfiguration, logger: Logger = Logger(label: "fjord.producer"),
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) throws(KafkaClientError) -> (Producer, AsyncStream<DeliveryReport>) {
        let (stream, continuation) = AsyncStream.makeStream(of: DeliveryReport.self)
        let producer = try Producer(
            configuration: configuration, logger: logger, eventLoopGroup: eventLoopGroup,
            deliveryReportHandler: { continuation.yield($0) })
        producer.closeHooks.withLock { $0.append { continuation.finish() } }
        return (producer, stream)
    }

    /// Sends one record and waits for its acknowledgement.
    ///
    /// - Throws: ``KafkaClientError``: `.deliveryTimedOut` after `delivery.timeout.ms`, `.broker` with the Kafka
    ///   error for a non-retriable failure, `.metadataUnavailable` when the topic's metadata did not arrive within
    ///   `max.block.ms`, `.clientClosed` after ``close()``, `.invalidArgument` for a bad partition or a record
    ///   larger than `max.request.size`.
    public func send(
        topic: String, key: ByteBuffer? = nil, value: ByteBuffer?, headers: [RecordHeader] = [],
        partition: PartitionID? = nil, timestamp: TimestampMs? = nil
    ) async throws -> RecordMetadata {
        try await send(
            ProducerRecord(
                topic: TopicName(topic), key: key, value: value, headers: headers, partition: partition,
                timestamp: timestamp))
    }

    /// Sends one record and waits for its acknowledgement.
    public func send(_ record: ProducerRecord) async throws -> RecordMetadata {
        let append = prepare(record)
        while true {
            do {
                return try await withCheckedThrowingContinuation { continuation in
                    let result = self.append(append, .continuation(continuation, append.timestamp))
                    if case .appended = result { return }
                    continuation.resume(throwing: AppendBlocked(result: result))
                }
            } catch let blocked as AppendBlocked {
                try await unblock(blocked.result, append)
            }
        }
    }

    /// Buffers one record and returns; its outcome goes to the delivery report handler under `deliveryId`.
    public func enqueue(
        topic: String, key: ByteBuffer? = nil, value: ByteBuffer?, headers: [RecordHeader] = [],
        partition: PartitionID? = nil, timestamp: TimestampMs? = nil, deliveryId: UInt64
    ) async throws {
        let append = RecordAccumulator.Append(
            topic: TopicName(topic), partition: partition,
            keyHash: key.map { key in key.withUnsafeReadableBytes { Murmur2.hash($0) } }, key: key, value: value,
            headers: headers, timestamp: timestamp ?? .now())
        while true {
            let result = self.append(append, .report(id: deliveryId))
            if case .appended = result { return }
            try await unblock(result, append)
        }
    }

    /// Sends everything buffered now, without waiting for `linger.ms`, and waits until those records are finished
    /// (acknowledged or failed).
    public func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let registered = sender.accumulator.withLock { $0.addFlush(continuation) }
            if registered { sender.wakeup.signal() } else { continuation.resume() }
        }
    }

    /// Stops accepting records, sends what is buffered (waiting at most `delivery.timeout.ms` for it), and closes
    /// the connections. Later sends fail with `.clientClosed`.
    public func close() async {
        let waiters = sender.accumulator.withLock { $0.beginClose() }
        waiters.forEach { $0.resume() }
        sender.wakeup.signal()
        await flush()
        sender.requestStop()
        await senderTask.value
        cluster.close()
        let hooks = closeHooks.withLock { hooks in
            defer { hooks = [] }
            return hooks
        }
        hooks.forEach { $0() }
    }

    /// The partitions of `topic` as metadata describes them (fetching metadata when needed).
    public func partitions(of topic: String) async throws -> [PartitionMetadata] {
        let metadata = try await cluster.awaitTopics(
            [TopicName(topic)], timeout: configuration.maxBlock, requireLeaders: false)
        sender.apply(metadata)
        return metadata.topics[TopicName(topic)]?.partitions ?? []
    }

    // MARK: Internals

    private struct AppendBlocked: Error {
        var result: RecordAccumulator.AppendResult
    }

    private func prepare(_ record: ProducerRecord) -> RecordAccumulator.Append {
        let keyHash = record.key.map { key in key.withUnsafeReadableBytes { Murmur2.hash($0) } }
        return RecordAccumulator.Append(
            topic: record.topic, partition: record.partition, keyHash: keyHash, key: record.key, value: record.value,
            headers: record.headers, timestamp: record.timestamp ?? .now())
    }

    private func append(_ record: RecordAccumulator.Append, _ completion: DeliveryCompletion)
        -> RecordAccumulator.AppendResult
    {
        let result = sender.accumulator.withLock {
            $0.append(record, completion: completion, clock: MonotonicClock.nowNs)
        }
        if case .appended(newBatch: true) = result { sender.wakeup.signal() }
        return result
    }

    /// Waits out what stopped an append, or throws when it cannot succeed.
    private func unblock(_ result: RecordAccumulator.AppendResult, _ record: RecordAccumulator.Append) async throws {
        if let fatal = sender.fatalError { throw fatal }
        switch result {
        case .appended:
            return
        case .unknownTopic:
            if let problem = record.topic.validationError {
                throw KafkaClientError(.invalidArgument, problem)
            }
            let metadata = try await cluster.awaitTopics(
                [record.topic], timeout: configuration.maxBlock, requireLeaders: false)
            sender.apply(metadata)
        case .bufferFull:
            let size = RecordBatchBuilder.recordSizeBytes(
                key: record.key, value: record.value, headers: record.headers, timestampDelta: 0, offsetDelta: 0)
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let waiting = sender.accumulator.withLock { $0.addMemoryWaiter(continuation, neededBytes: size) }
                if !waiting { continuation.resume() }
            }
        case .closed:
            throw KafkaClientError(.clientClosed, "the producer is closed")
        case .partitionOutOfRange(let count):
            throw KafkaClientError(
                .invalidArgument,
                "partition \(record.partition.map { "\($0)" } ?? "?") is out of range: topic \(record.topic) has "
                    + "\(count) partitions")
        case .recordTooLarge(let size):
            throw KafkaClientError.broker(
                .messageTooLarge,
                "the record is \(size) bytes, more than max.request.size (\(configuration.maxRequestSize)) or "
                    + "buffer.memory allows")
        }
    }
}
