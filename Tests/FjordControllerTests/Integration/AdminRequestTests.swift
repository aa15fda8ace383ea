import FjordCluster
import FjordController
import FjordModel
import FjordTestSupport
import KafkaProtocol
import KafkaWire
import Testing
import ZooKeeper

/// Admin requests a broker forwards to the controller, over the controller's listener.
@Suite(.serialized) struct AdminRequestTests {
    @Test func reassignmentEndToEndAndElectLeaders() async throws {
        let server = try await Integration.server()
        let (connect, zk) = try await Integration.chroot(server)
        var brokers: [FakeBroker] = []
        for id: Int32 in 1...3 { brokers.append(try await FakeBroker.start(id: id, connectString: connect)) }
        let controller = Integration.RunningController(id: 1000, connect: connect)
        defer { Task { await controller.stop() } }
        try await controller.waitActive()
        let port = try #require(controller.status.rpcPort)
        let topicID = KafkaUUID.random()
        try await Integration.writeTopic(zk, "r", [[1, 2], [2, 1]], id: topicID)
        try await waitUntil("states", timeout: .seconds(10)) { await Integration.state(zk, "r", 1) != nil }

        // Move r-0 from [1, 2] to [2, 3].
        let alter = try await Integration.call(
            AlterPartitionReassignmentsRequest(
                timeoutMs: 5_000, topics: [.init(name: "r", partitions: [.init(partitionIndex: 0, replicas: [2, 3])])]),
            version: 0, port: port)
        #expect(alter.errorCode == 0 && alter.responses.first?.partitions.first?.errorCode == 0)
        let listed = try await Integration.call(
            ListPartitionReassignmentsRequest(timeoutMs: 5_000), version: 0, port: port)
        let ongoing = try #require(listed.topics.first?.partitions.first)
        #expect(ongoing.replicas == [2, 3, 1] && ongoing.addingReplicas == [3] && ongoing.removingReplicas == [1])
        try await waitUntil("new replica told to start", timeout: .seconds(10)) {
            brokers[2].latestLeaderAndIsr("r", 0)?.isNew == true
        }
        let inProgress = try #require(await Integration.state(zk, "r", 0))
        #expect(inProgress.leaderEpoch == LeaderEpoch(1))

        // The leader (1) reports 3 caught up: the reassignment completes.
        let expand = KafkaProtocol.AlterPartitionRequest(
            brokerId: 1, brokerEpoch: brokers[0].epoch,
            topics: [
                .init(
                    topicId: topicID,
                    partitions: [
                        .init(
                            partitionIndex: 0, leaderEpoch: 1,
                            newIsrWithEpochs: [1, 2, 3].map { .init(brokerId: $0, brokerEpoch: -1) },
                            partitionEpoch: inProgress.partitionEpoch.rawValue)
                    ])
            ])
        #expect(
            try await Integration.call(expand, version: 3, port: port).topics.first?.partitions.first?.errorCode == 0)
        try await waitUntil("reassignment completed", timeout: .seconds(10)) {
            await Integration.state(zk, "r", 0)?.leader == BrokerID(2)
        }
        let done = try #require(await Integration.state(zk, "r", 0))
        #expect(done.isr == [2, 3].map { BrokerID($0) })
        let assignment = try ZNodeJSON.decode(
            TopicAssignment.self, from: try await zk.get("/brokers/topics/r").data, path: "")
        #expect(
            assignment.partitions["0"] == [2, 3] && assignment.addingReplicas.isEmpty
                && assignment.removingReplicas.isEmpty)
        try await waitUntil("removed replica deleted", timeout: .seconds(10)) {
            brokers[0].stopReplica.contains { r in
                r.topicStates.contains { t in t.topicName == "r" && t.partitionStates.contains { $0.deletePartition } }
            }
        }
        let none = try await Integration.call(
            ListPartitionReassignmentsRequest(timeoutMs: 5_000), version: 0, port: port)
        #expect(none.topics.isEmpty)

        // ElectLeaders: r-1's leader is already its preferred replica.
        let elect = try await Integration.call(
            ElectLeadersRequest(
                electionType: 0, topicPartitions: [.init(topic: "r", partitions: [1])], timeoutMs: 5_000),
            version: 2, port: port)
        #expect(
            elect.replicaElectionResults.first?.partitionResult.first?.errorCode
                == ControllerErrorCode.electionNotNeeded.rawValue)

        // ApiVersions lists what the controller serves.
        let versions = try await Integration.call(ApiVersionsRequest(), version: 3, port: port)
        #expect(versions.apiKeys.contains { $0.apiKey == ApiKey.alterPartition.rawValue && $0.maxVersion == 3 })
        for broker in brokers { await broker.stop() }
    }
}
