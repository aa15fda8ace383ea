import FjordCluster
import FjordController
import FjordModel
import Testing

/// New partitions, broker failure and broker arrival.
@Suite struct PartitionLifecycleTests {
    @Test func newTopicGetsFirstLiveReplicaAsLeaderAndLiveReplicasAsIsr() {
        var h = CoreHarness()
        h.brokers = [broker(1), broker(2), broker(3)]
        h.activate()
        h.createTopic("t", [[2, 1, 3], [3, 4, 1], [4, 5]])
        let actions = h.run(.topicsChanged(all: ["t"], new: ["t": h.loadedTopic("t")!]))

        #expect(
            h.state(tp("t", 0))
                == LeaderAndIsr(
                    leader: BrokerID(2), leaderEpoch: LeaderEpoch(0), isr: ids([2, 1, 3]),
                    controllerEpoch: ControllerEpoch(2),
                    partitionEpoch: .initial))
        // Broker 4 is not registered: broker 3 leads, ISR has only the live replicas.
        #expect(h.state(tp("t", 1))?.leader == BrokerID(3))
        #expect(h.state(tp("t", 1))?.isr == ids([3, 1]))
        // No live replica: no state znode; the partition stays offline.
        #expect(h.state(tp("t", 2)) == nil)
        #expect(h.context.leadership[tp("t", 2)] == nil)

        let toBroker1 = actions.leaderAndIsr(to: 1)
        #expect(Set(toBroker1.map(\.topicPartition)) == [tp("t", 0), tp("t", 1)])
        #expect(toBroker1.allSatisfy { $0.isNew })
        // Every broker learns the new partitions' metadata.
        for id: Int32 in [1, 2, 3] {
            #expect(actions.updateMetadata(to: id).flatMap { $0 }.map(\.topicPartition).contains(tp("t", 0)))
        }
        // The state znode was created under parents the shell ensures.
        #expect(h.zk.applied.contains { $0.ensureParents.contains(ZNodePaths.partition(tp("t", 0))) })

