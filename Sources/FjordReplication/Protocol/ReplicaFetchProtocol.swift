import FjordModel
import KafkaProtocol
import KafkaWire
import NIOCore

/// Fjord's leader ↔ follower fetch protocol (docs/replication-protocol.md): a Kafka-framed request/response pair
/// under a Fjord-private API key, sent by followers on the inter-broker listener.
///
/// Frames: `size int32`, then a request header v1 (`api_key int16 = 10000, api_version int16, correlation_id int32,
/// client_id nullable string`), then the body of ``ReplicaFetchRequest``; the response is `size int32`,
/// `correlation_id int32` (response header v0), then the body of ``ReplicaFetchResponse``. All integers big-endian;
/// strings are int16-length UTF-8; arrays are int32-count.
public enum ReplicaFetchProtocol {
    /// Outside Kafka's range (Kafka 3.9's highest key is in the 70s), so no Kafka client or broker can mistake it.
    public static let apiKey: Int16 = 10_000
    /// The versions this build reads and writes.
    public static let supportedVersions: ClosedRange<Int16> = 0...0
    public static let currentVersion: Int16 = 0

    /// Bounds the decoders apply to counts and lengths, on top of "never more than the bytes remaining".
    public struct Limits: Hashable, Sendable {
        public var maxPartitions: Int
        public var maxTopicNameBytes: Int
        public var maxRecordsBytes: Int

        public init(maxPartitions: Int = 100_000, maxTopicNameBytes: Int = TopicName.maxLength, maxRecordsBytes: Int) {
            self.maxPartitions = maxPartitions
            self.maxTopicNameBytes = maxTopicNameBytes
            self.maxRecordsBytes = maxRecordsBytes
        }
    }
}

/// A diverging epoch in a fetch response: the follower's log diverges from the leader's after `endOffset` of
/// `epoch` (the leader's end offset for the largest epoch at or below the follower's last fetched epoch, KIP-595).
public struct DivergingEpoch: Hashable, Sendable, CustomStringConvertible {
    public var epoch: LeaderEpoch
    public var endOffset: Offset

    public init(epoch: LeaderEpoch, endOffset: Offset) {
        self.epoch = epoch
        self.endOffset = endOffset
    }

    public var description: String { "(epoch \(epoch), end \(endOffset))" }
}

extension ByteBuffer {
    /// An int16-length string of at most `maxBytes`, checked against the bytes remaining.
    mutating func readReplicaFetchString(maxBytes: Int, what: String) throws(KafkaWireError) -> String {
        let length = Int(try readInt16())
        guard length >= 0, length <= maxBytes else {
            throw .lengthOutOfRange(what, length: length, limit: maxBytes)
        }
        guard readableBytes >= length else { throw .truncated(what, needed: length, remaining: readableBytes) }
        guard let string = readString(length: length) else { throw .invalidUTF8(length: length) }
        return string
    }

    mutating func writeReplicaFetchString(_ string: String) {
        let utf8 = string.utf8
        writeInteger(Int16(utf8.count))
        writeBytes(utf8)
    }

    /// An int32 count, at least 0, at most `maxCount`, and at most the remaining bytes over `minimumElementBytes`.
    mutating func readReplicaFetchCount(maxCount: Int, minimumElementBytes: Int, what: String) throws(KafkaWireError)
        -> Int
    {
        let count = Int(try readInt32())
        let bound = min(maxCount, readableBytes / max(1, minimumElementBytes))
        guard count >= 0, count <= bound else { throw .lengthOutOfRange(what, length: count, limit: bound) }
        return count
    }
}
