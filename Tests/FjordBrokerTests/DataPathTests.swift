import FjordBroker
import FjordModel
import FjordNetwork
import KafkaProtocol
import KafkaWire
import NIOCore
import Testing

/// Produce, Fetch (with records sent as file parts) and ListOffsets through the processor and a real
/// ReplicaManager, with this broker made leader of `d-0` by hand-written control requests.
@Suite(.serialized) struct DataPathTests {
    static func makeLeader(_ broker: BrokerHarness) async throws {
        let update = UpdateMetadataRequest(
            controllerId: 100, controllerEpoch: 1,
            topicStates: [
                .init(
                    topicName: "d",
                    partitionStates: [
                        .init(
                            partitionIndex: 0, controllerEpoch: 1, leader: 1, leaderEpoch: 0, isr: [1], zkVersion: 0,
                            replicas: [1])
                    ])
            ],
            liveBrokers: [
                .init(
                    id: 1,
                    endpoints: [
                        .init(port: 9092, host: "localhost", listener: "EXTERNAL", securityProtocol: 0),
                        .init(
                            port: Int32(broker.port("INTERNAL")), host: "127.0.0.1", listener: "INTERNAL",
                            securityProtocol: 0),
                    ])
            ])
        #expect(try await broker.send(update, version: 7, listener: "INTERNAL").errorCode == 0)
        let leaderAndIsr = LeaderAndIsrRequest(
            controllerId: 100, controllerEpoch: 1, brokerEpoch: -1,
            topicStates: [
                .init(
                    topicName: "d",
                    partitionStates: [
                        .init(
                            partitionIndex: 0, controllerEpoch: 1, leader: 1, leaderEpoch: 0, isr: [1],
                            partitionEpoch: 0,
                            replicas: [1], isNew: true)
                    ])
            ],
            liveLeaders: [.init(brokerId: 1, hostName: "127.0.0.1", port: Int32(broker.port("INTERNAL")))])
        let response = try await broker.send(leaderAndIsr, version: 4, listener: "INTERNAL")
        #expect(response.errorCode == 0)
        #expect(response.partitionErrors.allSatisfy { $0.errorCode == 0 })
    }

    static func batch(_ values: [String], key: String = "k") throws -> ByteBuffer {
        var builder = RecordBatchBuilder()
        for value in values {
            builder.append(
                key: ByteBuffer(string: key), value: ByteBuffer(string: value),
                headers: [RecordHeader(key: "h", value: ByteBuffer(string: "x"))], timestamp: TimestampMs(1_000))
        }
        return try builder.build()
    }

    static func produce(_ records: ByteBuffer, partition: Int32 = 0, acks: Int16 = 1) -> ProduceRequest {
        ProduceRequest(
            acks: acks, timeoutMs: 5_000,
            topicData: [.init(name: "d", partitionData: [.init(index: partition, records: records)])])
    }

    static func latestOffset(_ broker: BrokerHarness) async throws -> Int64 {
        let response = try await broker.send(
            ListOffsetsRequest(
                replicaId: -1, topics: [.init(name: "d", partitions: [.init(partitionIndex: 0, timestamp: -1)])]),
            version: 1)
        return response.topics[0].partitions[0].offset
    }

    @Test func producedRecordsComeBackFromFetch() async throws {
        try await BrokerHarness.with { broker in
            try await Self.makeLeader(broker)
            let first = try await broker.send(Self.produce(try Self.batch(["a", "b", "c"])), version: 7)
            #expect(first.responses[0].partitionResponses[0].errorCode == 0)
            #expect(first.responses[0].partitionResponses[0].baseOffset == 0)
            let second = try await broker.send(Self.produce(try Self.batch(["d", "e", "f"])), version: 3)
            #expect(second.responses[0].partitionResponses[0].baseOffset == 3)
            #expect(try await Self.latestOffset(broker) == 6)

            for version: Int16 in [4, 11] {
                let fetch = FetchRequest(
                    replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0,
                    topics: [
                        .init(topic: "d", partitions: [.init(partition: 0, fetchOffset: 1, partitionMaxBytes: 1 << 20)])
                    ])
                let response = try await broker.send(fetch, version: version)
                let partition = response.responses[0].partitions[0]
                #expect(partition.errorCode == 0 && partition.highWatermark == 6)
                if version == 11 {
                    #expect(partition.preferredReadReplica == -1 && partition.abortedTransactions == [])
                }
                guard partition.errorCode == 0 else { continue }
                let batches = try RecordBatchSplitter.split(
                    try #require(partition.records), trailingPartialBatch: .ignore)
                let values = try batches.flatMap { try $0.decodeRecords() }.map { String(buffer: $0.value!) }
                // A fetch inside a batch returns the whole batch (trap 4); the client skips offset 0 itself.
                #expect(values == ["a", "b", "c", "d", "e", "f"])
                let record = try batches[0].decodeRecords()[1]
                #expect(record.offset == Offset(1) && record.headers.first?.key == "h")
            }
        }
    }

    @Test func corruptBatchesAndUnknownPartitionsAreRefused() async throws {
        try await BrokerHarness.with { broker in
            try await Self.makeLeader(broker)
            var corrupt = try Self.batch(["a"])
            let last = corrupt.writerIndex - 1
            corrupt.setInteger(corrupt.getInteger(at: last, as: UInt8.self)! ^ 0xFF, at: last)
            let refused = try await broker.send(Self.produce(corrupt), version: 8)
            #expect(refused.responses[0].partitionResponses[0].errorCode == ErrorCode.corruptMessage.rawValue)
            #expect(try await Self.latestOffset(broker) == 0)
            let unknown = try await broker.send(Self.produce(try Self.batch(["a"]), partition: 7), version: 8)
            #expect(unknown.responses[0].partitionResponses[0].errorCode == ErrorCode.unknownTopicOrPartition.rawValue)
            let badAcks = try await broker.send(Self.produce(try Self.batch(["a"]), acks: 2), version: 8)
            #expect(badAcks.responses[0].partitionResponses[0].errorCode == ErrorCode.invalidRequiredAcks.rawValue)
        }
    }

    /// acks=0 gets no response; when it fails the connection is closed so the client notices.
    @Test func acksZeroFailureClosesTheConnection() async throws {
        try await BrokerHarness.with { broker in
            try await Self.makeLeader(broker)
            let connection = try await broker.connect()
            var body = ByteBuffer()
            Self.produce(try Self.batch(["a"]), partition: 7, acks: 0).write(to: &body, version: 7)
            let frame = body
            _ = try await connection.send(apiKey: 0, apiVersion: 7, expectsResponse: false) {
                $0.writeImmutableBuffer(frame)
            }.get()
            try await connection.closeFuture.get()
            let ok = try await broker.connect()
            var good = ByteBuffer()
            Self.produce(try Self.batch(["a"]), acks: 0).write(to: &good, version: 7)
            let goodFrame = good
            _ = try await ok.send(apiKey: 0, apiVersion: 7, expectsResponse: false) {
                $0.writeImmutableBuffer(goodFrame)
            }.get()
            let metadata = try await broker.send(MetadataRequest(topics: nil), version: 1, on: ok)
            #expect(metadata.topics.count == 1)
            #expect(ok.isActive)
            ok.close()
            #expect(try await Self.latestOffset(broker) == 1)
        }
    }
}
