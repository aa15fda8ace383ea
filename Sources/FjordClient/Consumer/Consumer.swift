import FjordModel
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A Kafka consumer: joins a group and consumes the partitions the group assigns it (``subscribe(topics:)``), or
/// consumes partitions it picks itself (``assign(_:)``).
///
/// ```swift
/// let consumer = try Consumer(configuration: .init(bootstrapServers: servers, groupId: "billing"))
/// try await consumer.subscribe(topics: ["orders"])
/// for try await record in consumer.records {
///     handle(record)
/// }
/// ```
///
/// `Sendable`; ``records`` should be iterated by one task. Fetching runs in the background and keeps one fetch in
/// flight per broker while the application processes records. With `enable.auto.commit` (the default) processed
/// positions are committed every `auto.commit.interval.ms`, before partitions are revoked, and on ``close()``.
public final class Consumer: Sendable {
    public let configuration: ConsumerConfiguration
    private let cluster: ClusterClient
    private let fetcher: ConsumerFetcher
    private let group: GroupMembership?
    private let fetchTask: Task<Void, Never>
    private let autoCommitTask: Task<Void, Never>?
    private let closed = Mutex(false)

    /// Assignment changes: assigned, revoked and lost partitions.
    public let rebalanceEvents: AsyncStream<RebalanceEvent>

    /// Creates a consumer; it connects on first use.
    ///
    /// - Parameter rebalanceListener: awaited on each assignment change before the consumer continues (for example
    ///   to commit or store state when partitions are revoked); events also go to ``rebalanceEvents``.
    /// - Throws: `.configuration` when ``ConsumerConfiguration/validate()`` fails.
    public init(
        configuration: ConsumerConfiguration, logger: Logger = Logger(label: "fjord.consumer"),
        eventLoopGroup: (any EventLoopGroup)? = nil,
        rebalanceListener: (@Sendable (RebalanceEvent) async -> Void)? = nil
    ) throws(KafkaClientError) {
        try configuration.validate()
        let group = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        self.configuration = configuration
        let cluster = ClusterClient(settings: configuration.connectionSettings, logger: logger, group: group)
        self.cluster = cluster
        let membership = configuration.groupId.map {
            GroupMembership(
                groupId: $0, configuration: configuration, cluster: cluster, logger: logger, eventLoop: group.next())
        }
        self.group = membership
        let (stream, continuation) = AsyncStream.makeStream(of: RebalanceEvent.self)
        self.rebalanceEvents = stream
        let fetcher = ConsumerFetcher(
            configuration: configuration, cluster: cluster, logger: logger, eventLoop: group.next(),
            group: membership, events: continuation, rebalanceListener: rebalanceListener)
        self.fetcher = fetcher
        self.fetchTask = Task { await fetcher.run() }
        self.autoCommitTask =
            configuration.enableAutoCommit && configuration.groupId != nil
            ? Task { await fetcher.runAutoCommit() } : nil
    }

    /// The records, as a throwing async sequence (see ``ConsumerRecords``).
    public var records: ConsumerRecords { ConsumerRecords(fetcher: fetcher) }

    /// Joins the group (`group.id` is required) and consumes what it assigns, from the committed offsets (or
    /// `auto.offset.reset`). Calling it again changes the subscription (a rebalance).
    public func subscribe(topics: [String]) async throws {
        guard let group else {
            throw KafkaClientError(
                .configuration, "subscribe needs a group.id; use assign for partitions without a group")
        }
        let names = Set(topics.map { TopicName($0) })
        for name in names {
            if let problem = name.validationError { throw KafkaClientError(.invalidArgument, problem) }
        }
        await group.setDelegate(fetcher)
        await group.subscribe(names)
    }

    /// Consumes exactly these partitions, without group membership. Positions come from the group's committed
    /// offsets when `group.id` is set, else from `auto.offset.reset`, unless ``seek(_:to:)`` sets them.
    public func assign(_ partitions: [TopicPartition]) async throws {
        cluster.addInterest(Set(partitions.map(\.topic)))
        let source: FetchState.PositionSource =
            configuration.groupId != nil ? .committed : .reset(configuration.autoOffsetReset)
        fetcher.state.withLock { s in
            let removed = s.assignment.subtracting(partitions)
            s.unassign(Array(removed))
            s.assign(partitions, source: source)
        }
        fetcher.notifyInvalidated()
    }

