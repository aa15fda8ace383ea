import FjordModel
import KafkaProtocol
import KafkaWire
import NIOCore
import Testing

@testable import FjordReplication

@Suite struct ReplicaFetchProtocolTests {
    let limits = ReplicaFetchProtocol.Limits(maxRecordsBytes: 1 << 20)

    func request() -> ReplicaFetchRequest {
        ReplicaFetchRequest(
            replicaID: BrokerID(2), brokerEpoch: BrokerEpoch(0x1_0000_0042), maxWaitMs: 500, minBytes: 1,
            maxBytes: 10 << 20,
            partitions: [
                .init(
                    topicPartition: TopicPartition(topic: "a", partition: 0), currentLeaderEpoch: LeaderEpoch(3),
                    fetchOffset: Offset(100), lastFetchedEpoch: LeaderEpoch(2), logStartOffset: Offset(5),
                    partitionMaxBytes: 1 << 20),
                .init(
                    topicPartition: TopicPartition(topic: "b", partition: 4), currentLeaderEpoch: LeaderEpoch(1),
                    fetchOffset: .zero, lastFetchedEpoch: .none, logStartOffset: .zero, partitionMaxBytes: 10),
                .init(
                    topicPartition: TopicPartition(topic: "a", partition: 1), currentLeaderEpoch: LeaderEpoch(3),
                    fetchOffset: Offset(7), lastFetchedEpoch: LeaderEpoch(3), logStartOffset: .zero,
                    partitionMaxBytes: 10),
            ])
    }

    @Test func requestRoundTripsGroupedByTopic() throws {
        let original = request()
        var buffer = ByteBuffer()
        original.write(to: &buffer, version: 0)
        let decoded = try ReplicaFetchRequest(from: &buffer, version: 0, limits: limits)
        #expect(buffer.readableBytes == 0)
        #expect(decoded.replicaID == original.replicaID && decoded.brokerEpoch == original.brokerEpoch)
        // Topics in order of first appearance, partitions grouped under them.
        #expect(
            decoded.partitions.map(\.topicPartition)
                == [original.partitions[0], original.partitions[2], original.partitions[1]].map(\.topicPartition))
        #expect(decoded.partitions[0] == original.partitions[0])
        #expect(decoded.partitions[2] == original.partitions[1])
    }

    @Test func responseRoundTripsWithRecordsAndDivergingEpoch() throws {
        var records = ByteBuffer()
        records.writeBytes([1, 2, 3, 4, 5])
        let entries: [ReplicaFetchResponseWriter.Entry] = [
            .init(
                data: .init(
                    topicPartition: TopicPartition(topic: "t", partition: 0), error: .noError,
                    highWatermark: Offset(10), logStartOffset: .zero, logEndOffset: Offset(12)),
                records: .bytes(records)),
            .init(
                data: .init(
                    topicPartition: TopicPartition(topic: "t", partition: 1), error: .noError,
                    highWatermark: Offset(3), logStartOffset: .zero, logEndOffset: Offset(9),
                    divergingEpoch: DivergingEpoch(epoch: LeaderEpoch(2), endOffset: Offset(7))),
                records: .none),
            .init(
                data: .init(
                    topicPartition: TopicPartition(topic: "u", partition: 0), error: .fencedLeaderEpoch,
                    highWatermark: .none, logStartOffset: .none, logEndOffset: .none),
                records: .none),
        ]
        let parts = ReplicaFetchResponseWriter.parts(
            correlationId: 77, error: .noError, entries: entries, allocator: ByteBufferAllocator())
        var frame = ByteBuffer()
        for case .bytes(var part) in parts { frame.writeBuffer(&part) }
        #expect(frame.readInteger(as: Int32.self) == 77)
        let response = try ReplicaFetchResponse(from: &frame, version: 0, limits: limits)
        #expect(response.error == .noError && response.partitions.count == 3)
        #expect(response.partitions[0].records == records)
        #expect(response.partitions[0].divergingEpoch == nil)
        #expect(response.partitions[1].divergingEpoch == DivergingEpoch(epoch: LeaderEpoch(2), endOffset: Offset(7)))
        #expect(response.partitions[2].error == .fencedLeaderEpoch)
    }

    @Test func decodersRejectEveryTruncationAndLyingCounts() {
        var full = ByteBuffer()
        request().write(to: &full, version: 0)
        for length in 0..<full.readableBytes {
            var cut = full.getSlice(at: 0, length: length)!
            #expect(throws: KafkaWireError.self) { try ReplicaFetchRequest(from: &cut, version: 0, limits: limits) }
        }
        // A partition count far above what the bytes can hold.
        var lying = ByteBuffer()
        lying.writeInteger(Int32(1))
        lying.writeInteger(Int64(1))
        lying.writeInteger(Int32(0))
        lying.writeInteger(Int32(0))
        lying.writeInteger(Int32(0))
        lying.writeInteger(Int32(1_000_000_000))
        #expect(throws: KafkaWireError.self) { try ReplicaFetchRequest(from: &lying, version: 0, limits: limits) }
        // Records longer than the limit.
        var response = ByteBuffer()
        response.writeInteger(Int16(0))
        response.writeInteger(Int32(1))
        response.writeInteger(Int16(1))
        response.writeString("t")
        response.writeInteger(Int32(1))
        response.writeInteger(Int32(0))
        response.writeInteger(Int16(0))
        for _ in 0..<3 { response.writeInteger(Int64(0)) }
        response.writeInteger(Int32(-1))
        response.writeInteger(Int64(-1))
        response.writeInteger(Int32(100))
        response.writeBytes([UInt8](repeating: 0, count: 100))
        var small = response
        #expect(throws: KafkaWireError.self) {
            try ReplicaFetchResponse(from: &small, version: 0, limits: .init(maxRecordsBytes: 99))
        }
        #expect(throws: KafkaWireError.self) { try ReplicaFetchRequest(from: &response, version: 1, limits: limits) }
    }
}
