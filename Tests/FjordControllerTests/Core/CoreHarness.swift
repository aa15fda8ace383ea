import FjordCluster
import FjordController
import FjordModel
import KafkaWire
import Testing

func broker(_ id: Int32, epoch: Int64 = 100) -> LiveBroker {
    let endpoint = Endpoint(listenerName: "PLAINTEXT", host: "127.0.0.1", port: 9090 + Int(id))
    return LiveBroker(
        id: BrokerID(id), epoch: BrokerEpoch(epoch),
        registration: BrokerRegistration(
            endpoints: [endpoint], interBrokerListener: "PLAINTEXT", rack: nil, timestamp: TimestampMs(0)))
}

func ids(_ raw: [Int32]) -> [BrokerID] { raw.map { BrokerID($0) } }
func tp(_ topic: String, _ partition: Int32) -> TopicPartition { TopicPartition(topic: topic, partition: partition) }

/// Drives a ``ControllerCore`` against a ``FakeZooKeeper``: each event's writes are applied to the fake, its
/// follow-ups are run, and the context's invariants are checked after every event.
struct CoreHarness {
    var core: ControllerCore
    var zk = FakeZooKeeper()
    var brokers: [LiveBroker] = []
    /// Every action returned, across events and follow-ups.
    var log: [ControllerActions] = []
    /// Check the context's invariants after every event (off for tests that load malformed znodes on purpose).
    var checkInvariants = true

    init(unclean: Bool = false, imbalancePercentage: Int = 10) {
        var counter = 0
        let ids = (0..<64).map { _ in
            counter += 1
            return KafkaUUID(mostSignificantBits: UInt64(counter), leastSignificantBits: 1).description
        }
        let box = IDBox(ids)
        core = ControllerCore(
            configuration: .init(
                controllerID: 1000, uncleanLeaderElectionEnable: unclean,
                leaderImbalancePerBrokerPercentage: imbalancePercentage, makeTopicID: { box.next() }))
        zk[ZNodePaths.controllerEpoch] = FakeZooKeeper.Node(data: Array("1".utf8), version: 1)
    }

    var context: ControllerContext { core.context! }

    /// Writes a topic assignment (and optionally partition states) into the fake ZooKeeper, as a broker would.
    mutating func createTopic(_ name: String, _ replicas: [[Int32]], id: String? = "AAAAAAAAAAAAAAAAAAAAAQ") {
        var map: [PartitionID: [BrokerID]] = [:]
        for (p, r) in replicas.enumerated() { map[PartitionID(Int32(p))] = ids(r) }
        zk.put(ZNodePaths.topic(TopicName(name)), TopicAssignment(replicas: map, topicId: id))
    }

    mutating func putState(_ tp: TopicPartition, leader: Int32, epoch: Int32, isr: [Int32], version: Int32 = 0) {
        zk.put(
            ZNodePaths.partitionState(tp),
            PartitionState(
                leader: BrokerID(leader), leaderEpoch: LeaderEpoch(epoch), isr: ids(isr),
                controllerEpoch: ControllerEpoch(0)),
            version: version)
    }

    func loadedTopic(_ name: TopicName) -> LoadedTopic? {
        let path = ZNodePaths.topic(name)
        guard let node = zk[path], let a = zk.decode(TopicAssignment.self, path) else { return nil }
        return LoadedTopic(assignment: a, zkVersion: node.version)
    }

