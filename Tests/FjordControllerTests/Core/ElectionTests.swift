import FjordCluster
import FjordController
import FjordModel
import Testing

@Suite struct ElectionTests {
    func setUp(imbalance: Int = 10) -> CoreHarness {
        var h = CoreHarness(imbalancePercentage: imbalance)
        h.createTopic("t", [[1, 2], [2, 1], [1, 2], [3, 1]])
        h.putState(tp("t", 0), leader: 2, epoch: 1, isr: [2, 1])  // preferred 1 can lead
        h.putState(tp("t", 1), leader: 2, epoch: 1, isr: [2, 1])  // already preferred
        h.putState(tp("t", 2), leader: 2, epoch: 1, isr: [2])  // preferred 1 not in ISR
        h.putState(tp("t", 3), leader: 1, epoch: 1, isr: [1, 3])  // preferred 3 not registered
        h.brokers = [broker(1), broker(2)]
        h.activate()
        return h
    }

    @Test func electLeadersPreferredAnswersPerPartition() {
        var h = setUp()
        let all = Set([tp("t", 0), tp("t", 1), tp("t", 2), tp("t", 3), tp("nope", 0)])
        let actions = h.run(.electLeaders(.preferred, all))
        guard case .electLeaders(let top, let results)? = actions.first?.reply else {
            Issue.record("no reply")
            return
        }
        #expect(top.code == ControllerErrorCode.none)
        #expect(results[tp("t", 0)] == .elected(BrokerID(1)))
        #expect(results[tp("t", 1)] == .failed(ControllerApiError(.electionNotNeeded)))
        if case .failed(let e) = results[tp("t", 2)] {
            #expect(e.code == .preferredLeaderNotAvailable)
        } else {
            Issue.record("t-2 \(String(describing: results[tp("t", 2)]))")
        }
        if case .failed(let e) = results[tp("t", 3)] {
            #expect(e.code == .preferredLeaderNotAvailable)
        } else {
            Issue.record("t-3")
        }
        if case .failed(let e) = results[tp("nope", 0)] {
            #expect(e.code == .unknownTopicOrPartition)
        } else {
            Issue.record("nope-0")
        }
        #expect(h.state(tp("t", 0))?.leader == BrokerID(1))
        #expect(h.state(tp("t", 0))?.isr == ids([2, 1]))
        #expect(h.state(tp("t", 0))?.leaderEpoch == LeaderEpoch(2))
        #expect(actions.leaderAndIsr(to: 1).map(\.topicPartition) == [tp("t", 0)])
    }

    @Test func autoRebalanceHonoursImbalanceThreshold() {
        // Broker 1 is preferred for t-0 and t-2 and leads neither: 100% > 10%, and only t-0 can move.
        var h = setUp()
        h.run(.autoLeaderRebalance)
        #expect(h.state(tp("t", 0))?.leader == BrokerID(1))
        #expect(h.state(tp("t", 2))?.leader == BrokerID(2))

        // With a 100% threshold nothing is imbalanced enough.
        var lenient = setUp(imbalance: 100)
        lenient.run(.autoLeaderRebalance)
        #expect(lenient.state(tp("t", 0))?.leader == BrokerID(2))
    }

    @Test func adminNodeTriggersElectionAndIsDeleted() {
        var h = setUp()
        h.zk.put(ZNodePaths.preferredReplicaElection, ReassignmentRequest(partitions: []))
        h.run(.preferredReplicaElectionRequested([tp("t", 0)]))
        #expect(h.state(tp("t", 0))?.leader == BrokerID(1))
        #expect(h.zk[ZNodePaths.preferredReplicaElection] == nil)
    }

    @Test func uncleanElectionOnDemand() {
        var h = CoreHarness()
        h.createTopic("t", [[1, 2]])
        h.putState(tp("t", 0), leader: 1, epoch: 1, isr: [1])
        h.brokers = [broker(1), broker(2)]
        h.activate()
        h.setBrokers([broker(2)])
        #expect(h.state(tp("t", 0))?.leader == BrokerID.none)
        let actions = h.run(.electLeaders(.unclean, [tp("t", 0)]))
        guard case .electLeaders(_, let results)? = actions.first?.reply else { return }
        #expect(results[tp("t", 0)] == .elected(BrokerID(2)))
        #expect(h.state(tp("t", 0))?.isr == ids([2]))
    }
}