        // Broker 4 arrives: partition 2 comes online with 4 as leader.
        h.setBrokers([broker(1), broker(2), broker(3), broker(4)])
        #expect(h.state(tp("t", 2))?.leader == BrokerID(4))
        #expect(h.state(tp("t", 2))?.isr == ids([4]))
    }

    @Test func leaderFailureElectsFirstLiveIsrMemberInAssignmentOrder() {
        var h = CoreHarness()
        h.createTopic("t", [[1, 2, 3]])
        h.putState(tp("t", 0), leader: 1, epoch: 5, isr: [1, 3, 2], version: 7)
        h.brokers = [broker(1), broker(2), broker(3)]
        h.activate()

        let actions = h.setBrokers([broker(2), broker(3)])
        let state = h.state(tp("t", 0))!
        #expect(state.leader == BrokerID(2))  // assignment order, not ISR order
        #expect(state.leaderEpoch == LeaderEpoch(6))
        #expect(state.isr == ids([3, 2]))
        #expect(state.partitionEpoch == PartitionEpoch(8))
        let sent = actions.leaderAndIsr(to: 3).first { $0.topicPartition == tp("t", 0) }
        #expect(sent?.state.leader == BrokerID(2))
        #expect(sent?.state.partitionEpoch == PartitionEpoch(8))
        #expect(actions.requests(to: 1).isEmpty)
    }

    @Test func followerFailureShrinksIsrAndBumpsLeaderEpochAsKafkaDoes() {
        var h = CoreHarness()
        h.createTopic("t", [[1, 2, 3]])
        h.putState(tp("t", 0), leader: 1, epoch: 5, isr: [1, 2, 3], version: 2)
        h.brokers = [broker(1), broker(2), broker(3)]
        h.activate()

        h.setBrokers([broker(1), broker(2)])
        let state = h.state(tp("t", 0))!
        #expect(state.leader == BrokerID(1))
        #expect(state.isr == ids([1, 2]))
        // Kafka 3.9 (ZK mode) writes ISR removals with LeaderAndIsr.newLeaderAndIsr, which bumps the leader epoch.
        #expect(state.leaderEpoch == LeaderEpoch(6))
    }

    @Test func lastIsrMemberFailureLeavesPartitionOfflineWithIsrKept() {
        var h = CoreHarness()
        h.createTopic("t", [[1], [1, 2]])
        h.putState(tp("t", 0), leader: 1, epoch: 0, isr: [1])
        h.putState(tp("t", 1), leader: 1, epoch: 3, isr: [1])
        h.brokers = [broker(1), broker(2)]
        h.activate()

        h.setBrokers([broker(2)])
        for p: Int32 in [0, 1] {
            let state = h.state(tp("t", p))!
            #expect(state.leader == BrokerID.none)
            #expect(state.isr == ids([1]))  // never empty
        }
        #expect(h.state(tp("t", 1))?.leaderEpoch == LeaderEpoch(4))

        // Broker 2 is not in the ISR: no clean election when other brokers change.
        h.setBrokers([broker(2), broker(3)])
        #expect(h.state(tp("t", 1))?.leader == BrokerID.none)

        // Broker 1 returns: it is the ISR, so it leads again with a new epoch.
        h.setBrokers([broker(1, epoch: 200), broker(2), broker(3)])
        #expect(h.state(tp("t", 1))?.leader == BrokerID(1))
        #expect(h.state(tp("t", 1))?.leaderEpoch == LeaderEpoch(5))
    }

    @Test func uncleanElectionPicksFirstLiveReplicaWithIsrOfOne() {
        var h = CoreHarness(unclean: true)
        h.createTopic("t", [[1, 3, 2]])
        h.putState(tp("t", 0), leader: 1, epoch: 0, isr: [1])
        h.brokers = [broker(1), broker(2), broker(3)]
        h.activate()
        let actions = h.setBrokers([broker(2), broker(3)])
        #expect(h.state(tp("t", 0))?.leader == BrokerID(3))
        #expect(h.state(tp("t", 0))?.isr == ids([3]))
        #expect(actions.flatMap(\.notes).contains { $0.contains("unclean") })
    }

    @Test func topicOverrideEnablesUncleanElection() {
        var h = CoreHarness(unclean: false)
        h.createTopic("t", [[1, 2]])
        h.putState(tp("t", 0), leader: 1, epoch: 0, isr: [1])
        h.brokers = [broker(1), broker(2)]
        var snapshot = h.snapshot()
        snapshot.topics[TopicName("t")]?.config = ["unclean.leader.election.enable": "true"]
        h.run(.becameActive(snapshot))
        h.setBrokers([broker(2)])
        #expect(h.state(tp("t", 0))?.leader == BrokerID(2))
    }

    @Test func bouncedBrokerIsTreatedAsFailedThenStarted() {
        var h = CoreHarness()
        h.createTopic("t", [[1, 2], [1]])
        h.putState(tp("t", 0), leader: 1, epoch: 1, isr: [1, 2])
        h.putState(tp("t", 1), leader: 1, epoch: 1, isr: [1])
        h.brokers = [broker(1), broker(2)]
        h.activate()

        let actions = h.setBrokers([broker(1, epoch: 500), broker(2)])
        // Replicated partition: leadership moves to 2, the restarted broker leaves the ISR.
        #expect(h.state(tp("t", 0))?.leader == BrokerID(2))
        #expect(h.state(tp("t", 0))?.isr == ids([2]))
        // Single replica: it leads again, with a new leader epoch.
        #expect(h.state(tp("t", 1))?.leader == BrokerID(1))
        #expect(h.state(tp("t", 1))?.leaderEpoch == LeaderEpoch(2))
        // The restarted broker gets every partition with its new epoch.
        let toRestarted = actions.requests(to: 1)
        #expect(toRestarted.allSatisfy { $0.header.brokerEpoch == BrokerEpoch(500) })
        #expect(Set(actions.leaderAndIsr(to: 1).map(\.topicPartition)) == [tp("t", 0), tp("t", 1)])
        #expect(actions.updateMetadata(to: 1).first?.count == 2)
    }

    @Test func arrivingBrokerGetsLeaderAndIsrForItsReplicasAndEveryoneGetsUpdateMetadata() {
        var h = CoreHarness()
        h.createTopic("t", [[1, 2], [2, 3], [1, 3]])
        h.putState(tp("t", 0), leader: 1, epoch: 0, isr: [1, 2])
        h.putState(tp("t", 1), leader: 2, epoch: 0, isr: [2])
        h.putState(tp("t", 2), leader: 1, epoch: 0, isr: [1])
        h.brokers = [broker(1), broker(2)]
        h.activate()

        let actions = h.setBrokers([broker(1), broker(2), broker(3)])
        let toNew = actions.leaderAndIsr(to: 3)
        #expect(Set(toNew.map(\.topicPartition)) == [tp("t", 1), tp("t", 2)])
        #expect(toNew.allSatisfy { !$0.isNew })
        // Followers join the ISR through AlterPartition, not through the controller.
        #expect(h.state(tp("t", 1))?.isr == ids([2]))
        // Existing brokers learn that broker 3 is live; the new one gets every partition.
        for id: Int32 in [1, 2] {
            let um = actions.requests(to: id).compactMap { r -> [LiveBroker]? in
                if case .updateMetadata(_, _, _, let live) = r { return live }
                return nil
            }
            #expect(um.last?.map(\.id) == ids([1, 2, 3]))
        }
        #expect(actions.updateMetadata(to: 3).first?.count == 3)
        #expect(actions.requests(to: 3).first?.name == "UpdateMetadata")
    }

    @Test func controlRequestsCarryControllerIdEpochAndBrokerEpoch() {
        var h = CoreHarness()
        h.brokers = [broker(1, epoch: 41), broker(2, epoch: 42)]
        h.createTopic("t", [[1, 2]])
        let actions = h.activate()
        for request in actions.requests(to: 2) {
            #expect(request.header.controllerID == 1000)
            #expect(request.header.controllerEpoch == ControllerEpoch(2))
            #expect(request.header.brokerEpoch == BrokerEpoch(42))
        }
        // On failover every broker first learns the live brokers, then gets LeaderAndIsr, then the partitions'
        // metadata, as in Kafka.
        #expect(actions.requests(to: 2).map(\.name) == ["UpdateMetadata", "LeaderAndIsr", "UpdateMetadata"])
    }

    @Test func failoverShrinksIsrsOfDeadBrokersAndElectsForOfflinePartitions() {
        var h = CoreHarness()
        h.createTopic("t", [[1, 2, 3], [3, 1]])
        h.putState(tp("t", 0), leader: 3, epoch: 2, isr: [3, 1, 2], version: 4)
        h.putState(tp("t", 1), leader: 1, epoch: 2, isr: [1, 3], version: 4)
        h.brokers = [broker(1), broker(2)]  // 3 died while no controller was active
        let actions = h.activate()
        #expect(h.state(tp("t", 0))?.leader == BrokerID(1))
        #expect(h.state(tp("t", 0))?.isr == ids([1, 2]))
        #expect(h.state(tp("t", 0))?.leaderEpoch == LeaderEpoch(3))
        #expect(h.state(tp("t", 1))?.isr == ids([1]))
        #expect(Set(actions.leaderAndIsr(to: 1).map(\.topicPartition)) == [tp("t", 0), tp("t", 1)])
    }

    @Test func topicWithoutIdGetsOneOnFailover() {
        var h = CoreHarness()
        h.brokers = [broker(1)]
        h.createTopic("t", [[1]], id: nil)
        h.activate()
        #expect(h.assignment("t")?.topicId != nil)
        #expect(h.context.topics[TopicName("t")]?.topicID == h.assignment("t")?.topicId)
    }

    @Test func partitionsAddedToExistingTopicAreInitialized() {
        var h = CoreHarness()
        h.brokers = [broker(1), broker(2)]
        h.createTopic("t", [[1]])
        h.activate()
        h.createTopic("t", [[1], [2]])
        h.zk[ZNodePaths.topic(TopicName("t"))]!.version = 5
        h.run(.topicModified(TopicName("t"), h.loadedTopic("t")))
        #expect(h.state(tp("t", 1))?.leader == BrokerID(2))
        #expect(h.context.topics[TopicName("t")]?.zkVersion == 5)
    }
}
