import FjordModel
import FjordReplication
import Foundation
import KafkaProtocol
import Testing

@Suite(.serialized) struct ControlRequestTests {
    let tp = TopicPartition(topic: "events", partition: 2)

    func errors(_ response: LeaderAndIsrResponse) -> [Int16] {
        response.topics.flatMap { $0.partitionErrors.map(\.errorCode) } + response.partitionErrors.map(\.errorCode)
    }

    @Test func staleOrForeignLeaderAndIsrIsRefusedPerPartition() async throws {
        try await ReplicationCluster.with([1, 2]) { cluster in
            let state = cluster.createPartition(tp, replicas: [1, 2])
            let manager = cluster[1].manager
            // Same or older leader epoch: STALE_CONTROLLER_EPOCH (Kafka 3.9, ZooKeeper mode).
            let again = manager.becomeLeaderOrFollower(FakeController.leaderAndIsr(tp, state), version: 6)
            #expect(errors(again) == [ErrorCode.staleControllerEpoch.rawValue])
            // A partition this broker is not a replica of.
            var foreign = state
            foreign.replicas = [2, 3].map { BrokerID($0) }
            let other = TopicPartition(topic: "events", partition: 9)
            let refused = manager.becomeLeaderOrFollower(FakeController.leaderAndIsr(other, foreign), version: 6)
            #expect(errors(refused) == [ErrorCode.unknownTopicOrPartition.rawValue])
            #expect(manager.partitionSnapshot(other) == nil)
            // Version 1 (ungrouped states, partition errors by name) is read and answered too.
            var v1 = FakeController.leaderAndIsr(tp, state)
            v1.ungroupedPartitionStates = v1.topicStates.flatMap { topic in
                topic.partitionStates.map {
                    var s = $0; s.topicName = topic.topicName; return s
                }
            }
            v1.topicStates = []
            #expect(errors(manager.becomeLeaderOrFollower(v1, version: 1)) == [ErrorCode.staleControllerEpoch.rawValue])
            #expect(manager.leaderPartitions == [tp])
            #expect(cluster[2].manager.leaderPartitions.isEmpty)
            #expect(manager.underReplicatedPartitionCount == 0)
        }
    }

    @Test func stopReplicaFencesOlderEpochsAndDeletesTheLog() async throws {
        try await ReplicationCluster.with([1, 2]) { cluster in
            cluster.createPartition(tp, replicas: [1, 2])
            cluster.elect(tp, leader: 1)  // leader epoch 1
            _ = try await cluster.produce(tp, to: 1, TestRecords.batch())
            let follower = cluster[2]
            let directory = follower.log(tp)!.directory
            func stop(epoch: Int32, delete: Bool) -> [Int16] {
                let request = StopReplicaRequest(
                    controllerId: 100, controllerEpoch: 1,
                    topicStates: [
                        .init(
                            topicName: tp.topic.rawValue,
                            partitionStates: [
                                .init(
                                    partitionIndex: tp.partition.rawValue, leaderEpoch: epoch, deletePartition: delete)
                            ])
                    ])
                return follower.manager.stopReplicas(request, version: 3).partitionErrors.map(\.errorCode)
            }
            #expect(stop(epoch: 0, delete: true) == [ErrorCode.fencedLeaderEpoch.rawValue])
            #expect(follower.log(tp) != nil)
            #expect(stop(epoch: 1, delete: false) == [0])
            #expect(follower.snapshot(tp)?.role == PartitionSnapshot.Role.none)
            #expect(stop(epoch: -2, delete: true) == [0])
            #expect(follower.log(tp) == nil && follower.snapshot(tp) == nil)
            #expect(!FileManager.default.fileExists(atPath: directory))
            // The leader keeps serving; broker 2 is gone from its fetches but still in the ISR until the lag time.
            #expect(try await cluster.produce(tp, to: 1, acks: 1, TestRecords.batch()).error == .noError)
        }
    }
}
