import FjordCluster
import FjordController
import FjordModel
import FjordTestSupport
import Foundation
import KafkaWire
import Testing
import ZooKeeper

/// Failover and broker failure with 1,000 partitions: reads and writes must be pipelined (KAFKA-5642), not one
/// ZooKeeper round trip per partition.
@Suite(.serialized) struct ControllerLoadTests {
    static let topics = 10
    static let partitionsPerTopic = 100

    @Test func failoverWithThousandPartitionsIsPipelined() async throws {
        let server = try await Integration.server()
        let (connect, zk) = try await Integration.chroot(server)
        var brokers: [FakeBroker] = []
        for id: Int32 in 1...3 { brokers.append(try await FakeBroker.start(id: id, connectString: connect)) }

        // The cluster as a previous controller left it: 10 topics × 100 partitions, RF 3, all states written.
        var statePaths: [String] = []
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<Self.topics {
                let topic = TopicName("load-\(t)")
                var replicas: [PartitionID: [BrokerID]] = [:]
                for p in 0..<Self.partitionsPerTopic {
                    replicas[PartitionID(Int32(p))] = (0..<3).map { BrokerID(Int32((p + t + $0) % 3 + 1)) }
                }
                let assignment = TopicAssignment(replicas: replicas, topicId: KafkaUUID.random().description)
                try await zk.create(ZNodePaths.topic(topic), data: ZNodeJSON.encode(assignment))
                try await zk.create(ZNodePaths.partitions(topic))
                for (p, r) in replicas {
                    let tp = TopicPartition(topic, p)
                    statePaths.append(ZNodePaths.partitionState(tp))
                    let state = PartitionState(
                        leader: r[0], leaderEpoch: LeaderEpoch(3), isr: r, controllerEpoch: ControllerEpoch(1))
                    group.addTask {
                        try await zk.create(ZNodePaths.partition(tp))
                        try await zk.create(ZNodePaths.partitionState(tp), data: ZNodeJSON.encode(state))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(statePaths.count == 1_000)

        // Baseline: the same 1,000 state reads, one round trip after another.
        let (_, sequential) = try await measure {
            for path in statePaths { _ = try await zk.get(path) }
        }
        let (_, pipelined) = await measure { _ = await zk.getMany(statePaths) }

        let controller = Integration.RunningController(id: 1000, connect: connect)
        defer { Task { await controller.stop() } }
        try await controller.waitActive(timeout: .seconds(60))
        let failover = try #require(controller.status.lastFailover)
        #expect(failover.partitions == 1_000)

        // Broker 1 dies: every partition it leads gets a new leader and every ISR loses it, in pipelined writes.
        let before = controller.status.eventsHandled
        await brokers[0].deregister()
        try await waitUntil("broker change handled", timeout: .seconds(30)) {
            controller.status.eventsHandled > before && controller.status.lastEvents["BrokerChange"] != nil
        }
        let brokerFailure = try #require(controller.status.lastEvents["BrokerChange"])
        try await waitUntil("partitions of broker 1 re-elected", timeout: .seconds(30)) {
            let states = await zk.getMany(statePaths)
            return states.allSatisfy { result in
                guard case .success(let node) = result,
                    let state = try? ZNodeJSON.decode(PartitionState.self, from: node.data, path: "")
                else { return false }
                return state.leader != 1 && !state.isr.contains(1)
            }
        }
        let sequentialMs = sequential.ms
        print(
            """
            controller load (1,000 partitions, 3 brokers): failover = load \(fmt(failover.loadMs)) ms (of which \
            1,000 state reads \(fmt(failover.stateReadMs)) ms) + act \(fmt(failover.actMs)) ms = \
            \(fmt(failover.totalMs)) ms; test-side reads of the same 1,000 states: sequential \(fmt(sequentialMs)) ms, \
            pipelined \(fmt(pipelined.ms)) ms; broker failure event: \(fmt(brokerFailure.milliseconds)) ms \
            with \(brokerFailure.writeUnits) write units
            """)
        // Not one round trip per partition: the whole takeover costs less than 1,000 sequential reads, and the
        // controller's state read is as fast as a pipelined burst, far below the sequential one.
        #expect(failover.stateReadMs < sequentialMs / 2)
        #expect(failover.totalMs < 1_000)
        #expect(brokerFailure.writeUnits == 1_000)  // every partition has broker 1 in its ISR
        #expect(brokerFailure.milliseconds < 1_000)
        for broker in brokers { await broker.stop() }
    }

    private func fmt(_ value: Double) -> String { String(format: "%.1f", value) }
}

extension Duration {
    var ms: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
