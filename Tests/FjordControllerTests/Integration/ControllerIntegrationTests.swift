import FjordCluster
import FjordModel
import FjordTestSupport
import KafkaProtocol
import KafkaWire
import Testing
import ZooKeeper

@testable import FjordController

/// An in-process controller against a real ZooKeeper and fake brokers with real listeners.
@Suite(.serialized) struct ControllerIntegrationTests {
    @Test func electsLeadersSendsControlRequestsAndReactsToBrokers() async throws {
        let server = try await Integration.server()
        let (connect, zk) = try await Integration.chroot(server)
        var brokers: [FakeBroker] = []
        for id: Int32 in 1...3 { brokers.append(try await FakeBroker.start(id: id, connectString: connect)) }
        let controller = Integration.RunningController(id: 1000, connect: connect)
        defer { Task { await controller.stop() } }
        try await controller.waitActive()
        let epoch = try #require(controller.status.epoch)
        #expect(try await Integration.controllerEpoch(zk).epoch == epoch.rawValue)
        #expect(await Integration.activeControllerID(zk) == 1000)

        // A topic assignment appears (as a broker's CreateTopics would write it): leaders are elected.
        try await Integration.writeTopic(zk, "t", [[1, 2, 3], [2, 3, 1]])
        try await waitUntil("partition states written", timeout: .seconds(10)) {
            await Integration.state(zk, "t", 1) != nil
        }
        let t0 = try #require(await Integration.state(zk, "t", 0))
        #expect(
            t0.leader == BrokerID(1) && t0.isr == [1, 2, 3].map { BrokerID($0) } && t0.leaderEpoch == LeaderEpoch(0))
        #expect(t0.controllerEpoch == epoch)

        // Every broker got LeaderAndIsr for its replicas, with the controller epoch and its own broker epoch.
        try await waitUntil("LeaderAndIsr delivered", timeout: .seconds(10)) {
            brokers.allSatisfy { $0.latestLeaderAndIsr("t", 1) != nil }
        }
        for broker in brokers {
            let request = try #require(broker.leaderAndIsr.last)
            #expect(request.controllerId == 1000)
            #expect(request.controllerEpoch == epoch.rawValue)
            #expect(request.brokerEpoch == broker.epoch)
            let state = try #require(broker.latestLeaderAndIsr("t", 0))
            #expect(state.isNew && state.leader == 1 && state.replicas == [1, 2, 3] && state.partitionEpoch == 0)
            #expect(broker.updateMetadata.contains { um in um.topicStates.contains { $0.topicName == "t" } })
            #expect(broker.updateMetadata.last?.liveBrokers.map(\.id).sorted() == [1, 2, 3])
            #expect(broker.received.allSatisfy { $0.accepted })
        }

        // Broker 1 dies: t-0 moves to 2 with leader epoch + 1, ISRs shrink.
        await brokers[0].deregister()
        try await waitUntil("t-0 re-elected", timeout: .seconds(10)) {
            await Integration.state(zk, "t", 0)?.leader == BrokerID(2)
        }
        let moved = try #require(await Integration.state(zk, "t", 0))
        #expect(moved.leaderEpoch == LeaderEpoch(1) && moved.isr == [2, 3].map { BrokerID($0) })
        #expect(moved.partitionEpoch == PartitionEpoch(1))
        let followed = try #require(await Integration.state(zk, "t", 1))
        #expect(followed.leader == BrokerID(2) && followed.isr == [2, 3].map { BrokerID($0) })
        try await waitUntil("LeaderAndIsr with the new leader", timeout: .seconds(10)) {
            brokers[2].latestLeaderAndIsr("t", 0)?.leader == 2
        }
        #expect(brokers[2].latestLeaderAndIsr("t", 0)?.leaderEpoch == 1)

