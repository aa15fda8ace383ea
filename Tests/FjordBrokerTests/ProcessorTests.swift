import FjordBroker
import FjordModel
import FjordNetwork
import KafkaProtocol
import KafkaWire
import NIOCore
import Testing

@Suite(.serialized) struct ProcessorTests {
    @Test func apiVersionsV3ListsTheAdvertisedTable() async throws {
        try await BrokerHarness.with { broker in
            let response = try await broker.send(
                ApiVersionsRequest(clientSoftwareName: "test", clientSoftwareVersion: "1.0"), version: 3)
            #expect(response.errorCode == 0)
            #expect(response.apiKeys == ApiVersionTable.fjord.responseEntries)
            let produce = response.apiKeys.first { $0.apiKey == 0 }
            #expect(produce?.minVersion == 0 && produce?.maxVersion == 8)
        }
    }

    @Test func apiVersionsV3RejectsBadSoftwareName() async throws {
        try await BrokerHarness.with { broker in
            let response = try await broker.send(
                ApiVersionsRequest(clientSoftwareName: "bad name!", clientSoftwareVersion: "1"), version: 3)
            #expect(response.errorCode == ErrorCode.invalidRequest.rawValue)
        }
    }

    /// Trap 1: a newer ApiVersions (flexible header) gets a v0-format body with error 35 and ApiVersions' range,
    /// and the connection stays usable.
    @Test func apiVersionsNewerThanServedAnswersV0WithUnsupportedVersion() async throws {
        try await BrokerHarness.with { broker in
            let connection = try await broker.connect()
            defer { connection.close() }
            var frame = try await connection.send(apiKey: 18, apiVersion: 4, headerVersion: 2) { body in
                body.writeInteger(UInt8(5))  // compact string "test"
                body.writeString("test")
                body.writeInteger(UInt8(4))
                body.writeString("1.0")
                body.writeInteger(UInt8(0))
            }.get()
            let body = try ApiVersionsResponse(from: &frame, version: 0)
            #expect(body.errorCode == 35)
            #expect(body.apiKeys == [.init(apiKey: 18, minVersion: 0, maxVersion: 3)])
            let again = try await broker.send(ApiVersionsRequest(), version: 0, on: connection)
            #expect(again.errorCode == 0)
        }
    }

    /// Produce 0–2 are advertised (librdkafka needs the minimum 0) but answered UNSUPPORTED_VERSION.
    @Test func produceV2IsAnsweredWithUnsupportedVersion() async throws {
        try await BrokerHarness.with { broker in
            let request = ProduceRequest(
                acks: 1, timeoutMs: 1000,
                topicData: [.init(name: "t", partitionData: [.init(index: 0, records: ByteBuffer(bytes: [1, 2, 3]))])])
            let response = try await broker.send(request, version: 2)
            #expect(response.responses.first?.partitionResponses.first?.errorCode == 35)
        }
    }

