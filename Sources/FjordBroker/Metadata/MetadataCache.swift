import FjordModel
import KafkaProtocol
import KafkaWire
import Synchronization

/// The broker's view of the cluster, fed only by the controller's UpdateMetadata requests (Kafka's
/// `ZkMetadataCache`): live brokers with their endpoints per listener, partition leadership, topic ids.
///
/// Thread-safety: readers take an immutable ``MetadataSnapshot`` (a copy under a `Mutex`); an update builds the next
/// snapshot and swaps it in, then wakes waiters (CreateTopics and DeleteTopics wait here for the controller to act).
public final class MetadataCache: Sendable {
    private struct State {
        var snapshot = MetadataSnapshot()
        var waiters: [UInt64: AsyncStream<Void>.Continuation] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The current snapshot.
    public var snapshot: MetadataSnapshot { state.withLock { $0.snapshot } }

    /// Applies an UpdateMetadata request at `version`: replaces the live brokers, adds or replaces the partitions it
    /// names, removes partitions whose leader is -2 (the topic is being deleted) and topics left without partitions.
    ///
    /// - Returns: the partitions removed.
    @discardableResult
    public func apply(_ request: UpdateMetadataRequest, version: Int16) -> [TopicPartition] {
        let (removed, waiters) = state.withLock { state -> ([TopicPartition], [AsyncStream<Void>.Continuation]) in
            var next = state.snapshot
            next.controllerID = request.controllerId
            next.controllerEpoch = ControllerEpoch(request.controllerEpoch)
            next.brokers = Self.brokers(request.liveBrokers, version: version)
            var removed: [TopicPartition] = []
            let partitionStates: [(String, UpdateMetadataRequest.UpdateMetadataPartitionState)]
            if version >= 5 {
                partitionStates = request.topicStates.flatMap { topic in
                    topic.partitionStates.map { (topic.topicName, $0) }
                }
                for topic in request.topicStates where topic.topicId != .zero {
                    next.topicIDs[TopicName(topic.topicName)] = topic.topicId
                }
            } else {
                partitionStates = request.ungroupedPartitionStates.map { ($0.topicName, $0) }
            }
            for (topicName, state) in partitionStates {
                let topic = TopicName(topicName)
                let partition = PartitionID(state.partitionIndex)
                if state.leader == Self.leaderDuringDelete {
                    next.topics[topic]?[partition] = nil
                    removed.append(TopicPartition(topic, partition))
                    if next.topics[topic]?.isEmpty == true {
                        next.topics[topic] = nil
                        next.topicIDs[topic] = nil
                    }
                } else {
                    next.topics[topic, default: [:]][partition] = MetadataSnapshot.Partition(
                        leader: BrokerID(state.leader), leaderEpoch: LeaderEpoch(state.leaderEpoch),
                        isr: state.isr.map { BrokerID($0) }, replicas: state.replicas.map { BrokerID($0) },
                        offlineReplicas: state.offlineReplicas.map { BrokerID($0) }, partitionEpoch: state.zkVersion)
                }
            }
            next.generation += 1
            state.snapshot = next
            return (removed, Array(state.waiters.values))
        }
        for waiter in waiters { waiter.yield() }
        return removed
    }

    /// Replaces the snapshot (tests, and tools that build metadata by hand).
    public func replace(_ snapshot: MetadataSnapshot) {
        let waiters = state.withLock { state -> [AsyncStream<Void>.Continuation] in
            var next = snapshot
            next.generation = state.snapshot.generation + 1
            state.snapshot = next
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.yield() }
    }

    /// Kafka's `LeaderDuringDelete`: the controller's marker for partitions of a topic being deleted.
    static let leaderDuringDelete: Int32 = -2

    static func brokers(_ live: [UpdateMetadataRequest.UpdateMetadataBroker], version: Int16)
        -> [BrokerID: MetadataSnapshot.Broker]
    {
        var result: [BrokerID: MetadataSnapshot.Broker] = [:]
        for broker in live {
            var endpoints: [String: MetadataSnapshot.HostPort] = [:]
            if version == 0 {
                endpoints["PLAINTEXT"] = .init(host: broker.v0Host, port: broker.v0Port)
            } else {
                for endpoint in broker.endpoints {
                    let name = version >= 3 ? endpoint.listener : securityProtocolName(endpoint.securityProtocol)
                    endpoints[name.uppercased()] = .init(host: endpoint.host, port: endpoint.port)
                }
            }
            let id = BrokerID(broker.id)
            result[id] = MetadataSnapshot.Broker(id: id, endpoints: endpoints, rack: broker.rack)
        }
        return result
    }

    /// The listener name older UpdateMetadata versions imply through the security protocol id.
    static func securityProtocolName(_ id: Int16) -> String {
        switch id {
        case 1: "SSL"
        case 2: "SASL_PLAINTEXT"
        case 3: "SASL_SSL"
        default: "PLAINTEXT"
        }
    }

    // MARK: Waiting for the controller

    /// Waits until `condition` holds for the current snapshot or `timeout` passes; returns whether it held.
    ///
    /// Checks the condition on every metadata update, so it returns as soon as the controller's UpdateMetadata
    /// makes it true. A zero or negative timeout checks once.
    public func waitUntil(
        timeout: Duration, _ condition: @escaping @Sendable (MetadataSnapshot) -> Bool
    ) async -> Bool {
        if condition(snapshot) { return true }
        guard timeout > .zero else { return false }
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            state.waiters[state.nextWaiter] = continuation
            return state.nextWaiter
        }
        defer {
            state.withLock { _ = $0.waiters.removeValue(forKey: id) }
            continuation.finish()
        }
        // An update between the first check and the registration would be missed: check again now.
        if condition(snapshot) { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { [self] in
                for await _ in stream where condition(snapshot) { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            continuation.finish()
            return first || condition(snapshot)
        }
    }
}
