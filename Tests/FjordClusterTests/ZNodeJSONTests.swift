import FjordCluster
import FjordModel
import Testing

@Suite struct ZNodeJSONTests {
    /// Reads JSON exactly as Apache Kafka writes it into ZooKeeper.
    @Test func readsKafkaWrittenNodes() throws {
        let state = Array(#"{"controller_epoch":3,"leader":2,"version":1,"leader_epoch":7,"isr":[2,1]}"#.utf8)
        let s = try ZNodeJSON.decode(PartitionState.self, from: state, path: "/s")
        #expect(s.leaderID == BrokerID(2) && s.epoch == LeaderEpoch(7) && s.isrIDs == [BrokerID(2), BrokerID(1)])

        let topic = Array(
            #"{"version":2,"partitions":{"0":[1,2],"1":[2,3]},"adding_replicas":{},"removing_replicas":{}}"#.utf8)
        let t = try ZNodeJSON.decode(TopicAssignment.self, from: topic, path: "/t")
        #expect(t.replicas[PartitionID(1)] == [BrokerID(2), BrokerID(3)])
        #expect(t.topicId == nil)

        let broker = Array(
            #"{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://kafka1:9092"],"jmx_port":-1,"port":9092,"host":"kafka1","version":5,"timestamp":"1700000000000","fjord_inter_broker_listener":"PLAINTEXT"}"#
                .utf8)
        let b = try ZNodeJSON.decode(BrokerRegistration.self, from: broker, path: "/b")
        #expect(b.interBrokerEndpoint == Endpoint(listenerName: "PLAINTEXT", host: "kafka1", port: 9092))
    }

    @Test func roundTrips() throws {
        let reg = BrokerRegistration(
            endpoints: [
                Endpoint(listenerName: "PLAINTEXT", host: "localhost", port: 9092),
                Endpoint(listenerName: "INTERNAL", host: "127.0.0.1", port: 19092),
            ], interBrokerListener: "INTERNAL", rack: nil, timestamp: TimestampMs(5))
        let back = try ZNodeJSON.decode(BrokerRegistration.self, from: ZNodeJSON.encode(reg), path: "/b")
        #expect(back == reg)
        #expect(back.interBrokerEndpoint?.port == 19092)

        let assignment = TopicAssignment(replicas: [PartitionID(0): [BrokerID(1)]], topicId: "abc")
        #expect(
            try ZNodeJSON.decode(TopicAssignment.self, from: ZNodeJSON.encode(assignment), path: "/t") == assignment)
        #expect(throws: ClusterStateError.self) {
            _ = try ZNodeJSON.decode(PartitionState.self, from: Array("not json".utf8), path: "/x")
        }
    }
}
