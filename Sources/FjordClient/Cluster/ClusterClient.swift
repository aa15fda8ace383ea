import FjordModel
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The connections and metadata one client (a producer, consumer or admin) shares: bootstrap, one connection per
/// broker (opened on demand, reopened with backoff after failures), and the metadata cache with its refreshes.
///
/// Thread-safe. State lives in a `Mutex` and is only read or replaced under it; network work happens outside it,
/// in tasks that are deduplicated (one connect per broker and one metadata refresh at a time).
final class ClusterClient: Sendable {
    let settings: ConnectionSettings
    let logger: Logger
    let group: any EventLoopGroup
    private let backoff: ReconnectBackoff
    private let state = Mutex(State())

    private enum Slot {
        case ready(BrokerConnection)
        case connecting(Task<BrokerConnection, any Error>)
        /// The last attempt failed; the next may start at `retryAtNs` (monotonic).
        case backingOff(failures: Int, retryAtNs: UInt64)
    }

    private struct State {
        var metadata = ClusterMetadata()
        var metadataUpdatedNs: UInt64 = 0
        var hasMetadata = false
        /// Topics whose metadata every refresh asks for.
        var interest: Set<TopicName> = []
        var refresh: Task<ClusterMetadata, any Error>?
        var slots: [BrokerID: Slot] = [:]
        var failures: [BrokerID: Int] = [:]
        var bootstrap: BrokerConnection?
        var bootstrapTask: Task<BrokerConnection, any Error>?
        var retired: [BrokerConnection] = []
        var bootstrapIndex = 0
        var closed = false
    }

    init(settings: ConnectionSettings, logger: Logger, group: any EventLoopGroup) {
        self.settings = settings
        self.logger = logger
        self.group = group
        self.backoff = ReconnectBackoff(base: settings.reconnectBackoff, max: settings.reconnectBackoffMax)
        self.state.withLock { $0.bootstrapIndex = Int.random(in: 0..<max(1, settings.bootstrapServers.count)) }
    }

    // MARK: Metadata

    /// The cached metadata, possibly empty or stale.
    var metadata: ClusterMetadata { state.withLock { $0.metadata } }

    /// Whether the cache is older than `metadata.max.age.ms` (or empty).
    var isMetadataStale: Bool {
        state.withLock { s in
            !s.hasMetadata
                || MonotonicClock.nowNs() &- s.metadataUpdatedNs > UInt64(settings.metadataMaxAge.nanosecondsClamped)
        }
    }

    /// Adds topics that every later refresh asks about.
    func addInterest<S: Sequence>(_ topics: S) where S.Element == TopicName {
        state.withLock { $0.interest.formUnion(topics) }
    }

    /// Replaces the set of topics refreshes ask about.
    func setInterest(_ topics: Set<TopicName>) {
        state.withLock { $0.interest = topics }
    }

    /// Refreshes metadata for the topics of interest (joining a refresh already under way) and returns the new
    /// snapshot.
    @discardableResult
    func refreshMetadata() async throws -> ClusterMetadata {
        let task: Task<ClusterMetadata, any Error> = state.withLock { s in
            if let running = s.refresh { return running }
            let topics = s.interest
            let task = Task { try await self.fetchMetadata(topics: topics, allowAutoTopicCreation: nil) }
            s.refresh = task
            return task
        }
        defer { state.withLock { s in if s.refresh == task { s.refresh = nil } } }
        return try await task.value
    }

    /// Sends one Metadata request for `topics` (nil: every topic) and merges the answer into the cache.
    func fetchMetadata(topics: Set<TopicName>?, allowAutoTopicCreation: Bool?) async throws -> ClusterMetadata {
        let connection = try await anyConnection()
        let version = try connection.requireVersion(.metadata)
        var request = MetadataRequest()
        if let topics {
            let list = topics.sorted().map { MetadataRequest.MetadataRequestTopic(name: $0.rawValue) }
            if version == 0 && list.isEmpty {
                // v0 cannot ask for "no topics" (empty means all); ask for one topic that cannot exist instead.
                request.topics = [MetadataRequest.MetadataRequestTopic(name: "__fjord_no_topic__")]
            } else {
                request.topics = list
            }
        } else {
            request.topics = version == 0 ? [] : nil
        }
        if version >= 4 { request.allowAutoTopicCreation = allowAutoTopicCreation ?? settings.allowAutoTopicCreation }
        let response = try await connection.send(request, version: version)
        var snapshot = ClusterMetadata(response: response)
        snapshot.topics.removeValue(forKey: "__fjord_no_topic__")
        let now = MonotonicClock.nowNs()
        return state.withLock { s in
            s.metadata = s.metadata.merging(snapshot, requested: topics)
            s.metadataUpdatedNs = now
            s.hasMetadata = true
            return s.metadata
        }
    }

