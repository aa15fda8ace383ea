import FjordCluster
import FjordController
import FjordModel
import Testing

@Suite struct ReassignmentTests {
    func setUp() -> CoreHarness {
        var h = CoreHarness()
        h.createTopic("t", [[1, 2, 3], [1, 2, 3]])
        h.putState(tp("t", 0), leader: 1, epoch: 0, isr: [1, 2, 3])
        h.putState(tp("t", 1), leader: 1, epoch: 0, isr: [1, 2, 3])
        h.brokers = (1...6).map { broker($0) }
        h.activate()
        return h
    }

    func alter(_ h: inout CoreHarness, leaderEpoch: Int32, isr: [Int32], partitionEpoch: Int32) -> [ControllerActions] {
        h.run(
            .alterPartition(
                AlterPartitionRequest(
                    brokerID: BrokerID(1), brokerEpoch: BrokerEpoch(100), version: 2,
                    topics: [
                        .init(
                            topic: .name("t"),
                            partitions: [
                                .init(
                                    partition: PartitionID(0), leaderEpoch: LeaderEpoch(leaderEpoch), newIsr: ids(isr),
                                    partitionEpoch: PartitionEpoch(partitionEpoch))
                            ])
                    ])))
    }

    @Test func moveToDisjointReplicasFollowsKip455Phases() {
        var h = setUp()
        // Phase U + A: RS = TRS + ORS, adding/removing written, leader epoch bumped, LeaderAndIsr to RS.
        let start = h.run(.alterPartitionReassignments([tp("t", 0): ids([4, 5, 6])]))
        #expect(start.first?.reply == .alterPartitionReassignments(.none, [tp("t", 0): .none]))
        let written = h.assignment("t")!
        #expect(written.partitions["0"] == [4, 5, 6, 1, 2, 3])
        #expect(written.addingReplicas["0"] == [4, 5, 6])
        #expect(written.removingReplicas["0"] == [1, 2, 3])
        #expect(written.partitions["1"] == [1, 2, 3])
        #expect(h.state(tp("t", 0))?.leaderEpoch == LeaderEpoch(1))
        #expect(h.state(tp("t", 0))?.leader == BrokerID(1))
        #expect(start.leaderAndIsr(to: 4).first?.isNew == true)
        #expect(start.leaderAndIsr(to: 1).first?.isNew == false)
        #expect(start.leaderAndIsr(to: 1).first?.assignment.adding == ids([4, 5, 6]))
        // Assignment and leader epoch were written in one multi.
        #expect(
            h.zk.applied.contains { unit in
                unit.operations.map(\.subject) == [.topicAssignment(TopicName("t")), .partitionState(tp("t", 0))]
            })

        // In progress, listed.
        let listed = h.run(.listPartitionReassignments(nil))
        guard case .listPartitionReassignments(_, let inProgress)? = listed.first?.reply else { return }
        #expect(inProgress.keys.sorted() == [tp("t", 0)])
        #expect(inProgress[tp("t", 0)]?.targetReplicas == ids([4, 5, 6]))

        // The leader adds 4 and 5: not complete yet.
        _ = alter(&h, leaderEpoch: 1, isr: [1, 2, 3, 4, 5], partitionEpoch: 1)
        #expect(h.context.partitionsBeingReassigned == [tp("t", 0)])

