import FjordCluster
import FjordController
import FjordModel
import Testing

@Suite struct ControlledShutdownTests {
    @Test func movesLeadershipAwayAndReportsWhatRemains() {
        var h = CoreHarness()
        h.createTopic("t", [[1, 2, 3], [2, 1], [1], [3, 1]])
        h.putState(tp("t", 0), leader: 1, epoch: 0, isr: [1, 2, 3])  // led by 1, moves to 2
        h.putState(tp("t", 1), leader: 2, epoch: 0, isr: [2, 1])  // followed by 1: leaves the ISR
        h.putState(tp("t", 2), leader: 1, epoch: 0, isr: [1])  // one replica: stays
        h.putState(tp("t", 3), leader: 1, epoch: 0, isr: [1])  // no other ISR member: stays
        h.brokers = [broker(1, epoch: 7), broker(2), broker(3)]
        h.activate()

        let actions = h.run(.controlledShutdown(broker: BrokerID(1), brokerEpoch: BrokerEpoch(7)))
        // Only t-3 remains: it could move (two replicas) but has no other ISR member; t-2 has a single replica and
        // is not reported, as in Kafka, so the broker does not retry for a leadership that can never move.
        #expect(actions.first?.reply == .controlledShutdown(.none, remaining: [tp("t", 3)]))
        #expect(h.state(tp("t", 0))?.leader == BrokerID(2))
        #expect(h.state(tp("t", 0))?.isr == ids([2, 3]))
        #expect(h.state(tp("t", 0))?.leaderEpoch == LeaderEpoch(1))
        #expect(h.state(tp("t", 1))?.leader == BrokerID(2))
        #expect(h.state(tp("t", 1))?.isr == ids([2]))
        #expect(h.state(tp("t", 1))?.leaderEpoch == LeaderEpoch(1))
        #expect(h.context.shuttingDownBrokers == [BrokerID(1)])
        // The shutting-down broker becomes a follower of t-0 and stops its follower replica of t-1.
        #expect(actions.leaderAndIsr(to: 1).map(\.topicPartition).contains(tp("t", 0)))
        #expect(actions.stopReplica(to: 1).map(\.topicPartition) == [tp("t", 1)])
        #expect(actions.stopReplica(to: 1).first?.deletePartition == false)

        // It may no longer lead: another broker change does not hand it anything back.
        h.setBrokers([broker(1, epoch: 7), broker(2), broker(3), broker(4)])
        #expect(h.state(tp("t", 0))?.leader == BrokerID(2))

        // When it finally goes away its remaining single-replica partition goes offline.
        h.setBrokers([broker(2), broker(3), broker(4)])
        #expect(h.state(tp("t", 2))?.leader == BrokerID.none)
        #expect(h.context.shuttingDownBrokers.isEmpty)
    }

    @Test func rejectsOldBrokerEpochAndUnknownBroker() {
        var h = CoreHarness()
        h.brokers = [broker(1, epoch: 7)]
        h.activate()
        #expect(
            h.run(.controlledShutdown(broker: BrokerID(1), brokerEpoch: BrokerEpoch(6))).first?.reply
                == .controlledShutdown(.staleBrokerEpoch, remaining: []))
        #expect(
            h.run(.controlledShutdown(broker: BrokerID(5), brokerEpoch: BrokerEpoch(1))).first?.reply
                == .controlledShutdown(.brokerNotAvailable, remaining: []))
        #expect(h.context.shuttingDownBrokers.isEmpty)
    }
}
