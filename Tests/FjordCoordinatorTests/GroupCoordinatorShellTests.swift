import FjordCluster
import FjordCoordinator
import FjordModel
import FjordTestSupport
import Logging
import Testing
import ZooKeeper

/// The shell against a real ZooKeeper: claiming, persisting, fencing, takeover.
@Suite struct GroupCoordinatorShellTests {
    let t0 = TopicPartition(topic: "t", partition: 0)

    @Test func membersRebalanceThroughTheShellAndStateIsPersisted() async throws {
        let connectString = try await ShellZooKeeper.connectString()
        let client = try await ShellZooKeeper.client(connectString)
        defer { Task { await client.close() } }
        let counting = CountingZooKeeper(client)
        let coordinator = ShellZooKeeper.coordinator(broker: 1, zooKeeper: counting)
        let group: GroupID = "orders/consumers"
        let a = TestConsumer(coordinator: coordinator, group: group, client: "a")
        let b = TestConsumer(coordinator: coordinator, group: group, client: "b")
        async let joinA = a.join()
        async let joinB = b.join()
        let (outcomeA, outcomeB) = await (joinA, joinB)
        #expect(outcomeA.error == .none && outcomeB.error == .none)
        #expect(outcomeA.generation == GenerationID(1) && outcomeB.generation == GenerationID(1))
        let (leader, follower) = outcomeA.leader == outcomeA.memberID ? (outcomeA, outcomeB) : (outcomeB, outcomeA)
        #expect(leader.members.count == 2 && follower.members.isEmpty)

        async let followerSync = coordinator.syncGroup(
            group, SyncGroupInput(memberID: follower.memberID, generation: GenerationID(1)))
        let leaderSync = await coordinator.syncGroup(
            group,
            SyncGroupInput(
                memberID: leader.memberID, generation: GenerationID(1),
                assignments: [leader.memberID: [1], follower.memberID: [2]]))
        #expect(leaderSync.assignment == [1])
        #expect(await followerSync.assignment == [2])
        #expect(
            await coordinator.heartbeat(group, HeartbeatInput(memberID: follower.memberID, generation: GenerationID(1)))
                == GroupErrorCode.none)

