import FjordModel
import KafkaProtocol
import KafkaWire
import Testing

@testable import FjordClient

@Suite("configuration, addresses, versions")
struct ConfigurationTests {
    let servers = [BrokerAddress(host: "localhost", port: 9092)]

    @Test func idempotenceFollowsKafkasDefaults() throws {
        var c = ProducerConfiguration(bootstrapServers: servers)
        #expect(c.isIdempotent)
        c.acks = .leader
        #expect(!c.isIdempotent, "acks=1 silently turns default idempotence off")
        try c.validate()
        c.enableIdempotence = true
        #expect(throws: KafkaClientError.self) { try c.validate() }
        c.acks = .all
        c.maxInFlightRequestsPerConnection = 6
        #expect(throws: KafkaClientError.self) { try c.validate() }
        c.maxInFlightRequestsPerConnection = 5
        try c.validate()
    }

    @Test func deliveryTimeoutMustCoverLingerAndRequestTimeout() {
        var c = ProducerConfiguration(bootstrapServers: servers)
        c.deliveryTimeout = .seconds(10)
        c.requestTimeout = .seconds(30)
        #expect(throws: KafkaClientError.self) { try c.validate() }
    }

    @Test func producerPropertiesUseKafkaNames() throws {
        let c = try ProducerConfiguration(
            bootstrapServers: servers,
            properties: [
                "acks": "1", "linger.ms": "20", "batch.size": "65536", "compression.type": "zstd",
                "enable.idempotence": "false", "max.in.flight.requests.per.connection": "3", "client.id": "x",
            ])
        #expect(c.acks == .leader && c.linger == .milliseconds(20) && c.batchSize == 65536)
        #expect(c.compression == .zstd && c.enableIdempotence == false && c.maxInFlightRequestsPerConnection == 3)
        #expect(c.clientId == "x")
        #expect(throws: KafkaClientError.self) {
            try ProducerConfiguration(bootstrapServers: servers, properties: ["acks": "2"])
        }
        #expect(throws: KafkaClientError.self) {
            try ProducerConfiguration(bootstrapServers: servers, properties: ["no.such.property": "1"])
        }
    }

    @Test func consumerPropertiesAndValidation() throws {
        let c = try ConsumerConfiguration(
            bootstrapServers: servers,
            properties: [
                "group.id": "g", "auto.offset.reset": "earliest", "enable.auto.commit": "false",
                "partition.assignment.strategy":
                    "org.apache.kafka.clients.consumer.CooperativeStickyAssignor", "fetch.max.wait.ms": "100",
            ])
        #expect(c.groupId == "g" && c.autoOffsetReset == .earliest && !c.enableAutoCommit)
        #expect(c.partitionAssignmentStrategies == [.cooperativeSticky] && c.usesCooperativeRebalancing)
        var bad = c
        bad.heartbeatInterval = .seconds(60)
        #expect(throws: KafkaClientError.self) { try bad.validate() }
        #expect(!ConsumerConfiguration(bootstrapServers: servers).usesCooperativeRebalancing)
    }

    @Test func brokerAddresses() throws {
        #expect(try BrokerAddress(parsing: "localhost:9092") == BrokerAddress(host: "localhost", port: 9092))
        #expect(try BrokerAddress(parsing: " [::1]:19092 ") == BrokerAddress(host: "::1", port: 19092))
        #expect(try BrokerAddress.parseList("a:1,b:2").count == 2)
        #expect(throws: KafkaClientError.self) { try BrokerAddress(parsing: "localhost") }
        #expect(throws: KafkaClientError.self) { try BrokerAddress(parsing: "h:0") }
        #expect(throws: KafkaClientError.self) { try BrokerAddress.parseList(" , ") }
    }

    @Test func versionNegotiationPicksTheHighestCommonVersion() {
        let broker =
            ApiVersionTable.fjord.responseEntries + [
                ApiVersionsResponse.ApiVersion(apiKey: ApiKey.describeProducers.rawValue, minVersion: 0, maxVersion: 1)
            ]
        let selection = ApiVersionSelection(brokerRanges: broker)
        #expect(selection.version(for: .produce) == 8)
        #expect(selection.version(for: .fetch) == 11)
        #expect(selection.version(for: .apiVersions) == 3)
        #expect(selection.version(for: .describeCluster) == 1)
        #expect(selection.version(for: .describeProducers) == nil, "an API the client does not speak")
        // A broker whose Produce range starts above what the client speaks shares nothing.
        let newer = ApiVersionSelection(brokerRanges: [
            ApiVersionsResponse.ApiVersion(apiKey: ApiKey.produce.rawValue, minVersion: 9, maxVersion: 11),
            ApiVersionsResponse.ApiVersion(apiKey: ApiKey.fetch.rawValue, minVersion: 0, maxVersion: 17),
        ])
        #expect(newer.version(for: .produce) == nil)
        #expect(newer.version(for: .fetch) == 11)
    }

    @Test func reconnectBackoffDoublesAndCaps() {
        let backoff = ReconnectBackoff(base: .milliseconds(50), max: .seconds(1))
        #expect(backoff.delayNs(failures: 0, jitter: 0) == 0)
        #expect(backoff.delayNs(failures: 1, jitter: 0) == 50_000_000)
        #expect(backoff.delayNs(failures: 3, jitter: 0) == 200_000_000)
        #expect(backoff.delayNs(failures: 30, jitter: 0) == 1_000_000_000)
        #expect(backoff.delayNs(failures: 1, jitter: 1) == 60_000_000)
    }

    @Test func errorsCarryKafkaCodes() {
        let e = KafkaClientError.broker(.notLeaderOrFollower, topicPartition: TopicPartition(topic: "t", partition: 1))
        #expect(e.kind == .broker && e.errorCode == .notLeaderOrFollower && e.isRetriable)
        #expect(e.description.hasPrefix("NOT_LEADER_OR_FOLLOWER"))
        #expect(!KafkaClientError.broker(.topicAlreadyExists).isRetriable)
        #expect(KafkaClientError(.connectionClosed, "x").isRetriable)
    }

    @Test func clusterMetadataFromAResponse() {
        let response = MetadataResponse(
            brokers: [MetadataResponse.MetadataResponseBroker(nodeId: 1, host: "h", port: 9092)], clusterId: "c",
            controllerId: 1,
            topics: [
                MetadataResponse.MetadataResponseTopic(
                    errorCode: 0, name: "t",
                    partitions: [
                        MetadataResponse.MetadataResponsePartition(
                            errorCode: 0, partitionIndex: 1, leaderId: -1, replicaNodes: [1, 2], isrNodes: [1]),
                        MetadataResponse.MetadataResponsePartition(
                            errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1]),
                    ])
            ])
        let m = ClusterMetadata(response: response)
        #expect(m.controllerId == BrokerID(1))
        #expect(m.leader(for: TopicPartition(topic: "t", partition: 0)) == BrokerID(1))
        #expect(m.leader(for: TopicPartition(topic: "t", partition: 1)) == nil)
        #expect(m.topics["t"]!.partitions[1].isOffline && m.topics["t"]!.partitions[1].isUnderReplicated)
        #expect(m.partitionCount(of: "t") == 2)
        let merged = m.merging(ClusterMetadata(brokers: m.brokers), requested: ["other"])
        #expect(merged.topics["t"] != nil, "a partial refresh keeps topics it did not ask about")
    }
}
