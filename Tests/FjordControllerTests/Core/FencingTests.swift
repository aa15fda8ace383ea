import FjordCluster
import FjordController
import FjordModel
import KafkaWire
import Testing

@Suite struct FencingTests {
    @Test func fencedWriteResignsAndAnswersNotController() {
        var h = CoreHarness()
        h.createTopic("t", [[1, 2]])
        h.putState(tp("t", 0), leader: 1, epoch: 0, isr: [1, 2])
        h.brokers = [broker(1), broker(2)]
        h.activate()
        // Another controller won: /controller_epoch moved on.
        h.zk[ZNodePaths.controllerEpoch]!.version += 1
        let actions = h.setBrokers([broker(2)])
        #expect(actions.first?.resign == true)
        #expect(actions.first?.requests.isEmpty == true)
        #expect(h.core.isActive == false)
        #expect(h.state(tp("t", 0))?.leader == BrokerID(1))  // nothing was written
        let reply = h.run(.controlledShutdown(broker: BrokerID(2), brokerEpoch: BrokerEpoch(100))).first?.reply
        #expect(reply == .controlledShutdown(.notController, remaining: []))
    }

    @Test func everyUnitIsFencedByTheEpochCheck() {
        // The fake ZooKeeper refuses any unit when the epoch version differs; the core must carry the version it won.
        var h = CoreHarness()
        h.brokers = [broker(1)]
        h.createTopic("t", [[1]])
        h.activate()
        #expect(h.context.epochZkVersion == h.zk[ZNodePaths.controllerEpoch]!.version)
        #expect(h.state(tp("t", 0)) != nil)
    }

    @Test func conflictingWriteDropsItsRequestsAndReconciles() {
        var h = CoreHarness()
        h.createTopic("t", [[1, 2], [2, 1]])
        h.putState(tp("t", 0), leader: 1, epoch: 0, isr: [1, 2])
        h.putState(tp("t", 1), leader: 2, epoch: 0, isr: [2, 1])
        h.brokers = [broker(1), broker(2)]
        h.activate()
        // Someone moved t-0's state behind the controller's back (leader 2 already, version 1).
        h.putState(tp("t", 0), leader: 2, epoch: 1, isr: [2], version: 1)
        let actions = h.setBrokers([broker(2)])
        // t-1's write went through; t-0's was refused, refreshed, and the reconcile found nothing more to do.
        #expect(h.state(tp("t", 1))?.isr == ids([2]))
        #expect(h.context.leadership[tp("t", 0)]?.leader == BrokerID(2))
        #expect(h.context.leadership[tp("t", 0)]?.partitionEpoch == PartitionEpoch(1))
        #expect(actions.first?.followUps == [.reconcile(attempt: 1)])
        let first = actions.first!.requests.flatMap(\.requests)
        let partitionsSent = first.flatMap { r -> [TopicPartition] in
            if case .leaderAndIsr(_, let p, _, _) = r { return p.map(\.topicPartition) }
            return []
        }
        #expect(!partitionsSent.contains(tp("t", 0)))
    }

    @Test func malformedZnodesDoNotCrashTheController() {
        var h = CoreHarness()
        h.checkInvariants = false
        h.createTopic("t", [[1, 1, 2], [1, 2]])  // a duplicate replica written by hand
        h.putState(tp("t", 1), leader: 1, epoch: 0, isr: [])  // an empty ISR written by hand
        h.brokers = [broker(1), broker(2)]
        h.activate()
        #expect(h.state(tp("t", 0))?.isr == ids([1, 2]))
        let actions = h.setBrokers([broker(2)])
        #expect(h.state(tp("t", 1))?.isr == [])  // left alone, not "fixed" into something invalid
        #expect(actions.flatMap(\.notes).contains { $0.contains("invalid") })
        #expect(h.state(tp("t", 0))?.leader == BrokerID(2))
    }

    @Test func standbyAnswersNotControllerToEveryRequest() {
        var core = ControllerCore(configuration: .init(controllerID: 1))
        #expect(core.handle(.listPartitionReassignments(nil)).isEmpty)
        #expect(core.finish(.allApplied).reply == .listPartitionReassignments(ControllerApiError(.notController), [:]))
        _ = core.handle(
            .alterPartition(
                AlterPartitionRequest(brokerID: BrokerID(1), brokerEpoch: BrokerEpoch(1), version: 2, topics: [])))
        #expect(core.finish(.allApplied).reply == .alterPartition(AlterPartitionReply(error: .notController)))
        _ = core.handle(.brokersChanged([broker(1)]))
        #expect(core.finish(.allApplied).requests.isEmpty)
    }

    @Test func topicIDsAreKafkaText() {
        let random = TopicID.random()
        #expect(random.count == 22)
        #expect(KafkaUUID(base64URL: random)?.description == random)
        #expect(!random.hasPrefix("-"))
    }
}