    @Test func unknownApiKeyClosesTheConnection() async throws {
        try await BrokerHarness.with { broker in
            let connection = try await broker.connect()
            await #expect(throws: KafkaClientError.self) {
                _ = try await connection.send(apiKey: 999, apiVersion: 0) { _ in }.get()
            }
            try await connection.closeFuture.get()
            #expect(!connection.isActive)
        }
    }

    @Test func malformedBodyClosesOnlyThatConnection() async throws {
        try await BrokerHarness.with { broker in
            let bad = try await broker.connect()
            await #expect(throws: KafkaClientError.self) {
                // Metadata v1 whose topic array claims 1000 entries but has no bytes.
                _ = try await bad.send(apiKey: 3, apiVersion: 1) { $0.writeInteger(Int32(1000)) }.get()
            }
            let response = try await broker.send(MetadataRequest(topics: []), version: 1)
            #expect(response.topics.isEmpty)
        }
    }

    @Test func controlRequestsAreRefusedOnClientListeners() async throws {
        try await BrokerHarness.with { broker in
            let connection = try await broker.connect("EXTERNAL")
            await #expect(throws: KafkaClientError.self) {
                _ = try await broker.send(BrokerHarness.sampleUpdateMetadata(), version: 7, on: connection)
            }
            let accepted = try await broker.send(BrokerHarness.sampleUpdateMetadata(), version: 7, listener: "INTERNAL")
            #expect(accepted.errorCode == 0)
        }
    }

    @Test func staleControllerEpochIsRejected() async throws {
        try await BrokerHarness.with { broker in
            let current = try await broker.send(
                BrokerHarness.sampleUpdateMetadata(controllerEpoch: 5), version: 8, listener: "INTERNAL")
            #expect(current.errorCode == 0)
            let stale = try await broker.send(
                BrokerHarness.sampleUpdateMetadata(controllerEpoch: 4), version: 8, listener: "INTERNAL")
            #expect(stale.errorCode == ErrorCode.staleControllerEpoch.rawValue)
            #expect(broker.context.metadataCache.snapshot.controllerEpoch == ControllerEpoch(5))
        }
    }

    /// Metadata answers with the endpoints of the listener the client used and reports the lowest live broker as
    /// controller (trap 8).
    @Test func metadataUsesTheClientsListenerAndLowestBrokerAsController() async throws {
        try await BrokerHarness.with { broker in
            _ = try await broker.send(BrokerHarness.sampleUpdateMetadata(), version: 7, listener: "INTERNAL")
            let external = try await broker.send(MetadataRequest(topics: nil), version: 8, listener: "EXTERNAL")
            #expect(external.controllerId == 1)
            #expect(external.brokers.map(\.port) == [9091, 9092, 9093])
            #expect(external.brokers.allSatisfy { $0.host == "localhost" })
            let internalListener = try await broker.send(MetadataRequest(topics: nil), version: 8, listener: "INTERNAL")
            #expect(internalListener.brokers.map(\.port) == [19091, 19092, 19093])
            let topic = try #require(external.topics.first)
            #expect(topic.name == "t" && topic.partitions.count == 2)
            #expect(topic.partitions.map(\.leaderId) == [2, 3])
            #expect(topic.partitions[0].leaderEpoch == 3)
        }
    }

    /// kafka-python 2.0.2 probes with Metadata v0 and an empty list: all topics.
    @Test func metadataV0EmptyListMeansAllTopics() async throws {
        try await BrokerHarness.with { broker in
            _ = try await broker.send(BrokerHarness.sampleUpdateMetadata(), version: 7, listener: "INTERNAL")
            let all = try await broker.send(MetadataRequest(topics: []), version: 0)
            #expect(all.topics.map(\.name) == ["t"])
            let none = try await broker.send(MetadataRequest(topics: []), version: 1)
            #expect(none.topics.isEmpty)
        }
    }

    @Test func unknownTopicWithoutAutoCreation() async throws {
        try await BrokerHarness.with(["auto.create.topics.enable": "false"]) { broker in
            _ = try await broker.send(BrokerHarness.sampleUpdateMetadata(), version: 7, listener: "INTERNAL")
            let response = try await broker.send(
                MetadataRequest(
                    topics: [.init(name: "missing"), .init(name: "bad name")], allowAutoTopicCreation: true),
                version: 4)
            #expect(response.topics.map(\.errorCode) == [3, 17])
        }
    }

    /// A dead leader: LEADER_NOT_AVAILABLE with leader -1.
    @Test func partitionWithDeadLeaderReportsLeaderNotAvailable() async throws {
        try await BrokerHarness.with { broker in
            var update = BrokerHarness.sampleUpdateMetadata()
            update.liveBrokers.removeAll { $0.id == 2 }
            _ = try await broker.send(update, version: 7, listener: "INTERNAL")
            let response = try await broker.send(MetadataRequest(topics: [.init(name: "t")]), version: 1)
            let partition = try #require(response.topics.first?.partitions.first)
            #expect(partition.errorCode == ErrorCode.leaderNotAvailable.rawValue)
            #expect(partition.leaderId == -1)
            #expect(partition.replicaNodes == [2, 3])
        }
    }

    @Test func saslHandshakeIsRefused() async throws {
        try await BrokerHarness.with { broker in
            let response = try await broker.send(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1)
            #expect(response.errorCode == ErrorCode.unsupportedSaslMechanism.rawValue)
            #expect(response.mechanisms.isEmpty)
        }
    }

    @Test func describeConfigsForTopicAndBroker() async throws {
        try await BrokerHarness.with(["log.retention.ms": "1000"]) { broker in
            _ = try await broker.send(BrokerHarness.sampleUpdateMetadata(), version: 7, listener: "INTERNAL")
            broker.context.topicConfigs.set("t", overrides: ["cleanup.policy": "compact"])
            let response = try await broker.send(
                DescribeConfigsRequest(
                    resources: [
                        .init(resourceType: 2, resourceName: "t", configurationKeys: nil),
                        .init(resourceType: 4, resourceName: "1", configurationKeys: ["num.partitions"]),
                        .init(resourceType: 4, resourceName: "7", configurationKeys: nil),
                        .init(resourceType: 2, resourceName: "nope", configurationKeys: nil),
                    ], includeSynonyms: true),
                version: 1)
            let topic = response.results[0]
            let cleanup = try #require(topic.configs.first { $0.name == "cleanup.policy" })
            #expect(cleanup.value == "compact" && cleanup.configSource == 1)
            let retention = try #require(topic.configs.first { $0.name == "retention.ms" })
            #expect(retention.value == "1000" && retention.configSource == 4)
            #expect(retention.synonyms.first?.name == "log.retention.ms")
            let segment = try #require(topic.configs.first { $0.name == "segment.bytes" })
            #expect(segment.value == "1073741824" && segment.configSource == 5)
            #expect(response.results[1].configs.map(\.name) == ["num.partitions"])
            #expect(response.results[2].errorCode == ErrorCode.invalidRequest.rawValue)
            #expect(response.results[3].errorCode == ErrorCode.unknownTopicOrPartition.rawValue)
        }
    }

    @Test func describeClusterListsBrokersOnTheListener() async throws {
        try await BrokerHarness.with { broker in
            _ = try await broker.send(BrokerHarness.sampleUpdateMetadata(), version: 7, listener: "INTERNAL")
            let response = try await broker.send(DescribeClusterRequest(), version: 0)
            #expect(response.controllerId == 1)
            #expect(response.brokers.map(\.brokerId) == [1, 2, 3])
            #expect(response.brokers.map(\.port) == [9091, 9092, 9093])
        }
    }

    @Test func createTopicsValidationErrors() async throws {
        try await BrokerHarness.with { broker in
            _ = try await broker.send(BrokerHarness.sampleUpdateMetadata(), version: 7, listener: "INTERNAL")
            let response = try await broker.send(
                CreateTopicsRequest(
                    topics: [
                        .init(name: "bad/name", numPartitions: 1, replicationFactor: 1),
                        .init(name: "zero", numPartitions: 0, replicationFactor: 1),
                        .init(name: "too-many", numPartitions: 1, replicationFactor: 4),
                        .init(
                            name: "bad-config", numPartitions: 1, replicationFactor: 1,
                            configs: [.init(name: "x", value: "1")]),
                        .init(name: "dup", numPartitions: 1, replicationFactor: 1),
                        .init(name: "dup", numPartitions: 1, replicationFactor: 1),
                        .init(name: "ok", numPartitions: 3, replicationFactor: 3),
                    ], timeoutMs: 1000, validateOnly: true),
                version: 4)
            #expect(response.topics.map(\.name) == ["bad/name", "zero", "too-many", "bad-config", "dup", "ok"])
            #expect(response.topics.map(\.errorCode) == [17, 37, 38, 40, 42, 0])
        }
    }
}
