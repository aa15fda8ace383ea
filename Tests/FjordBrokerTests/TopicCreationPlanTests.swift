import FjordBroker
import FjordModel
import KafkaProtocol
import Testing

@Suite struct TopicCreationPlanTests {
    let defaults = try! BrokerConfig.load(
        fileText: nil, environment: [:],
        overrides: [
            "broker.id": "1", "zookeeper.connect": "a:1", "num.partitions": "3", "default.replication.factor": "2",
        ])
    let live = [BrokerID(1), BrokerID(2), BrokerID(3)]

    func plan(_ request: TopicCreationPlan.Request, existing: Set<TopicName> = []) throws(ApiError) -> TopicCreationPlan
    {
        try TopicCreationPlan.make(
            request, defaults: defaults, liveBrokers: live, existingTopics: existing, random: false)
    }

    func code(_ request: TopicCreationPlan.Request, existing: Set<TopicName> = []) -> ErrorCode {
        do {
            _ = try plan(request, existing: existing)
            return .noError
        } catch {
            return error.code
        }
    }

    @Test func defaultsApplyForMinusOne() throws {
        let p = try plan(.init(name: "t", numPartitions: -1, replicationFactor: -1))
        #expect(p.partitionCount == 3 && p.replicationFactor == 2)
        // Leaders spread over the brokers, replicas distinct.
        #expect(Set(p.assignment.values.map { $0[0] }) == Set(live))
        #expect(p.assignment.values.allSatisfy { Set($0).count == 2 })
    }

    @Test func errorsInKafkasOrder() {
        #expect(code(.init(name: "", numPartitions: 1, replicationFactor: 1)) == .invalidTopicException)
        #expect(code(.init(name: "a b", numPartitions: 1, replicationFactor: 1)) == .invalidTopicException)
        #expect(code(.init(name: "t", numPartitions: 0, replicationFactor: 1)) == .invalidPartitions)
        #expect(code(.init(name: "t", numPartitions: 1, replicationFactor: 0)) == .invalidReplicationFactor)
        #expect(code(.init(name: "t", numPartitions: 1, replicationFactor: 4)) == .invalidReplicationFactor)
        #expect(code(.init(name: "t", numPartitions: 1, replicationFactor: 1, configs: ["x": "1"])) == .invalidConfig)
        #expect(
            code(.init(name: "t", numPartitions: 1, replicationFactor: 1, configs: ["retention.ms": nil]))
                == .invalidRequest)
        #expect(
            code(.init(name: "a.b", numPartitions: 1, replicationFactor: 1), existing: ["a_b"])
                == .invalidTopicException)
    }

    @Test func manualAssignments() throws {
        let ok = try plan(
            .init(name: "t", numPartitions: -1, replicationFactor: -1, assignments: [0: [1, 2], 1: [2, 3]]))
        #expect(
            ok.assignment == [PartitionID(0): [BrokerID(1), BrokerID(2)], PartitionID(1): [BrokerID(2), BrokerID(3)]])
        #expect(
            code(.init(name: "t", numPartitions: 2, replicationFactor: -1, assignments: [0: [1]])) == .invalidRequest)
        #expect(
            code(.init(name: "t", numPartitions: -1, replicationFactor: -1, assignments: [1: [1]]))
                == .invalidReplicaAssignment)
        #expect(
            code(.init(name: "t", numPartitions: -1, replicationFactor: -1, assignments: [0: [1, 1]]))
                == .invalidReplicaAssignment)
        #expect(
            code(.init(name: "t", numPartitions: -1, replicationFactor: -1, assignments: [0: [1], 1: [1, 2]]))
                == .invalidReplicaAssignment)
        #expect(
            code(.init(name: "t", numPartitions: -1, replicationFactor: -1, assignments: [0: [9]]))
                == .invalidReplicaAssignment)
    }
}
