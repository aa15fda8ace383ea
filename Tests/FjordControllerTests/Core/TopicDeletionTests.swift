import FjordCluster
import FjordController
import FjordModel
import Testing

@Suite struct TopicDeletionTests {
    func setUp() -> CoreHarness {
        var h = CoreHarness()
        h.createTopic("t", [[1, 2], [2, 3]])
        h.putState(tp("t", 0), leader: 1, epoch: 0, isr: [1, 2])
        h.putState(tp("t", 1), leader: 2, epoch: 0, isr: [2, 3])
        h.zk.put(ZNodePaths.topicConfig(TopicName("t")), TopicConfigNode(config: ["retention.ms": "1"]))
        h.brokers = [broker(1), broker(2), broker(3)]
        h.activate()
        h.zk.put(ZNodePaths.deleteTopic(TopicName("t")), "")
        return h
    }

    @discardableResult func respond(
        _ h: inout CoreHarness, _ broker: Int32, _ partitions: [TopicPartition], error: ControllerErrorCode = .none
    )
        -> [ControllerActions]
    {
        h.run(
            .stopReplicaResponse(
                broker: BrokerID(broker), error: .none,
                partitions: Dictionary(uniqueKeysWithValues: partitions.map { ($0, error) })))
    }

    @Test func deletesOnceEveryReplicaAcknowledged() {
        var h = setUp()
        let start = h.run(.topicDeletionRequested([TopicName("t")]))
        // Brokers stop serving the topic: leader -2 in UpdateMetadata.
        let metadata = start.updateMetadata(to: 3).flatMap { $0 }
        #expect(metadata.count == 2 && metadata.allSatisfy { $0.leader == LeaderAndIsr.leaderDuringDelete })
        // Every replica gets StopReplica(delete) with the deletion epoch sentinel.
        #expect(start.stopReplica(to: 2).map(\.topicPartition) == [tp("t", 0), tp("t", 1)])
        #expect(
            start.stopReplica(to: 2).allSatisfy {
                $0.deletePartition && $0.leaderEpoch == LeaderAndIsr.epochDuringDelete
            })
        #expect(h.zk[ZNodePaths.topic(TopicName("t"))] != nil)

        respond(&h, 1, [tp("t", 0)])
        respond(&h, 2, [tp("t", 0), tp("t", 1)])
        #expect(h.zk[ZNodePaths.topic(TopicName("t"))] != nil)
        respond(&h, 3, [tp("t", 1)])
        // Topic tree, config and admin node are gone; the controller forgot the topic.
        #expect(h.zk.nodes.keys.filter { $0.hasPrefix("/brokers/topics/t") }.isEmpty)
        #expect(h.zk[ZNodePaths.topicConfig(TopicName("t"))] == nil)
        #expect(h.zk[ZNodePaths.deleteTopic(TopicName("t"))] == nil)
        #expect(h.context.topics[TopicName("t")] == nil)
        #expect(h.context.leadership.isEmpty)
    }

    @Test func deadReplicaKeepsDeletionPendingUntilItReturns() {
        var h = setUp()
        h.setBrokers([broker(1), broker(2)])  // 3 dies first
        let start = h.run(.topicDeletionRequested([TopicName("t")]))
        #expect(start.stopReplica(to: 2).count == 2)
        respond(&h, 1, [tp("t", 0)])
        respond(&h, 2, [tp("t", 0), tp("t", 1)])
        #expect(h.context.topics[TopicName("t")] != nil)
        #expect(h.context.topicsIneligibleForDeletion == [TopicName("t")])

        let back = h.setBrokers([broker(1), broker(2), broker(3, epoch: 300)])
        #expect(back.stopReplica(to: 3).map(\.topicPartition) == [tp("t", 1)])
        #expect(back.stopReplica(to: 1).isEmpty)  // already deleted there
        respond(&h, 3, [tp("t", 1)])
        #expect(h.context.topics[TopicName("t")] == nil)
        #expect(h.zk[ZNodePaths.topic(TopicName("t"))] == nil)
    }

    @Test func failedDeletionIsRetriedWhenBrokerRestarts() {
        var h = setUp()
        h.run(.topicDeletionRequested([TopicName("t")]))
        respond(&h, 1, [tp("t", 0)], error: .kafkaStorageError)
        respond(&h, 2, [tp("t", 0), tp("t", 1)])
        respond(&h, 3, [tp("t", 1)])
        #expect(h.context.topicsIneligibleForDeletion == [TopicName("t")])
        #expect(h.context.topics[TopicName("t")] != nil)
        let retried = h.setBrokers([broker(1, epoch: 101), broker(2), broker(3)])
        #expect(retried.stopReplica(to: 1).map(\.topicPartition) == [tp("t", 0)])
    }

    @Test func unknownTopicMarkerIsRemoved() {
        var h = setUp()
        h.zk.put(ZNodePaths.deleteTopic(TopicName("ghost")), "")
        h.run(.topicDeletionRequested([TopicName("ghost")]))
        #expect(h.zk[ZNodePaths.deleteTopic(TopicName("ghost"))] == nil)
    }

    @Test func noLeaderElectionForTopicBeingDeleted() {
        var h = setUp()
        h.run(.topicDeletionRequested([TopicName("t")]))
        let before = h.state(tp("t", 0))
        h.setBrokers([broker(2), broker(3)])
        #expect(h.state(tp("t", 0)) == before)
    }
}
