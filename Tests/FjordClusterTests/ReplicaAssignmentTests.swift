import FjordCluster
import FjordModel
import Testing

@Suite struct ReplicaAssignmentTests {
    let brokers = [BrokerID(1), BrokerID(2), BrokerID(3)]

    @Test func spreadsLeadersAndReplicasEvenly() throws {
        let a = try ReplicaAssignment.assign(
            brokers: brokers, partitionCount: 6, replicationFactor: 3, startIndex: 0, replicaShift: 0)
        #expect(a.count == 6)
        var leaders: [BrokerID: Int] = [:]
        var replicas: [BrokerID: Int] = [:]
        for (_, r) in a {
            #expect(Set(r).count == 3, "replicas of one partition are distinct: \(r)")
            leaders[r[0], default: 0] += 1
            for b in r { replicas[b, default: 0] += 1 }
        }
        #expect(leaders.values.allSatisfy { $0 == 2 })
        #expect(replicas.values.allSatisfy { $0 == 6 })
        // Kafka's layout for start 0, shift 0: p0 = [1,2,3], p1 = [2,3,1], p3 = [1,3,2] (shift bumps at p3).
        #expect(a[PartitionID(0)] == [1, 2, 3].map { BrokerID($0) })
        #expect(a[PartitionID(1)] == [2, 3, 1].map { BrokerID($0) })
        #expect(a[PartitionID(3)] == [1, 3, 2].map { BrokerID($0) })
    }

    @Test func rejectsImpossibleRequests() {
        #expect(throws: ReplicaAssignment.Failure.notEnoughBrokers(replicationFactor: 4, liveBrokers: 3)) {
            _ = try ReplicaAssignment.assignRandomly(brokers: brokers, partitionCount: 1, replicationFactor: 4)
        }
        #expect(throws: ReplicaAssignment.Failure.invalidPartitionCount(0)) {
            _ = try ReplicaAssignment.assignRandomly(brokers: brokers, partitionCount: 0, replicationFactor: 1)
        }
    }

    @Test func additionalPartitionsContinueNumbering() throws {
        let existing = try ReplicaAssignment.assign(
            brokers: brokers, partitionCount: 2, replicationFactor: 2, startIndex: 1, replicaShift: 0)
        let more = try ReplicaAssignment.assignAdditional(existing: existing, brokers: brokers, newTotal: 5)
        #expect(Set(more.keys) == [PartitionID(2), PartitionID(3), PartitionID(4)])
        #expect(more.values.allSatisfy { $0.count == 2 && Set($0).count == 2 })
    }
}
