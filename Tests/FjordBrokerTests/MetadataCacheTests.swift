import FjordBroker
import FjordModel
import KafkaProtocol
import KafkaWire
import Testing

@Suite struct MetadataCacheTests {
    @Test func appliesGroupedStatesAndTopicIDs() {
        let cache = MetadataCache()
        cache.apply(BrokerHarness.sampleUpdateMetadata(controllerEpoch: 2), version: 7)
        let s = cache.snapshot
        #expect(s.liveBrokerIDs == [BrokerID(1), BrokerID(2), BrokerID(3)])
        #expect(s.endpoint(of: BrokerID(2), listener: "EXTERNAL") == .init(host: "localhost", port: 9092))
        #expect(s.partition(TopicPartition(topic: "t", partition: 0))?.leader == BrokerID(2))
        #expect(s.topicIDs["t"] == KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 2))
        #expect(s.controllerEpoch == ControllerEpoch(2) && s.reportedControllerID == 1)
        #expect(s.hasLeaders("t", partitionCount: 2) && !s.hasLeaders("t", partitionCount: 3))
    }

    /// Leader -2 marks a topic being deleted: its partitions leave the cache, and the topic with them.
    @Test func deletionMarkerRemovesPartitions() {
        let cache = MetadataCache()
        cache.apply(BrokerHarness.sampleUpdateMetadata(), version: 7)
        var delete = BrokerHarness.sampleUpdateMetadata()
        for index in delete.topicStates[0].partitionStates.indices {
            delete.topicStates[0].partitionStates[index].leader = -2
        }
        let removed = cache.apply(delete, version: 7)
        #expect(removed.count == 2)
        #expect(!cache.snapshot.contains("t") && cache.snapshot.topicIDs["t"] == nil)
    }

    @Test func oldVersionsUseUngroupedStatesAndProtocolNames() {
        let cache = MetadataCache()
        let request = UpdateMetadataRequest(
            controllerId: 1, controllerEpoch: 1,
            ungroupedPartitionStates: [
                .init(
                    topicName: "old", partitionIndex: 0, controllerEpoch: 1, leader: 1, leaderEpoch: 0, isr: [1],
                    zkVersion: 0, replicas: [1])
            ],
            liveBrokers: [.init(id: 1, endpoints: [.init(port: 9092, host: "h", securityProtocol: 0)])])
        cache.apply(request, version: 2)
        #expect(cache.snapshot.endpoint(of: BrokerID(1), listener: "PLAINTEXT") == .init(host: "h", port: 9092))
        #expect(cache.snapshot.contains("old"))
    }

    @Test func waitUntilReturnsWhenAnUpdateMakesTheConditionTrue() async {
        let cache = MetadataCache()
        async let waited = cache.waitUntil(timeout: .seconds(10)) { $0.contains("t") }
        try? await Task.sleep(for: .milliseconds(50))
        cache.apply(BrokerHarness.sampleUpdateMetadata(), version: 7)
        #expect(await waited)
        let timedOut = await cache.waitUntil(timeout: .milliseconds(50)) { $0.contains("other") }
        #expect(!timedOut)
    }
}