        // ZooKeeper holds the claim and the generation.
        let paths = GroupZNodePaths(group)
        let owner = try await client.get(paths.owner)
        #expect(owner.stat.isEphemeral)
        #expect(
            try ZNodeJSON.decode(GroupCoordinatorClaim.self, from: owner.data, path: paths.owner).broker == BrokerID(1))
        #expect(try await client.get(paths.epoch).stat.version == 0)
        let metadata = try ZNodeJSON.decode(
            GroupMetadataRecord.self, from: try await client.get(paths.metadata).data, path: "")
        #expect(metadata.generation == 1 && metadata.leader == leader.memberID.rawValue && metadata.members.count == 2)

        // One OffsetCommit of 200 partitions: exactly one ZooKeeper round trip.
        let entries = (0..<200).map {
            OffsetCommitEntry(
                partition: TopicPartition(topic: "t", partition: Int32($0)), offset: Offset(Int64($0) * 10),
                metadata: "m\($0)")
        }
        let before = (counting.total, counting.count("multi"))
        let results = await coordinator.commitOffsets(
            group, OffsetCommitInput(memberID: leader.memberID, generation: GenerationID(1), entries: entries))
        #expect(results.count == 200 && results.allSatisfy { $0.error == .none })
        #expect(counting.total - before.0 == 1 && counting.count("multi") - before.1 == 1)
        let offsets = try ZNodeJSON.decode(
            GroupOffsetsRecord.self, from: try await client.get(paths.offsets).data, path: "")
        #expect(offsets.offsets["t"]?.count == 200 && offsets.offsets["t"]?["7"]?.offset == 70)
        let fetched = await coordinator.fetchOffsets(group, partitions: [TopicPartition(topic: "t", partition: 199)])
        #expect(fetched.partitions.first?.offset == Offset(1_990) && fetched.partitions.first?.metadata == "m199")
        #expect(await coordinator.listGroups().map(\.state) == [.stable])
        #expect(await coordinator.describeGroups([group]).first?.members.count == 2)
    }

    @Test func takeoverFencesTheZombieAndKeepsOffsets() async throws {
        let connectString = try await ShellZooKeeper.connectString()
        let clientA = try await ShellZooKeeper.client(connectString)
        let clientB = try await ShellZooKeeper.client(connectString)
        let admin = try await ShellZooKeeper.client(connectString)
        defer {
            Task {
                await clientA.close(); await clientB.close(); await admin.close()
            }
        }
        let a = ShellZooKeeper.coordinator(broker: 1, zooKeeper: clientA)
        let b = ShellZooKeeper.coordinator(broker: 2, zooKeeper: clientB)
        let group: GroupID = "g"
        let commit = { (offset: Int64) in
            OffsetCommitInput(entries: [OffsetCommitEntry(partition: self.t0, offset: Offset(offset))])
        }

        #expect(await a.commitOffsets(group, commit(10)).map(\.error) == [GroupErrorCode.none])
        // While A owns the group, B refuses it.
        #expect(await b.commitOffsets(group, commit(11)).map(\.error) == [.notCoordinator])
        #expect(try await b.findCoordinator(group) == BrokerID(1))

        // A's owner node disappears (as when ZooKeeper expires A's session) while A still believes it coordinates.
        try await admin.delete(GroupZNodePaths(group).owner)
        #expect(
            await b.fetchOffsets(group, partitions: [t0]).partitions.first?.offset == Offset(10),
            "B took over and sees A's offsets")
        #expect(try await admin.get(GroupZNodePaths(group).epoch).stat.version == 1)
        #expect(await b.commitOffsets(group, commit(20)).map(\.error) == [GroupErrorCode.none])

        // The zombie's commit is fenced by the epoch check and A gives the group up.
        #expect(await a.commitOffsets(group, commit(30)).map(\.error) == [.notCoordinator])
        #expect(await a.listGroups().isEmpty)
        #expect(await a.commitOffsets(group, commit(31)).map(\.error) == [.notCoordinator], "B's owner node stops A")
        #expect(await b.fetchOffsets(group, partitions: [t0]).partitions.first?.offset == Offset(20))
        #expect(try await a.findCoordinator(group) == BrokerID(2))
    }

    @Test func stableGroupSurvivesTakeover() async throws {
        let connectString = try await ShellZooKeeper.connectString()
        let clientA = try await ShellZooKeeper.client(connectString)
        let clientB = try await ShellZooKeeper.client(connectString)
        defer {
            Task {
                await clientA.close(); await clientB.close()
            }
        }
        let a = ShellZooKeeper.coordinator(broker: 1, zooKeeper: clientA)
        let group: GroupID = "survivor"
        let consumer = TestConsumer(coordinator: a, group: group, client: "c")
        let joined = await consumer.join()
        let member = joined.memberID
        _ = await a.syncGroup(
            group, SyncGroupInput(memberID: member, generation: joined.generation, assignments: [member: [42]]))
        // Broker A goes away for good: its session closes and its owner node with it.
        await a.unloadAll(reason: "test")
        await clientA.close()
        let b = ShellZooKeeper.coordinator(broker: 2, zooKeeper: clientB)
        #expect(
            await b.heartbeat(group, HeartbeatInput(memberID: member, generation: joined.generation))
                == GroupErrorCode.none)
        let description = await b.describeGroups([group]).first!
        #expect(description.state == "Stable" && description.members.first?.assignment == [42])
        let sync = await b.syncGroup(group, SyncGroupInput(memberID: member, generation: joined.generation))
        #expect(sync.assignment == [42])
    }

    @Test func storedGroupsAreListedByTheBrokerThatWouldCoordinateThem() async throws {
        let connectString = try await ShellZooKeeper.connectString()
        let admin = try await ShellZooKeeper.client(connectString)
        let clientA = try await ShellZooKeeper.client(connectString)
        let client1 = try await ShellZooKeeper.client(connectString)
        let client2 = try await ShellZooKeeper.client(connectString)
        defer {
            Task {
                await admin.close(); await client1.close(); await client2.close()
            }
        }
        for id in [1, 2] {
            try await admin.create(ZNodePaths.broker(BrokerID(Int32(id))), data: [], mode: .ephemeral)
        }
        // Broker 1's first incarnation stores offsets-only groups, a Stable consumer group, and a deleted group.
        let a = ShellZooKeeper.coordinator(broker: 1, zooKeeper: clientA)
        let offsetsOnly: [GroupID] = (0..<8).map { GroupID("offsets-\($0)") }
        for group in offsetsOnly + ["deleted"] {
            #expect(
                await a.commitOffsets(
                    group, OffsetCommitInput(entries: [OffsetCommitEntry(partition: t0, offset: Offset(1))])
                )
                .map(\.error) == [GroupErrorCode.none])
        }
        #expect(await a.deleteGroups(["deleted"]).map(\.1) == [GroupErrorCode.none])
        let joined = await TestConsumer(coordinator: a, group: "members", client: "c").join()
        _ = await a.syncGroup(
            "members",
            SyncGroupInput(
                memberID: joined.memberID, generation: joined.generation, assignments: [joined.memberID: [1]]))
        // It goes away; its owner nodes with its session. Nobody has loaded the groups since.
        await a.unloadAll(reason: "test")
        await clientA.close()
        let one = ShellZooKeeper.coordinator(broker: 1, zooKeeper: client1)
        let two = ShellZooKeeper.coordinator(broker: 2, zooKeeper: client2)
        let live = [BrokerID(1), BrokerID(2)]
        func expected(_ broker: Int32) -> [GroupID] {
            (offsetsOnly + ["members"]).filter {
                CoordinatorSelection.coordinator(for: $0, liveBrokers: live, currentOwner: nil) == BrokerID(broker)
            }.sorted()
        }
        let listedOne = await one.listGroups()
        let listedTwo = await two.listGroups()
        #expect(listedOne.map(\.groupID) == expected(1))
        #expect(listedTwo.map(\.groupID) == expected(2))
        #expect(!expected(1).isEmpty && !expected(2).isEmpty, "the ids spread over both brokers")
        for overview in listedOne + listedTwo {
            if overview.groupID == "members" {
                #expect(overview.state == .stable && overview.protocolType == "consumer")
            } else {
                #expect(overview.state == .empty && overview.protocolType == "")
            }
        }
        #expect(await one.listGroups(states: [.stable]).allSatisfy { $0.groupID == "members" })
        // A group loaded by the other broker (its request went there) is listed there only.
        let elsewhere = expected(1)[0]
        #expect(await two.fetchOffsets(elsewhere, partitions: [t0]).partitions.first?.offset == Offset(1))
        #expect(await one.listGroups().map(\.groupID) == expected(1).filter { $0 != elsewhere })
        #expect(await two.listGroups().map(\.groupID) == (expected(2) + [elsewhere]).sorted())
    }

    @Test func sessionTimeoutEvictsMemberWithRealTimers() async throws {
        let connectString = try await ShellZooKeeper.connectString()
        let client = try await ShellZooKeeper.client(connectString)
        defer { Task { await client.close() } }
        let coordinator = ShellZooKeeper.coordinator(broker: 1, zooKeeper: client)
        let group: GroupID = "timers"
        let joined = await TestConsumer(coordinator: coordinator, group: group, client: "c").join()
        _ = await coordinator.syncGroup(
            group, SyncGroupInput(memberID: joined.memberID, generation: joined.generation, assignments: [:]))
        // No heartbeats: after the 3 s session timeout the member is gone and the group is Empty.
        try await waitUntil("the group becomes empty", timeout: .seconds(10)) {
            await coordinator.listGroups().first?.state == .empty
        }
        #expect(
            await coordinator.heartbeat(group, HeartbeatInput(memberID: joined.memberID, generation: joined.generation))
                == .unknownMemberID)
        let metadata = try ZNodeJSON.decode(
            GroupMetadataRecord.self, from: try await client.get(GroupZNodePaths(group).metadata).data, path: "")
        #expect(metadata.members.isEmpty && metadata.generation == 2 && metadata.state == "Empty")
    }

    @Test func deleteGroupsRemovesState() async throws {
        let connectString = try await ShellZooKeeper.connectString()
        let client = try await ShellZooKeeper.client(connectString)
        defer { Task { await client.close() } }
        let coordinator = ShellZooKeeper.coordinator(broker: 1, zooKeeper: client)
        _ = await coordinator.commitOffsets(
            "d", OffsetCommitInput(entries: [OffsetCommitEntry(partition: t0, offset: Offset(1))]))
        let results = await coordinator.deleteGroups(["d", "missing", "d"])
        #expect(results.map(\.1) == [GroupErrorCode.none, .groupIDNotFound, .groupIDNotFound])
        let paths = GroupZNodePaths("d")
        #expect(try await client.exists(paths.offsets) == nil)
        #expect(try await client.exists(paths.metadata) == nil)
        #expect(try await client.exists(paths.epoch) != nil, "the epoch node is never deleted (no ABA on its version)")
        #expect(await coordinator.fetchOffsets("d", partitions: [t0]).partitions == [.missing(t0)])
        #expect(
            await coordinator.joinGroup(
                "", TestConsumer(coordinator: coordinator, group: "", client: "c").input(.unknown)
            ).error == .invalidGroupID)
    }

    @Test func concurrentCommitsShareRoundTrips() async throws {
        let connectString = try await ShellZooKeeper.connectString()
        let client = try await ShellZooKeeper.client(connectString)
        defer { Task { await client.close() } }
        let counting = CountingZooKeeper(client)
        let coordinator = ShellZooKeeper.coordinator(broker: 1, zooKeeper: counting)
        let group: GroupID = "busy"
        _ = await coordinator.commitOffsets(
            group, OffsetCommitInput(entries: [OffsetCommitEntry(partition: t0, offset: Offset(0))]))
        let before = counting.total
        let results = await withTaskGroup(of: [PartitionResult].self) { tasks in
            for index in 1...50 {
                tasks.addTask {
                    await coordinator.commitOffsets(
                        group,
                        OffsetCommitInput(entries: [
                            OffsetCommitEntry(
                                partition: TopicPartition(topic: "t", partition: Int32(index)),
                                offset: Offset(Int64(index)))
                        ]))
                }
            }
            return await tasks.reduce(into: [PartitionResult]()) { $0 += $1 }
        }
        #expect(results.count == 50 && results.allSatisfy { $0.error == .none })
        let roundTrips = counting.total - before
        #expect(roundTrips >= 1 && roundTrips <= 50, "at most one ZooKeeper round trip per commit (\(roundTrips))")
        let stored = try ZNodeJSON.decode(
            GroupOffsetsRecord.self, from: try await client.get(GroupZNodePaths(group).offsets).data, path: "")
        #expect(stored.offsets["t"]?.count == 51, "every commit is in the final node")
    }

    @Test func sessionLossUnloadsEveryGroup() async throws {
        let connectString = try await ShellZooKeeper.connectString()
        let client = try await ShellZooKeeper.client(connectString)
        let coordinator = ShellZooKeeper.coordinator(broker: 1, zooKeeper: client)
        let background = Task { await coordinator.run() }
        defer { background.cancel() }
        _ = await coordinator.commitOffsets(
            "a", OffsetCommitInput(entries: [OffsetCommitEntry(partition: t0, offset: Offset(1))]))
        // A member parked in a rebalance when the session ends gets NOT_COORDINATOR.
        let consumer = TestConsumer(coordinator: coordinator, group: "b", client: "c")
        let first = await coordinator.joinGroup("b", consumer.input(.unknown))
        async let parked = coordinator.joinGroup("b", consumer.input(first.memberID))
        try await waitUntil("both groups are loaded", timeout: .seconds(5)) {
            await coordinator.listGroups().count == 2
        }
        await client.close()
        #expect(await parked.error == .notCoordinator)
        try await waitUntil("every group is unloaded", timeout: .seconds(5)) { await coordinator.listGroups().isEmpty }
        #expect(await coordinator.fetchOffsets("a", partitions: [t0]).error == .notCoordinator)
    }

    @Test func findCoordinatorChoosesAmongLiveBrokers() async throws {
        let connectString = try await ShellZooKeeper.connectString()
        let client = try await ShellZooKeeper.client(connectString)
        defer { Task { await client.close() } }
        for id in [3, 1, 2] {
            try await client.create(ZNodePaths.broker(BrokerID(Int32(id))), data: [], mode: .ephemeral)
        }
        let coordinator = ShellZooKeeper.coordinator(broker: 1, zooKeeper: client)
        let expected = CoordinatorSelection.coordinator(
            for: "my-group", liveBrokers: [BrokerID(1), BrokerID(2), BrokerID(3)], currentOwner: nil)
        #expect(try await coordinator.findCoordinator("my-group") == expected)
        #expect(expected == BrokerID(1))
    }

    @Test func producerIDBlocksAreUniqueAcrossBrokers() async throws {
        let connectString = try await ShellZooKeeper.connectString()
        let client = try await ShellZooKeeper.client(connectString)
        defer { Task { await client.close() } }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let one = ProducerIdManager(broker: BrokerID(1), zooKeeper: client, blockSize: 10, logger: logger)
        let two = ProducerIdManager(broker: BrokerID(2), zooKeeper: client, blockSize: 10, logger: logger)
        var ids: [Int64] = []
        for _ in 0..<25 {
            ids.append(try await one.nextProducerID().rawValue)
            ids.append(try await two.nextProducerID().rawValue)
        }
        #expect(Set(ids).count == ids.count)
        #expect(ids.prefix(2) == [0, 10], "broker 1 claims 0-9, broker 2 claims 10-19")
        let record = try await client.get(ProducerIdManager.path)
        let json = String(decoding: record.data, as: UTF8.self)
        #expect(json == #"{"block_end":"59","block_start":"50","broker":2,"version":1}"#)
        // Concurrent callers of one manager share block claims.
        let three = ProducerIdManager(broker: BrokerID(3), zooKeeper: client, blockSize: 10, logger: logger)
        let concurrent = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<30 { group.addTask { try await three.nextProducerID().rawValue } }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(
            Set(concurrent).count == 30 && concurrent.min() == 60 && concurrent.max() == 89, "\(concurrent.sorted())")
    }
}
