import FjordCluster
import FjordController
import FjordModel
import Testing

@Suite struct AlterPartitionTests {
    /// t-0: leader 1, epoch 4, ISR [1], partition epoch 3; replicas 1,2,3 all live.
    func setUp() -> CoreHarness {
        var h = CoreHarness()
        h.createTopic("t", [[1, 2, 3]])
        h.putState(tp("t", 0), leader: 1, epoch: 4, isr: [1], version: 3)
        h.brokers = [broker(1, epoch: 11), broker(2, epoch: 12), broker(3, epoch: 13)]
        h.activate()
        return h
    }

    func request(
        broker: Int32 = 1, brokerEpoch: Int64 = 11, version: Int16 = 2, leaderEpoch: Int32 = 4, isr: [Int32],
        partitionEpoch: Int32 = 3, topic: TopicReference = .id("AAAAAAAAAAAAAAAAAAAAAQ")
    ) -> ControllerEvent {
        .alterPartition(
            AlterPartitionRequest(
                brokerID: BrokerID(broker), brokerEpoch: BrokerEpoch(brokerEpoch), version: version,
                topics: [
                    .init(
                        topic: topic,
                        partitions: [
                            .init(
                                partition: PartitionID(0), leaderEpoch: LeaderEpoch(leaderEpoch), newIsr: ids(isr),
                                partitionEpoch: PartitionEpoch(partitionEpoch))
                        ])
                ]))
    }

    func partitionReply(_ actions: [ControllerActions]) -> AlterPartitionPartitionReply? {
        guard case .alterPartition(let reply)? = actions.first?.reply else { return nil }
        return reply.topics.first?.partitions.first
    }

    @Test func expandsIsrKeepingLeaderEpochAndBumpingPartitionEpoch() {
        var h = setUp()
        let actions = h.run(request(isr: [1, 2]))
        let reply = partitionReply(actions)
        #expect(reply?.error == ControllerErrorCode.none)
        #expect(reply?.state?.isr == ids([1, 2]))
        #expect(reply?.state?.leaderEpoch == LeaderEpoch(4))
        #expect(reply?.state?.partitionEpoch == PartitionEpoch(4))
        #expect(h.state(tp("t", 0))?.isr == ids([1, 2]))
        #expect(h.state(tp("t", 0))?.partitionEpoch == PartitionEpoch(4))
        // The write was a compare-and-set at the partition epoch the leader sent.
        #expect(
            h.zk.applied.last?.operations.first?.kind
                == .set(data: h.zk[ZNodePaths.partitionState(tp("t", 0))]!.data, version: 3))
        // Brokers learn the new ISR; the leader gets no LeaderAndIsr (it asked for the change).
        #expect(actions.updateMetadata(to: 2).flatMap { $0 }.first?.isr == ids([1, 2]))
        #expect(actions.leaderAndIsr(to: 1).isEmpty)

        // The same request again (a retry) is answered with the current state.
        let retry = partitionReply(h.run(request(isr: [1, 2])))
        #expect(retry?.error == ControllerErrorCode.none)
        #expect(retry?.state?.partitionEpoch == PartitionEpoch(4))
    }

    @Test func validatesAsKafkaDoes() {
        var h = setUp()
        #expect(partitionReply(h.run(request(leaderEpoch: 3, isr: [1, 2])))?.error == .fencedLeaderEpoch)
        #expect(partitionReply(h.run(request(leaderEpoch: 5, isr: [1, 2])))?.error == .notController)
        #expect(partitionReply(h.run(request(isr: [1, 2], partitionEpoch: 9)))?.error == .notController)
        #expect(partitionReply(h.run(request(isr: [1, 2], partitionEpoch: 2)))?.error == .invalidUpdateVersion)
        #expect(partitionReply(h.run(request(isr: [1, 4])))?.error == .ineligibleReplica)
        #expect(
            partitionReply(h.run(request(version: 1, isr: [1, 4], topic: .name("t"))))?.error == .operationNotAttempted)
        #expect(partitionReply(h.run(request(isr: [2, 3])))?.error == .invalidRequest)  // leader not in the ISR
        #expect(partitionReply(h.run(request(broker: 2, brokerEpoch: 12, isr: [1, 2])))?.error == .invalidRequest)
        #expect(
            partitionReply(h.run(request(isr: [1], topic: .id("BBBBBBBBBBBBBBBBBBBBBQ"))))?.error == .unknownTopicID)
        #expect(partitionReply(h.run(request(isr: [1], topic: .name("nope"))))?.error == .unknownTopicOrPartition)
        // Nothing was written by any of them.
        #expect(h.state(tp("t", 0))?.partitionEpoch == PartitionEpoch(3))
    }

    @Test func staleOrUnknownBrokerEpochRejectsWholeRequest() {
        var h = setUp()
        for event in [request(brokerEpoch: 10, isr: [1, 2]), request(broker: 9, brokerEpoch: 11, isr: [9])] {
            guard case .alterPartition(let reply)? = h.run(event).first?.reply else {
                Issue.record("no reply")
                return
            }
            #expect(reply.error == .staleBrokerEpoch)
            #expect(reply.topics.isEmpty)
        }
    }

    @Test func shuttingDownBrokerIsIneligibleForIsr() {
        var h = setUp()
        h.run(.controlledShutdown(broker: BrokerID(2), brokerEpoch: BrokerEpoch(12)))
        #expect(partitionReply(h.run(request(isr: [1, 2])))?.error == .ineligibleReplica)
    }

    @Test func lostCompareAndSetAnswersInvalidUpdateVersionAndRefreshes() {
        var h = setUp()
        // Someone else (a zombie) wrote the state znode behind the controller's back.
        h.putState(tp("t", 0), leader: 1, epoch: 4, isr: [1, 3], version: 4)
        let actions = h.run(request(isr: [1, 2]))
        #expect(partitionReply(actions)?.error == .invalidUpdateVersion)
        #expect(h.context.leadership[tp("t", 0)]?.isr == ids([1, 3]))
        #expect(h.context.leadership[tp("t", 0)]?.partitionEpoch == PartitionEpoch(4))
        #expect(actions.first?.followUps.contains(.reconcile(attempt: 1)) == true)
    }
}