    /// Reads the fake ZooKeeper the way the shell's loader does.
    func snapshot() -> ClusterSnapshot {
        var topics: [TopicName: LoadedTopic] = [:]
        var states: [TopicPartition: LeaderAndIsr] = [:]
        for name in zk.children(ZNodePaths.brokerTopics) {
            let topic = TopicName(name)
            guard let loaded = loadedTopic(topic) else { continue }
            topics[topic] = loaded
            for p in loaded.assignment.replicas.keys {
                let path = ZNodePaths.partitionState(TopicPartition(topic, p))
                if let s = zk.decode(PartitionState.self, path) {
                    states[TopicPartition(topic, p)] = LeaderAndIsr(znode: s, version: zk[path]!.version)
                }
            }
        }
        let reassignment = zk[ZNodePaths.reassignPartitions].flatMap {
            ControllerContext.ZkReassignment(json: $0.data, version: $0.version)
        }
        return ClusterSnapshot(
            epoch: ControllerEpoch(2), epochZkVersion: zk[ZNodePaths.controllerEpoch]!.version, brokers: brokers,
            topics: topics, partitionStates: states,
            topicsToDelete: Set(zk.children(ZNodePaths.deleteTopics).map { TopicName($0) }),
            reassignment: reassignment)
    }

    /// Handles an event and its follow-ups; returns the actions of the event itself followed by those of follow-ups.
    @discardableResult
    mutating func run(_ event: ControllerEvent, sourceLocation: SourceLocation = #_sourceLocation)
        -> [ControllerActions]
    {
        var queue = [event]
        var all: [ControllerActions] = []
        var steps = 0
        while !queue.isEmpty {
            steps += 1
            precondition(steps < 100, "follow-up loop")
            let next = queue.removeFirst()
            let units = core.handle(next)
            let epochVersion = core.context?.epochZkVersion ?? -1
            let results = zk.apply(units, epochZkVersion: epochVersion)
            let actions = core.finish(results)
            if checkInvariants, let context = core.context {
                #expect(
                    context.invariantViolation() == nil, "\(context.invariantViolation() ?? "")",
                    sourceLocation: sourceLocation)
            }
            all.append(actions)
            queue.insert(contentsOf: actions.followUps, at: 0)
        }
        log += all
        return all
    }

    @discardableResult mutating func activate() -> [ControllerActions] { run(.becameActive(snapshot())) }

    @discardableResult mutating func setBrokers(_ list: [LiveBroker]) -> [ControllerActions] {
        brokers = list
        return run(.brokersChanged(list))
    }

    func state(_ tp: TopicPartition) -> LeaderAndIsr? {
        let path = ZNodePaths.partitionState(tp)
        return zk.decode(PartitionState.self, path).map { LeaderAndIsr(znode: $0, version: zk[path]!.version) }
    }

    func assignment(_ topic: String) -> TopicAssignment? {
        zk.decode(TopicAssignment.self, ZNodePaths.topic(TopicName(topic)))
    }
}

final class IDBox: @unchecked Sendable {
    // Only used from one test at a time; a plain counter is enough for deterministic ids.
    private var ids: [String]
    init(_ ids: [String]) { self.ids = ids }
    func next() -> String { ids.removeFirst() }
}

extension [ControllerActions] {
    var requests: [BrokerControlRequests] { flatMap(\.requests) }

    /// Every request sent to `broker`, in order.
    func requests(to broker: Int32) -> [ControlRequest] {
        requests.filter { $0.broker == BrokerID(broker) }.flatMap(\.requests)
    }

    func leaderAndIsr(to broker: Int32) -> [LeaderAndIsrPartitionState] {
        requests(to: broker).flatMap { request -> [LeaderAndIsrPartitionState] in
            if case .leaderAndIsr(_, let p, _, _) = request { return p }
            return []
        }
    }

    func updateMetadata(to broker: Int32) -> [[UpdateMetadataPartitionState]] {
        requests(to: broker).compactMap { request in
            if case .updateMetadata(_, let p, _, _) = request { return p }
            return nil
        }
    }

    func stopReplica(to broker: Int32) -> [StopReplicaPartitionState] {
        requests(to: broker).flatMap { request -> [StopReplicaPartitionState] in
            if case .stopReplica(_, let p) = request { return p }
            return []
        }
    }

    var replies: [ControllerReply] { compactMap(\.reply) }
}
