import FjordCluster
import FjordModel
import Logging
import Synchronization
import ZooKeeper

/// Reads cluster state from ZooKeeper with pipelined reads: every read of a step is issued at once and answered in
/// one burst (ZooKeeper answers a session's requests in order), never one round trip per broker or partition.
struct ClusterReader {
    let zk: ZooKeeperClient
    let logger: Logger
    /// How long the last ``partitionStates(_:)`` took, in milliseconds.
    let lastStateReadMs = TimingBox()

    /// Every registered broker with its epoch (the czxid of its ephemeral znode).
    func brokers() async throws -> [LiveBroker] {
        let ids = try await zk.children(ZNodePaths.brokerIds).compactMap { Int32($0) }.sorted()
        let results = await zk.getMany(ids.map { ZNodePaths.broker(BrokerID($0)) })
        var brokers: [LiveBroker] = []
        for (id, result) in zip(ids, results) {
            guard case .success(let node) = result else { continue }  // gone since the listing
            do {
                let registration = try ZNodeJSON.decode(
                    BrokerRegistration.self, from: node.data, path: ZNodePaths.broker(BrokerID(id)))
                brokers.append(
                    LiveBroker(id: BrokerID(id), epoch: BrokerEpoch(node.stat.czxid), registration: registration))
            } catch {
                logger.warning(
                    "ignoring unreadable broker registration", metadata: ["broker": "\(id)", "error": "\(error)"])
            }
        }
        return brokers
    }

    func topicNames() async throws -> Set<TopicName> {
        Set(try await zk.children(ZNodePaths.brokerTopics).map { TopicName($0) })
    }

    /// The assignment, version and config overrides of each topic (two pipelined bursts).
    func topics(_ names: some Collection<TopicName>) async -> [TopicName: LoadedTopic] {
        let ordered = Array(names)
        async let assignments = zk.getMany(ordered.map { ZNodePaths.topic($0) })
        async let configs = zk.getMany(ordered.map { ZNodePaths.topicConfig($0) })
        let (a, c) = await (assignments, configs)
        var result: [TopicName: LoadedTopic] = [:]
        for (index, name) in ordered.enumerated() {
            guard case .success(let node) = a[index] else { continue }
            guard
                let assignment = try? ZNodeJSON.decode(
                    TopicAssignment.self, from: node.data, path: ZNodePaths.topic(name))
            else {
                logger.warning("ignoring unreadable topic assignment", metadata: ["topic": "\(name)"])
                continue
            }
            var config: [String: String] = [:]
            if case .success(let configNode) = c[index],
                let parsed = try? ZNodeJSON.decode(
                    TopicConfigNode.self, from: configNode.data, path: ZNodePaths.topicConfig(name))
            {
                config = parsed.config
            }
            result[name] = LoadedTopic(assignment: assignment, zkVersion: node.stat.version, config: config)
        }
        return result
    }

    func topic(_ name: TopicName) async -> LoadedTopic? { await topics([name])[name] }

    /// Every existing partition `state` znode of these topics, in one burst.
    func partitionStates(_ topics: [TopicName: LoadedTopic]) async -> [TopicPartition: LeaderAndIsr] {
        let partitions = topics.flatMap { name, topic in topic.assignment.replicas.keys.map { TopicPartition(name, $0) }
        }
        let clock = ContinuousClock()
        let started = clock.now
        let results = await zk.getMany(partitions.map { ZNodePaths.partitionState($0) })
        lastStateReadMs.value = (clock.now - started).milliseconds
        var states: [TopicPartition: LeaderAndIsr] = [:]
        for (tp, result) in zip(partitions, results) {
            guard case .success(let node) = result,
                let state = try? ZNodeJSON.decode(
                    PartitionState.self, from: node.data, path: ZNodePaths.partitionState(tp))
            else { continue }
            states[tp] = LeaderAndIsr(znode: state, version: node.stat.version)
        }
        return states
    }

    func topicsToDelete() async throws -> Set<TopicName> {
        Set(try await zk.children(ZNodePaths.deleteTopics).map { TopicName($0) })
    }

    func reassignment() async -> ControllerContext.ZkReassignment? {
        guard let node = try? await zk.get(ZNodePaths.reassignPartitions) else { return nil }
        return ControllerContext.ZkReassignment(json: node.data, version: node.stat.version)
    }

    /// `/admin/preferred_replica_election` (Kafka's format: `{"version":1,"partitions":[{"topic","partition"}]}`).
    func preferredReplicaElection() async -> Set<TopicPartition>? {
        guard let node = try? await zk.get(ZNodePaths.preferredReplicaElection) else { return nil }
        struct Node: Decodable {
            struct Entry: Decodable {
                var topic: String
                var partition: Int32
            }
            var partitions: [Entry]
        }
        guard let parsed = try? ZNodeJSON.decode(Node.self, from: node.data, path: ZNodePaths.preferredReplicaElection)
        else { return [] }
        return Set(parsed.partitions.map { TopicPartition(topic: $0.topic, partition: $0.partition) })
    }

    /// Everything a new controller needs (Kafka's `initializeControllerContext`), with pipelined reads.
    func snapshot(epoch: ControllerEpoch, epochZkVersion: Int32) async throws -> ClusterSnapshot {
        async let brokers = self.brokers()
        async let names = self.topicNames()
        async let deletions = self.topicsToDelete()
        async let reassignment = self.reassignment()
        async let preferred = self.preferredReplicaElection()
        let topics = await self.topics(try await names)
        let states = await partitionStates(topics)
        return ClusterSnapshot(
            epoch: epoch, epochZkVersion: epochZkVersion, brokers: try await brokers, topics: topics,
            partitionStates: states, topicsToDelete: try await deletions, reassignment: await reassignment,
            preferredReplicaElection: await preferred)
    }
}

/// A number written by one task and read after it (a timing); locked so it is `Sendable`.
final class TimingBox: Sendable {
    private let storage = Mutex(0.0)
    var value: Double {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