        // The leader adds 6: TRS ⊆ ISR, phase B completes in the same event chain.
        let done = alter(&h, leaderEpoch: 1, isr: [1, 2, 3, 4, 5, 6], partitionEpoch: 2)
        let state = h.state(tp("t", 0))!
        #expect(state.leader == BrokerID(4))
        #expect(state.isr == ids([4, 5, 6]))
        #expect(state.leaderEpoch == LeaderEpoch(2))
        let final = h.assignment("t")!
        #expect(final.partitions["0"] == [4, 5, 6])
        #expect(final.addingReplicas.isEmpty && final.removingReplicas.isEmpty)
        #expect(h.context.partitionsBeingReassigned.isEmpty)
        for removed: Int32 in [1, 2, 3] {
            #expect(done.stopReplica(to: removed).contains { $0.topicPartition == tp("t", 0) && $0.deletePartition })
        }
        #expect(done.leaderAndIsr(to: 4).contains { $0.topicPartition == tp("t", 0) && $0.state.leader == BrokerID(4) })
    }

    @Test func validatesTargets() {
        var h = setUp()
        let actions = h.run(
            .alterPartitionReassignments([
                tp("t", 0): [], tp("t", 1): ids([2, 2]), tp("nope", 0): ids([1]),
            ]))
        guard case .alterPartitionReassignments(_, let results)? = actions.first?.reply else { return }
        #expect(results[tp("t", 0)]?.code == .invalidReplicaAssignment)
        #expect(results[tp("t", 1)]?.code == .invalidReplicaAssignment)
        #expect(results[tp("nope", 0)]?.code == .unknownTopicOrPartition)
        let dead = h.run(.alterPartitionReassignments([tp("t", 0): ids([1, 9])]))
        guard case .alterPartitionReassignments(_, let r2)? = dead.first?.reply else { return }
        #expect(r2[tp("t", 0)]?.code == .invalidReplicaAssignment)
        let cancelNothing = h.run(.alterPartitionReassignments([tp("t", 0): nil]))
        guard case .alterPartitionReassignments(_, let r3)? = cancelNothing.first?.reply else { return }
        #expect(r3[tp("t", 0)]?.code == .noReassignmentInProgress)
    }

    @Test func cancelRestoresOriginReplicasAndStopsAddedOnes() {
        var h = setUp()
        h.run(.alterPartitionReassignments([tp("t", 0): ids([1, 2, 4])]))
        #expect(h.assignment("t")?.partitions["0"] == [1, 2, 4, 3])
        let cancel = h.run(.alterPartitionReassignments([tp("t", 0): nil]))
        #expect(h.assignment("t")?.partitions["0"] == [1, 2, 3])
        #expect(h.assignment("t")?.addingReplicas.isEmpty == true)
        #expect(cancel.stopReplica(to: 4).first?.deletePartition == true)
        #expect(h.context.partitionsBeingReassigned.isEmpty)
    }

    @Test func zkTriggeredReassignmentRemovesCompletedEntriesAndDeletesNode() {
        var h = setUp()
        // A reorder within the ISR completes at once; an unknown partition fails and is dropped from the node.
        let node = ReassignmentRequest(partitions: [
            .init(topic: "t", partition: 1, replicas: [3, 2, 1]), .init(topic: "gone", partition: 0, replicas: [1]),
        ])
        h.zk.put(ZNodePaths.reassignPartitions, node)
        let parsed = ControllerContext.ZkReassignment(json: ZNodeJSON.encode(node), version: 0)!
        h.run(.zkReassignmentRequested(parsed))
        #expect(h.assignment("t")?.partitions["1"] == [3, 2, 1])
        #expect(h.zk[ZNodePaths.reassignPartitions] == nil)
        #expect(h.context.zkReassignment == nil)
    }

    @Test func failoverResumesReassignmentInProgress() {
        var h = CoreHarness()
        var replicas: [PartitionID: [BrokerID]] = [PartitionID(0): ids([4, 1])]
        h.zk.put(
            ZNodePaths.topic(TopicName("t")),
            TopicAssignment(
                replicas: replicas, topicId: "AAAAAAAAAAAAAAAAAAAAAQ", adding: [PartitionID(0): ids([4])],
                removing: [PartitionID(0): ids([1])]))
        h.putState(tp("t", 0), leader: 1, epoch: 3, isr: [1, 4])
        h.brokers = [broker(1), broker(4)]
        h.activate()
        // The ISR already holds TRS = [4]: the resumed reassignment completes.
        #expect(h.assignment("t")?.partitions["0"] == [4])
        #expect(h.state(tp("t", 0))?.leader == BrokerID(4))
        #expect(h.state(tp("t", 0))?.isr == ids([4]))
        replicas = [:]
    }
}
