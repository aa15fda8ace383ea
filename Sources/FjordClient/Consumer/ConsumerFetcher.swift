import Atomics
import FjordModel
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore
import Synchronization

/// The consumer's I/O shell: a loop that plans fetches and position lookups from ``FetchState`` and performs them,
/// plus the group membership's delegate (assignment changes) and auto-commit.
///
/// Threading: the loop is one task; fetch responses are applied on the connections' event loops; the records
/// iterator takes chunks from its own task. All of them touch `state` only under its `Mutex`. One fetch per broker
/// is in flight at a time, and it stays in flight while the application processes buffered records (pipelining),
/// until `maxBufferedBytes` are waiting.
final class ConsumerFetcher: Sendable {
    let configuration: ConsumerConfiguration
    let cluster: ClusterClient
    let logger: Logger
    let state: Mutex<FetchState>
    let wakeup: LoopWakeup
    /// Bumped whenever the iterator's current chunk may have become invalid (seek, pause, revocation).
    let invalidations = ManagedAtomic<UInt64>(0)
    let group: GroupMembership?
    let events: AsyncStream<RebalanceEvent>.Continuation
    let rebalanceListener: (@Sendable (RebalanceEvent) async -> Void)?

    private struct Background {
        var refreshing = false
        var lastRefreshStartNs: UInt64 = 0
        var connecting: Set<BrokerID> = []
        var stopped = false
        var lastCommitted: [TopicPartition: Offset] = [:]
    }

    private let background = Mutex(Background())

    init(
        configuration: ConsumerConfiguration, cluster: ClusterClient, logger: Logger, eventLoop: any EventLoop,
        group: GroupMembership?, events: AsyncStream<RebalanceEvent>.Continuation,
        rebalanceListener: (@Sendable (RebalanceEvent) async -> Void)?
    ) {
        self.configuration = configuration
        self.cluster = cluster
        self.logger = logger
        self.state = Mutex(
            FetchState(
                maxBufferedBytes: configuration.maxBufferedBytes,
                maxPartitionFetchBytes: configuration.maxPartitionFetchBytes,
                autoOffsetReset: configuration.autoOffsetReset,
                retryBackoffNs: UInt64(max(0, configuration.retryBackoff.nanosecondsClamped))))
        self.wakeup = LoopWakeup(eventLoop: eventLoop)
        self.group = group
        self.events = events
        self.rebalanceListener = rebalanceListener
    }

    var isStopped: Bool { background.withLock { $0.stopped } }

