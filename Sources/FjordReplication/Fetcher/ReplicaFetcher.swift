import FjordModel
import FjordNetwork
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One follower → leader fetch session (Kafka's `ReplicaFetcherThread`): a Swift task that repeatedly sends one
/// replica fetch for every partition it holds that is not backing off, over one ``KafkaClientConnection`` to the
/// leader's inter-broker listener, and applies the answers (append, truncate, back off).
///
/// Per partition it keeps the fetch offset (always the local log end offset once an answer is applied), the epoch
/// of the last fetched batch and the leader epoch it fetches in. An answer is applied only if the partition is still
/// held with the leader epoch and fetch offset the request carried; the ``Partition`` checks the epoch again under
/// its own lock, so a fetcher of an old epoch can never write.
///
/// Errors: a transport failure closes the connection and every partition of the request backs off
/// `replica.fetch.backoff.ms`, then the connection is re-opened (the leader's endpoint is looked up again, as the
/// leader may have moved); a partition error backs off that partition only.
///
/// Concurrency: `state` (a `Mutex`) holds the partitions and the connection; the task is the only sender. The task
/// prefers `eventLoop` as its executor and every connection it opens is bound to that loop, so sending a request,
/// resuming on its response, applying it (the follower append is a page-cache write, like a leader append on its
/// connection's loop) and sending the next request run on one thread with no hop through the cooperative pool.
/// Blocking work (truncation, flushes) still goes to `blockingPool`.
final class ReplicaFetcher: Sendable {
    struct PartitionFetchState: Hashable, Sendable {
        var leaderEpoch: LeaderEpoch
        var fetchOffset: Offset
        var lastFetchedEpoch: LeaderEpoch?
        /// Monotonic time before which the partition is not fetched (after an error).
        var delayedUntilMs: Int64 = 0
    }

    private struct State {
        var partitions: [TopicPartition: PartitionFetchState] = [:]
        var connection: KafkaClientConnection?
        var stopped = false
        var task: Task<Void, Never>?
    }

    let leader: BrokerID
    let index: Int
    let config: ReplicaManagerConfig
    /// The loop of every connection this fetcher opens, and its task's executor preference.
    let eventLoop: any EventLoop
    private let executor: EventLoopTaskExecutor
    let endpoints: any BrokerEndpointResolver
    let brokerEpoch: @Sendable () -> BrokerEpoch
    let blockingPool: NIOThreadPool
    let logger: Logger
    let partitionLookup: @Sendable (TopicPartition) -> Partition?
    /// Called with the record bytes of each response (metrics).
    let onFetched: @Sendable (Int) -> Void
    private let state = Mutex(State())

    init(
        leader: BrokerID, index: Int, config: ReplicaManagerConfig, eventLoopGroup: any EventLoopGroup,
        endpoints: any BrokerEndpointResolver, brokerEpoch: @escaping @Sendable () -> BrokerEpoch,
        blockingPool: NIOThreadPool, logger: Logger, onFetched: @escaping @Sendable (Int) -> Void = { _ in },
        partitionLookup: @escaping @Sendable (TopicPartition) -> Partition?
    ) {
        self.leader = leader
        self.index = index
        self.config = config
        self.eventLoop = eventLoopGroup.next()
        self.executor = EventLoopTaskExecutor(self.eventLoop)
        self.endpoints = endpoints
        self.brokerEpoch = brokerEpoch
        self.blockingPool = blockingPool
        self.logger = logger
        self.partitionLookup = partitionLookup
        self.onFetched = onFetched
    }

    var isEmpty: Bool { state.withLock { $0.partitions.isEmpty } }
    var partitionStates: [TopicPartition: PartitionFetchState] { state.withLock { $0.partitions } }

    func add(_ items: [ReplicaFetcherManager.PartitionToFetch]) {
        state.withLock { state in
            for item in items {
                state.partitions[item.topicPartition] = PartitionFetchState(
                    leaderEpoch: item.leaderEpoch, fetchOffset: item.fetchOffset,
                    lastFetchedEpoch: item.lastFetchedEpoch)
            }
        }
    }

    func remove(_ partitions: Set<TopicPartition>) {
        state.withLock { state in for tp in partitions { state.partitions[tp] = nil } }
    }

    func start() {
        let task = Task(executorPreference: executor) { await self.run() }
        state.withLock { $0.task = task }
    }

    /// Stops the task and closes the connection without waiting.
    func stop() {
        let (task, connection) = state.withLock { state in
            state.stopped = true
            return (state.task, state.connection)
        }
        task?.cancel()
        connection?.close()
    }

    func shutdown() async {
        stop()
        await state.withLock { $0.task }?.value
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    private func run() async {
        while !isStopped && !Task.isCancelled {
            let nowMs = MonotonicClock.nowMs()
            guard let request = buildRequest(nowMs: nowMs) else {
                try? await Task.sleep(for: .milliseconds(idleWaitMs(nowMs: nowMs)))
                continue
            }
            guard let connection = await connection() else {
                backOff(request.partitions.map(\.topicPartition))
                continue
            }
            do {
                var frame = try await connection.send(
                    apiKey: ReplicaFetchProtocol.apiKey, apiVersion: ReplicaFetchProtocol.currentVersion,
                    headerVersion: 1, timeoutMs: Int64(request.maxWaitMs) + config.replicaSocketTimeoutMs
                ) { request.write(to: &$0, version: ReplicaFetchProtocol.currentVersion) }.get()
                let response = try ReplicaFetchResponse(
                    from: &frame, version: ReplicaFetchProtocol.currentVersion,
                    limits: .init(maxRecordsBytes: Int(Int32.max)))
                let recordBytes = response.partitions.reduce(0) { $0 + $1.records.readableBytes }
                if recordBytes > 0 { onFetched(recordBytes) }
                await process(response, for: request)
            } catch {
                if isStopped { break }
                logger.info(
                    "replica fetch failed; reconnecting after backoff",
                    metadata: ["leader": "\(leader)", "error": "\(error)"])
                dropConnection(connection)
                backOff(request.partitions.map(\.topicPartition))
            }
        }
        state.withLock { $0.connection }?.close()
    }

    /// The request for every partition not backing off, or `nil` when there is none.
    private func buildRequest(nowMs: Int64) -> ReplicaFetchRequest? {
        let items = state.withLock { state in
            state.partitions.filter { $0.value.delayedUntilMs <= nowMs }.sorted { $0.key < $1.key }
        }
        guard !items.isEmpty else { return nil }
        let partitions = items.map { tp, fetch in
            ReplicaFetchRequest.Partition(
                topicPartition: tp, currentLeaderEpoch: fetch.leaderEpoch, fetchOffset: fetch.fetchOffset,
                lastFetchedEpoch: fetch.lastFetchedEpoch ?? .none,
                logStartOffset: partitionLookup(tp)?.log.logStartOffset ?? .none,
                partitionMaxBytes: config.replicaFetchMaxBytes)
        }
        return ReplicaFetchRequest(
            replicaID: config.brokerID, brokerEpoch: brokerEpoch(), maxWaitMs: config.replicaFetchWaitMaxMs,
            minBytes: config.replicaFetchMinBytes, maxBytes: config.replicaFetchResponseMaxBytes,
            partitions: partitions)
    }

    /// How long to sleep when every partition backs off: until the first one may fetch again (at most 100 ms, so
    /// stopping is prompt).
    private func idleWaitMs(nowMs: Int64) -> Int64 {
        let next = state.withLock { $0.partitions.values.map(\.delayedUntilMs).min() } ?? nowMs + 100
        return min(100, max(1, next - nowMs))
    }

    private func connection() async -> KafkaClientConnection? {
        if let existing = state.withLock({ $0.connection }), existing.isActive { return existing }
        guard let endpoint = endpoints.interBrokerEndpoint(of: leader) else {
            logger.info("leader has no known inter-broker endpoint", metadata: ["leader": "\(leader)"])
            return nil
        }
        do {
            let connection = try await KafkaClientConnection.connect(
                host: endpoint.host, port: endpoint.port, group: eventLoop,
                configuration: .init(
                    connectTimeoutMs: config.replicaSocketTimeoutMs,
                    clientId: "fjord-replica-fetcher-\(config.brokerID)-\(leader)-\(index)"))
            let keep = state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.connection = connection
                return true
            }
            if !keep {
                connection.close()
                return nil
            }
            return connection
        } catch {
            logger.info(
                "cannot connect to leader",
                metadata: ["leader": "\(leader)", "endpoint": "\(endpoint)", "error": "\(error)"])
            return nil
        }
    }

    private func dropConnection(_ connection: KafkaClientConnection) {
        connection.close()
        state.withLock { state in if state.connection === connection { state.connection = nil } }
    }

    /// Delays `partitions` by `replica.fetch.backoff.ms`.
    /// How soon a partition whose leader has not yet taken up its epoch is fetched again.
    static let leaderChangeRetryMs: Int64 = 50

    func backOff(_ partitions: [TopicPartition], ms backoffMs: Int64? = nil) {
        let until = MonotonicClock.nowMs() + (backoffMs ?? config.replicaFetchBackoffMs)
        state.withLock { state in
            for tp in partitions { state.partitions[tp]?.delayedUntilMs = until }
        }
    }

    /// Updates a partition's fetch state if it is still held with the epoch and offset `request` carried.
    func update(
        _ tp: TopicPartition, expecting request: ReplicaFetchRequest.Partition,
        _ body: (inout PartitionFetchState) -> Void
    ) {
        state.withLock { state in
            guard var current = state.partitions[tp], current.leaderEpoch == request.currentLeaderEpoch else { return }
            body(&current)
            state.partitions[tp] = current
        }
    }

    /// Whether `tp` is still held with the epoch and fetch offset the request carried (else its answer is stale).
    func isCurrent(_ tp: TopicPartition, _ request: ReplicaFetchRequest.Partition) -> Bool {
        state.withLock { state in
            guard let current = state.partitions[tp] else { return false }
            return current.leaderEpoch == request.currentLeaderEpoch && current.fetchOffset == request.fetchOffset
        }
    }
}