    /// Waits until metadata knows every topic in `topics` with a leader for each partition, refreshing with backoff
    /// (a topic being created answers LEADER_NOT_AVAILABLE for a while). Returns the snapshot.
    ///
    /// - Throws: `.metadataUnavailable` after `timeout` (naming the topics and their last error), or
    ///   `.broker(UNKNOWN_TOPIC_OR_PARTITION)` as soon as a topic is reported missing when `failOnUnknownTopic`.
    func awaitTopics(
        _ topics: [TopicName], timeout: Duration, failOnUnknownTopic: Bool = false, requireLeaders: Bool = true
    ) async throws -> ClusterMetadata {
        addInterest(topics)
        let deadline = ContinuousClock.now + timeout
        var delay = Duration.milliseconds(50)
        while true {
            let snapshot = try await refreshMetadata()
            var missing: [String] = []
            for topic in topics {
                guard let t = snapshot.topics[topic] else {
                    missing.append("\(topic): not in metadata")
                    continue
                }
                if t.error == .unknownTopicOrPartition && failOnUnknownTopic {
                    throw KafkaClientError.broker(.unknownTopicOrPartition, "topic \(topic) does not exist")
                }
                if t.error != .noError || t.partitions.isEmpty
                    || (requireLeaders && t.partitions.contains(where: { $0.leader == nil }))
                {
                    missing.append("\(topic): \(t.error == .noError ? "partitions without a leader" : t.error.name)")
                }
            }
            if missing.isEmpty { return snapshot }
            guard ContinuousClock.now + delay < deadline else {
                throw KafkaClientError(
                    .metadataUnavailable,
                    "no usable metadata within \(timeout): \(missing.joined(separator: "; ")); "
                        + "check that the topic exists (fjord topics list)")
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(1))
        }
    }

    /// Records a broker learned outside Metadata (a FindCoordinator answer) when metadata does not list it yet.
    func noteBroker(_ info: BrokerInfo) {
        state.withLock { s in
            if s.metadata.brokers[info.id] == nil { s.metadata.brokers[info.id] = info }
        }
    }

    // MARK: Connections

    /// A ready connection to `broker`, without waiting; nil when none is open.
    func readyConnection(to broker: BrokerID) -> BrokerConnection? {
        state.withLock { s in
            if case .ready(let connection)? = s.slots[broker], connection.isActive { return connection }
            return nil
        }
    }

    /// The connection to `broker`, opening it if needed (waiting out the reconnect backoff after failures).
    func connection(to broker: BrokerID) async throws -> BrokerConnection {
        while true {
            enum Step {
                case use(BrokerConnection)
                case wait(Task<BrokerConnection, any Error>)
                case sleep(UInt64)
                case unknown
                case closed
            }
            let now = MonotonicClock.nowNs()
            let step: Step = state.withLock { s in
                if s.closed { return .closed }
                switch s.slots[broker] {
                case .ready(let connection)? where connection.isActive: return .use(connection)
                case .connecting(let task)?: return .wait(task)
                case .backingOff(_, let retryAt)? where retryAt > now: return .sleep(retryAt - now)
                default: break
                }
                guard let info = s.metadata.brokers[broker] else { return .unknown }
                let task = Task { () async throws -> BrokerConnection in
                    try await self.open(info.address, broker: broker)
                }
                s.slots[broker] = .connecting(task)
                return .wait(task)
            }
            switch step {
            case .use(let connection): return connection
            case .closed: throw KafkaClientError(.clientClosed, "the client is closed")
            case .unknown:
                throw KafkaClientError(.metadataUnavailable, "broker \(broker) is not in the cluster metadata")
            case .sleep(let ns): try await Task.sleep(for: .nanoseconds(ns))
            case .wait(let task): return try await task.value
            }
        }
    }

    /// Opens a connection and records the outcome in the broker's slot.
    private func open(_ address: BrokerAddress, broker: BrokerID) async throws -> BrokerConnection {
        do {
            let connection = try await BrokerConnection.connect(
                to: address, brokerID: broker, settings: settings, group: group, logger: logger)
            let keep = state.withLock { s in
                guard !s.closed else { return false }
                s.slots[broker] = .ready(connection)
                s.failures[broker] = 0
                return true
            }
            guard keep else {
                connection.close()
                throw KafkaClientError(.clientClosed, "the client is closed")
            }
            connection.closeFuture.whenComplete { _ in
                self.state.withLock { s in
                    if case .ready(let c)? = s.slots[broker], c === connection { s.slots[broker] = nil }
                }
            }
            return connection
        } catch {
            let now = MonotonicClock.nowNs()
            let delay = state.withLock { s in
                let failures = (s.failures[broker] ?? 0) + 1
                s.failures[broker] = failures
                let delay = backoff.delayNs(failures: failures, jitter: Double.random(in: -1...1))
                s.slots[broker] = .backingOff(failures: failures, retryAtNs: now &+ UInt64(delay))
                return delay
            }
            logger.debug(
                "connection failed",
                metadata: ["broker": "\(broker)", "error": "\(error)", "retryInMs": "\(delay / 1_000_000)"])
            throw error
        }
    }