        // Broker 1 comes back (new epoch): it gets its replicas; the leader adds it back through AlterPartition.
        try await brokers[0].register(connectString: connect)
        try await waitUntil("restarted broker told its replicas", timeout: .seconds(10)) {
            brokers[0].leaderAndIsr.contains { $0.brokerEpoch == brokers[0].epoch }
        }
        let rpcPort = try #require(controller.status.rpcPort)
        let topicID = try #require(
            try ZNodeJSON.decode(TopicAssignment.self, from: try await zk.get("/brokers/topics/t").data, path: "")
                .topicId)
        let alter = KafkaProtocol.AlterPartitionRequest(
            brokerId: 2, brokerEpoch: brokers[1].epoch,
            topics: [
                .init(
                    topicId: try #require(KafkaUUID(base64URL: topicID)),
                    partitions: [.init(partitionIndex: 0, leaderEpoch: 1, newIsr: [2, 3, 1], partitionEpoch: 1)])
            ])
        let answer = try await Integration.call(alter, version: 2, port: rpcPort)
        #expect(answer.errorCode == 0)
        let partition = try #require(answer.topics.first?.partitions.first)
        #expect(partition.errorCode == 0 && partition.isr == [2, 3, 1] && partition.leaderEpoch == 1)
        #expect(partition.partitionEpoch == 2)
        #expect(await Integration.state(zk, "t", 0)?.isr == [2, 3, 1].map { BrokerID($0) })
        // A stale retry of an older decision is fenced by its leader epoch.
        var stale = alter
        stale.topics[0].partitions[0].leaderEpoch = 0
        #expect(
            try await Integration.call(stale, version: 2, port: rpcPort).topics.first?.partitions.first?.errorCode == 74
        )

        // Controlled shutdown of broker 2 moves t-0's leadership to the first other ISR member in assignment order.
        let shutdown = try await Integration.call(
            ControlledShutdownRequest(brokerId: 2, brokerEpoch: brokers[1].epoch), version: 3, port: rpcPort)
        #expect(shutdown.errorCode == 0 && shutdown.remainingPartitions.isEmpty)
        #expect(await Integration.state(zk, "t", 0)?.leader == BrokerID(1))
        #expect(await Integration.state(zk, "t", 0)?.isr == [3, 1].map { BrokerID($0) })

        // A standby answers NOT_CONTROLLER.
        let standby = Integration.RunningController(id: 1001, connect: connect)
        defer { Task { await standby.stop() } }
        try await waitUntil("standby listening and standing by", timeout: .seconds(10)) {
            standby.status.rpcPort != nil && standby.status.activeControllerID == 1000
        }
        let listed = try await Integration.call(
            ListPartitionReassignmentsRequest(timeoutMs: 1000), version: 0, port: try #require(standby.status.rpcPort))
        #expect(listed.errorCode == ControllerErrorCode.notController.rawValue)
        for broker in brokers { await broker.stop() }
    }

    @Test func zombieControllerCannotWrite() async throws {
        let server = try await Integration.server()
        let (connect, zk) = try await Integration.chroot(server)
        let b1 = try await FakeBroker.start(id: 1, connectString: connect)
        let b2 = try await FakeBroker.start(id: 2, connectString: connect)
        let controller = Integration.RunningController(id: 1000, connect: connect)
        defer { Task { await controller.stop() } }
        try await controller.waitActive()
        try await Integration.writeTopic(zk, "z", [[1, 2]])
        try await waitUntil("state", timeout: .seconds(10)) { await Integration.state(zk, "z", 0) != nil }
        let won = try #require(controller.status.epochZkVersion)
        let before = try #require(await Integration.state(zk, "z", 0))

        // Another controller wins an election: /controller_epoch moves on.
        let (epoch, version) = try await Integration.controllerEpoch(zk)
        try await zk.set(ZNodePaths.controllerEpoch, data: Array(String(epoch + 1).utf8), version: version)

        // The old controller's writes are refused by the epoch check inside every multi; nothing is written.
        let tp = TopicPartition(topic: "z", partition: 0)
        var decided = before
        decided.isr = [BrokerID(1)]
        let unit = ZNodeWrite([
            ZNodeOperation(
                .set(data: ZNodeJSON.encode(decided.znode), version: before.partitionEpoch.rawValue),
                .partitionState(tp))
        ])
        let zombie = ZNodeWriter(zk: zk, epochZkVersion: won, logger: Integration.logger)
        #expect(await zombie.perform([unit]) == .fencedOut)
        #expect(await Integration.state(zk, "z", 0) == before)

        // The running controller finds out on its next write, resigns, and (alone here) is elected again with a
        // newer epoch; the decision it then writes carries that epoch.
        await b2.deregister()
        try await waitUntil("re-elected with a newer epoch", timeout: .seconds(10)) {
            (controller.status.epoch?.rawValue ?? 0) >= epoch + 2 && controller.status.lastFailover != nil
                && controller.status.activations >= 2
        }
        try await waitUntil("ISR shrunk by the new epoch", timeout: .seconds(10)) {
            await Integration.state(zk, "z", 0)?.isr == [BrokerID(1)]
        }
        #expect(await Integration.state(zk, "z", 0)?.controllerEpoch.rawValue ?? 0 >= epoch + 2)
        await b1.stop()
        await b2.stop()
    }

    @Test func topicDeletionCompletesWhenBrokersAcknowledge() async throws {
        let server = try await Integration.server()
        let (connect, zk) = try await Integration.chroot(server)
        let b1 = try await FakeBroker.start(id: 1, connectString: connect)
        let b2 = try await FakeBroker.start(id: 2, connectString: connect)
        let controller = Integration.RunningController(id: 1000, connect: connect)
        defer { Task { await controller.stop() } }
        try await controller.waitActive()
        try await Integration.writeTopic(zk, "doomed", [[1, 2], [2, 1]])
        try await waitUntil("states", timeout: .seconds(10)) { await Integration.state(zk, "doomed", 1) != nil }
        try await zk.create(ZNodePaths.deleteTopic(TopicName("doomed")))
        try await waitUntil("topic deleted", timeout: .seconds(10)) {
            let topicGone = (try? await zk.exists("/brokers/topics/doomed")) == nil
            let markerGone = (try? await zk.exists(ZNodePaths.deleteTopic(TopicName("doomed")))) == nil
            return topicGone && markerGone
        }
        for broker in [b1, b2] {
            #expect(
                broker.stopReplica.contains { r in
                    r.topicStates.contains { $0.partitionStates.allSatisfy { $0.deletePartition } }
                })
            #expect(
                broker.updateMetadata.contains { um in
                    um.topicStates.contains { t in
                        t.topicName == "doomed" && t.partitionStates.allSatisfy { $0.leader == -2 }
                    }
                })
        }
        await b1.stop()
        await b2.stop()
    }
}