    /// Stops the loop and wakes a waiting iterator (which then ends).
    func stop() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            defer { s.waiter = nil }
            return s.waiter
        }
        background.withLock { $0.stopped = true }
        waiter?.resume()
        wakeup.signal()
    }

    // MARK: The loop

    func run() async {
        while !isStopped {
            let now = MonotonicClock.nowNs()
            let metadata = cluster.metadata
            let plan = state.withLock { s in
                s.plan(
                    nowNs: now, leader: { metadata.leader(for: $0) },
                    connected: { self.cluster.readyConnection(to: $0) != nil })
            }
            if plan.refreshMetadata || (cluster.isMetadataStale && !metadata.topics.isEmpty) {
                triggerMetadataRefresh()
            }
            for broker in plan.connect { triggerConnect(broker) }
            if !plan.lookups.isEmpty {
                let lookups = plan.lookups
                Task { await self.lookUpPositions(lookups) }
            }
            for (broker, items) in plan.requests { fetch(items, from: broker) }
            let retryAt = state.withLock { $0.earliestRetryNs() }
            let wake = [plan.nextWakeNs, retryAt].compactMap { $0 }.filter { $0 > now }.min()
            await wakeup.wait(untilNs: wake)
        }
    }

    // MARK: Fetch

    private func fetch(
        _ items: [(TopicPartition, fetchOffset: Offset, leaderEpoch: Int32, epoch: UInt64)], from broker: BrokerID
    ) {
        guard let connection = cluster.readyConnection(to: broker),
            let version = connection.versions.version(for: .fetch)
        else {
            applyFetch(broker: broker, items, results: nil)
            return
        }
        var byTopic: [TopicName: [FetchRequest.FetchPartition]] = [:]
        var order: [TopicName] = []
        for (tp, offset, _, _) in items {
            if byTopic[tp.topic] == nil { order.append(tp.topic) }
            byTopic[tp.topic, default: []].append(
                FetchRequest.FetchPartition(
                    partition: tp.partition.rawValue, currentLeaderEpoch: -1, fetchOffset: offset.rawValue,
                    logStartOffset: -1, partitionMaxBytes: Int32(clamping: configuration.maxPartitionFetchBytes)))
        }
        let request = FetchRequest(
            replicaId: -1, maxWaitMs: configuration.fetchMaxWait.millisecondsInt32,
            minBytes: Int32(clamping: configuration.fetchMinBytes),
            maxBytes: Int32(clamping: configuration.fetchMaxBytes), isolationLevel: configuration.readCommitted ? 1 : 0,
            sessionId: 0, sessionEpoch: -1,
            topics: order.map { FetchRequest.FetchTopic(topic: $0.rawValue, partitions: byTopic[$0]!) },
            forgottenTopicsData: [], rackId: "")
        let frame = connection.encode(request, version: version)
        connection.roundTrip(frame: frame, expectsResponse: true, extraTimeout: configuration.fetchMaxWait)
            .whenComplete { result in
                switch result {
                case .success(var frame):
                    do {
                        let response = try BrokerConnection.decode(FetchResponse.self, from: &frame, version: version)
                        self.applyFetch(broker: broker, items, results: Self.results(of: response, version: version))
                    } catch {
                        self.logger.debug("fetch response undecodable", metadata: ["error": "\(error)"])
                        self.applyFetch(broker: broker, items, results: nil)
                    }
                case .failure(let error):
                    self.logger.debug("fetch failed", metadata: ["broker": "\(broker)", "error": "\(error)"])
                    self.cluster.dropConnection(to: broker)
                    self.applyFetch(broker: broker, items, results: nil)
                }
            }
    }

    private static func results(of response: FetchResponse, version: Int16) -> [TopicPartition: FetchState
        .PartitionResult]
    {
        var results: [TopicPartition: FetchState.PartitionResult] = [:]
        if version >= 7, response.errorCode != 0 { return results }
        for topic in response.responses {
            for p in topic.partitions {
                results[TopicPartition(TopicName(topic.topic), PartitionID(p.partitionIndex))] =
                    FetchState.PartitionResult(
                        errorCode: ErrorCode(p.errorCode), highWatermark: Offset(p.highWatermark),
                        logStartOffset: Offset(p.logStartOffset), records: p.records)
            }
        }
        return results
    }

    private func applyFetch(
        broker: BrokerID, _ items: [(TopicPartition, fetchOffset: Offset, leaderEpoch: Int32, epoch: UInt64)],
        results: [TopicPartition: FetchState.PartitionResult]?
    ) {
        let now = MonotonicClock.nowNs()
        let outcome = state.withLock { $0.applyFetch(broker: broker, sent: items, results: results, nowNs: now) }
        if outcome.refreshMetadata { triggerMetadataRefresh() }
        outcome.wakeIterator?.resume()
        wakeup.signal()
    }

    // MARK: Positions

    /// Resolves positions: the group's committed offsets first (for `.committed`), then ListOffsets for resets
    /// and timestamps.
    private func lookUpPositions(_ lookups: [(TopicPartition, FetchState.PositionSource, epoch: UInt64)]) async {
        var epochs: [TopicPartition: UInt64] = [:]
        var timestamps: [TopicPartition: Int64] = [:]
        var committed: [TopicPartition] = []
        for (tp, source, epoch) in lookups {
            epochs[tp] = epoch
            switch source {
            case .committed: committed.append(tp)
            case .reset(let policy): resetLookup(tp, policy, epoch: epoch, into: &timestamps)
            case .timestamp(let ts): timestamps[tp] = ts.rawValue
            }
        }
        if !committed.isEmpty {
            if let group {
                do {
                    let offsets = try await group.committed(committed)
                    for tp in committed {
                        if let offset = offsets[tp] ?? nil {
                            state.withLock { $0.resolved(tp, epoch: epochs[tp]!, offset: offset) }
                        } else {
                            resetLookup(tp, configuration.autoOffsetReset, epoch: epochs[tp]!, into: &timestamps)
                        }
                    }
                } catch {
                    logger.debug("committed offsets unavailable", metadata: ["error": "\(error)"])
                    let now = MonotonicClock.nowNs()
                    state.withLock { s in
                        for tp in committed { s.lookupFailed(tp, epoch: epochs[tp]!, source: nil, nowNs: now) }
                    }
                }
            } else {
                for tp in committed {
                    resetLookup(tp, configuration.autoOffsetReset, epoch: epochs[tp]!, into: &timestamps)
                }
            }
        }
        if !timestamps.isEmpty {
            let results = (try? await cluster.listOffsets(timestamps)) ?? [:]
            var toEnd: [TopicPartition: Int64] = [:]
            let now = MonotonicClock.nowNs()
            for tp in timestamps.keys {
                switch results[tp] {
                case .success(let offset)? where offset.rawValue >= 0:
                    state.withLock { $0.resolved(tp, epoch: epochs[tp]!, offset: offset) }
                case .success?:
                    toEnd[tp] = ClusterClient.latestTimestamp
                default:
                    state.withLock { $0.lookupFailed(tp, epoch: epochs[tp]!, source: nil, nowNs: now) }
                    triggerMetadataRefresh()
                }
            }
            if !toEnd.isEmpty, let ends = try? await cluster.listOffsets(toEnd) {
                for (tp, result) in ends {
                    if case .success(let offset) = result {
                        state.withLock { $0.resolved(tp, epoch: epochs[tp]!, offset: offset) }
                    }
                }
            }
        }
        wakeup.signal()
    }

    /// Turns a reset policy into a ListOffsets timestamp, or (policy `none`) an error for the iterator.
    private func resetLookup(
        _ tp: TopicPartition, _ policy: OffsetResetStrategy, epoch: UInt64,
        into timestamps: inout [TopicPartition: Int64]
    ) {
        switch policy {
        case .earliest: timestamps[tp] = ClusterClient.earliestTimestamp
        case .latest: timestamps[tp] = ClusterClient.latestTimestamp
        case .none:
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                s.lookupFailed(tp, epoch: epoch, source: nil, nowNs: .max)
                s.pendingError = KafkaClientError(
                    .invalidArgument,
                    "no committed offset for \(tp) and auto.offset.reset is none; seek to a position first",
                    topicPartition: tp)
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }

    // MARK: Background work

    func triggerMetadataRefresh() {
        let backoffNs = UInt64(max(0, configuration.retryBackoff.nanosecondsClamped))
        let last: UInt64? = background.withLock { b in
            guard !b.refreshing else { return nil }
            b.refreshing = true
            return b.lastRefreshStartNs
        }
        guard let last else { return }
        Task {
            let elapsed = MonotonicClock.nowNs() &- last
            if elapsed < backoffNs { try? await Task.sleep(for: .nanoseconds(backoffNs - elapsed)) }
            self.background.withLock { $0.lastRefreshStartNs = MonotonicClock.nowNs() }
            do { try await self.cluster.refreshMetadata() } catch {
                self.logger.debug("metadata refresh failed", metadata: ["error": "\(error)"])
            }
            self.background.withLock { $0.refreshing = false }
            self.wakeup.signal()
        }
    }

    private func triggerConnect(_ broker: BrokerID) {
        guard background.withLock({ $0.connecting.insert(broker).inserted }) else { return }
        Task {
            do { _ = try await self.cluster.connection(to: broker) } catch {
                self.triggerMetadataRefresh()
            }
            self.background.withLock { _ = $0.connecting.remove(broker) }
            self.wakeup.signal()
        }
    }

    // MARK: Commits

    /// Commits positions through the group: processed positions (auto-commit) or returned ones (`commit()`),
    /// limited to `only` when given, and skipping what was committed already.
    func commitPositions(processedOnly: Bool, only: Set<TopicPartition>? = nil) async throws {
        guard let group else {
            throw KafkaClientError(.configuration, "committing offsets needs a group.id")
        }
        var positions = state.withLock { $0.commitPositions(processedOnly: processedOnly) }
        if let only { positions = positions.filter { only.contains($0.key) } }
        let last = background.withLock { $0.lastCommitted }
        positions = positions.filter { last[$0.key] != $0.value }
        guard !positions.isEmpty else { return }
        logger.debug(
            "committing",
            metadata: ["offsets": "\(positions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })"])
        try await group.commit(positions)
        background.withLock { b in
            for (tp, offset) in positions { b.lastCommitted[tp] = offset }
        }
    }

    /// Commits explicit offsets.
    func commit(_ offsets: [TopicPartition: Offset]) async throws {
        guard let group else { throw KafkaClientError(.configuration, "committing offsets needs a group.id") }
        try await group.commit(offsets)
        background.withLock { b in
            for (tp, offset) in offsets { b.lastCommitted[tp] = offset }
        }
    }

    /// Auto-commit: every `auto.commit.interval.ms` while running.
    func runAutoCommit() async {
        while !isStopped {
            try? await Task.sleep(for: configuration.autoCommitInterval)
            if isStopped || Task.isCancelled { break }
            do { try await commitPositions(processedOnly: true) } catch {
                logger.debug("auto-commit failed", metadata: ["error": "\(error)"])
            }
        }
    }

    func notifyInvalidated() {
        invalidations.wrappingIncrement(ordering: .releasing)
        wakeup.signal()
    }

    func emit(_ event: RebalanceEvent) async {
        events.yield(event)
        await rebalanceListener?(event)
    }
}

extension ConsumerFetcher: GroupMembershipDelegate {
    func membershipAssigned(_ partitions: [TopicPartition]) async {
        guard !isStopped else { return }
        state.withLock { $0.assign(partitions, source: .committed) }
        notifyInvalidated()
        if !partitions.isEmpty { await emit(.assigned(partitions.sorted())) }
    }

    func membershipRevoked(_ partitions: [TopicPartition], lost: Bool) async {
        guard !partitions.isEmpty else { return }
        if !lost && configuration.enableAutoCommit {
            do { try await commitPositions(processedOnly: true, only: Set(partitions)) } catch {
                logger.debug("commit before revocation failed", metadata: ["error": "\(error)"])
            }
        }
        await emit(lost ? .lost(partitions.sorted()) : .revoked(partitions.sorted()))
        state.withLock { $0.unassign(partitions) }
        background.withLock { b in
            for tp in partitions { b.lastCommitted[tp] = nil }
        }
        notifyInvalidated()
    }

    func membershipFailed(_ error: KafkaClientError) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.pendingError = error
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }
}