    /// Any usable connection, for requests any broker answers (Metadata, ListGroups…): an open one if there is
    /// one, else the known brokers and then the bootstrap servers, in turn, until one connects. Concurrent callers
    /// share one bootstrap attempt.
    func anyConnection() async throws -> BrokerConnection {
        enum Step {
            case use(BrokerConnection)
            case known([BrokerID])
            case closed
        }
        let step = state.withLock { s -> Step in
            if s.closed { return .closed }
            for case .ready(let c) in s.slots.values where c.isActive { return .use(c) }
            if let b = s.bootstrap, b.isActive { return .use(b) }
            return .known(s.metadata.brokers.keys.shuffled())
        }
        var errors: [String] = []
        switch step {
        case .closed: throw KafkaClientError(.clientClosed, "the client is closed")
        case .use(let connection): return connection
        case .known(let brokers):
            for broker in brokers {
                do { return try await connection(to: broker) } catch { errors.append("\(error)") }
            }
        }
        let task = state.withLock { s -> Task<BrokerConnection, any Error> in
            if let running = s.bootstrapTask { return running }
            s.bootstrapIndex += 1
            let start = s.bootstrapIndex
            let task = Task { try await self.connectBootstrap(startingAt: start) }
            s.bootstrapTask = task
            return task
        }
        defer { state.withLock { s in if s.bootstrapTask == task { s.bootstrapTask = nil } } }
        do {
            return try await task.value
        } catch let error as KafkaClientError {
            if errors.isEmpty { throw error }
            throw KafkaClientError(error.kind, "\(error.message); \(errors.last!)")
        }
    }

    /// Tries the bootstrap servers in turn, starting at `start` (rotating between attempts).
    private func connectBootstrap(startingAt start: Int) async throws -> BrokerConnection {
        let servers = settings.bootstrapServers
        var errors: [String] = []
        for i in 0..<servers.count {
            let address = servers[(start + i) % servers.count]
            do {
                let connection = try await BrokerConnection.connect(
                    to: address, brokerID: nil, settings: settings, group: group, logger: logger)
                let keep = state.withLock { s -> Bool in
                    guard !s.closed else { return false }
                    // A replaced bootstrap connection is not closed here: a caller may still be using it. It is
                    // idle from now on and is closed with the client.
                    if let previous = s.bootstrap { s.retired.append(previous) }
                    s.bootstrap = connection
                    return true
                }
                guard keep else {
                    connection.close()
                    throw KafkaClientError(.clientClosed, "the client is closed")
                }
                return connection
            } catch {
                errors.append("\(error)")
            }
        }
        throw KafkaClientError(
            .noBrokersAvailable,
            "no broker reachable (bootstrap servers: \(servers.map(\.description).joined(separator: ","))): "
                + (errors.last ?? "no attempt"))
    }

    /// Sends a request to `broker`.
    func send<R: KafkaRequest>(_ request: R, to broker: BrokerID, extraTimeout: Duration = .zero) async throws
        -> R.Response
    {
        try await connection(to: broker).send(request, extraTimeout: extraTimeout)
    }

    /// Forgets a broker's connection after an error that suggests it is unusable (it will be reopened on demand).
    func dropConnection(to broker: BrokerID) {
        let connection = state.withLock { s -> BrokerConnection? in
            if case .ready(let c)? = s.slots[broker] {
                s.slots[broker] = nil
                return c
            }
            return nil
        }
        connection?.close()
    }

    /// Closes every connection; later requests fail with `.clientClosed`.
    func close() {
        let (connections, tasks) = state.withLock { s -> ([BrokerConnection], [Task<BrokerConnection, any Error>]) in
            s.closed = true
            var connections: [BrokerConnection] = []
            var tasks: [Task<BrokerConnection, any Error>] = []
            for slot in s.slots.values {
                switch slot {
                case .ready(let c): connections.append(c)
                case .connecting(let t): tasks.append(t)
                case .backingOff: break
                }
            }
            if let b = s.bootstrap { connections.append(b) }
            connections += s.retired
            s.retired = []
            s.slots = [:]
            s.bootstrap = nil
            s.refresh?.cancel()
            return (connections, tasks)
        }
        connections.forEach { $0.close() }
        tasks.forEach { $0.cancel() }
    }
}