    /// The partitions currently assigned.
    public func assignment() -> Set<TopicPartition> {
        fetcher.state.withLock { $0.assignment }
    }

    /// Moves a partition's position. The partition must be assigned.
    ///
    /// - Throws: `.invalidArgument` when the partition is not assigned.
    public func seek(_ partition: TopicPartition, to target: SeekTarget) throws {
        let done = fetcher.state.withLock { s -> Bool in
            switch target {
            case .offset(let offset): s.seek(partition, to: offset)
            case .beginning: s.seek(partition, source: .reset(.earliest))
            case .end: s.seek(partition, source: .reset(.latest))
            case .timestamp(let ts): s.seek(partition, source: .timestamp(ts))
            }
        }
        guard done else {
            throw KafkaClientError(.invalidArgument, "cannot seek \(partition): it is not assigned to this consumer")
        }
        fetcher.notifyInvalidated()
    }

    /// Stops returning records of these partitions (fetched ones stay buffered) until ``resume(_:)``.
    public func pause(_ partitions: [TopicPartition]) {
        fetcher.state.withLock { $0.setPaused(partitions, true) }
        fetcher.notifyInvalidated()
    }

    public func resume(_ partitions: [TopicPartition]) {
        fetcher.state.withLock { $0.setPaused(partitions, false) }
        fetcher.notifyInvalidated()
    }

    /// The next offset the consumer returns for a partition (nil while unknown).
    public func position(_ partition: TopicPartition) -> Offset? {
        fetcher.state.withLock { $0.position(partition) }
    }

    /// The high watermark from the last fetch of a partition (nil before the first).
    public func highWatermark(_ partition: TopicPartition) -> Offset? {
        fetcher.state.withLock { $0.highWatermark(partition) }
    }

    /// Commits the positions after the last records returned by ``records``.
    public func commit() async throws {
        try await fetcher.commitPositions(processedOnly: false)
    }

    /// Commits explicit offsets (the offset of the next record to consume, as in Kafka).
    public func commit(_ offsets: [TopicPartition: Offset]) async throws {
        try await fetcher.commit(offsets)
    }

    /// The group's committed offsets (nil where none).
    public func committed(_ partitions: [TopicPartition]) async throws -> [TopicPartition: Offset?] {
        guard let group else { throw KafkaClientError(.configuration, "committed offsets need a group.id") }
        return try await group.committed(partitions)
    }

    /// The log start offsets of partitions.
    public func beginningOffsets(_ partitions: [TopicPartition]) async throws -> [TopicPartition: Offset] {
        try await offsets(partitions, timestamp: ClusterClient.earliestTimestamp)
    }

    /// The log end offsets (high watermarks) of partitions.
    public func endOffsets(_ partitions: [TopicPartition]) async throws -> [TopicPartition: Offset] {
        try await offsets(partitions, timestamp: ClusterClient.latestTimestamp)
    }

    /// The partitions of a topic, from metadata.
    public func partitions(of topic: String) async throws -> [PartitionMetadata] {
        let metadata = try await cluster.awaitTopics(
            [TopicName(topic)], timeout: configuration.requestTimeout, failOnUnknownTopic: true, requireLeaders: false)
        return metadata.topics[TopicName(topic)]?.partitions ?? []
    }

    private func offsets(_ partitions: [TopicPartition], timestamp: Int64) async throws -> [TopicPartition: Offset] {
        let results = try await cluster.listOffsets(
            Dictionary(uniqueKeysWithValues: partitions.map { ($0, timestamp) }))
        var offsets: [TopicPartition: Offset] = [:]
        for (tp, result) in results { offsets[tp] = try result.get() }
        return offsets
    }

    /// Commits the positions after the records returned so far (with auto-commit, as Kafka's consumer does on
    /// close), leaves the group, ends ``records`` and closes connections.
    public func close() async {
        guard
            closed.withLock({ c in
                defer { c = true }; return !c
            })
        else { return }
        autoCommitTask?.cancel()
        await autoCommitTask?.value
        if configuration.enableAutoCommit, group != nil {
            do { try await fetcher.commitPositions(processedOnly: false) } catch {
                fetcher.logger.debug("final commit failed", metadata: ["error": "\(error)"])
            }
        }
        await group?.leave()
        fetcher.stop()
        fetcher.events.finish()
        await fetchTask.value
        cluster.close()
    }
}
