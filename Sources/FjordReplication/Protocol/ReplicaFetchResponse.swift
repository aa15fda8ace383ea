import FjordModel
import KafkaProtocol
import KafkaWire
import NIOCore

/// The leader's answer to a ``ReplicaFetchRequest``. Body layout, version 0:
///
///     error_code                int16   request-level error (e.g. STALE_BROKER_EPOCH); partitions empty if set
///     topics                    int32 count, then per topic:
///       topic                   string
///       partitions              int32 count, then per partition:
///         partition             int32
///         error_code            int16
///         high_watermark        int64
///         log_start_offset      int64   the leader's
///         log_end_offset        int64   the leader's
///         diverging_epoch       int32   -1 when the follower's log does not diverge
///         diverging_end_offset  int64   -1 when the follower's log does not diverge
///         records_length        int32   bytes of whole record batches that follow (0 when none)
///         records               bytes   sent from the segment file (sendfile) on the leader
///
/// Partitions come back in request order, grouped by topic as in the request.
public struct ReplicaFetchResponse: Sendable {
    public struct PartitionData: Sendable {
        public var topicPartition: TopicPartition
        public var error: ErrorCode
        public var highWatermark: Offset
        public var logStartOffset: Offset
        public var logEndOffset: Offset
        public var divergingEpoch: DivergingEpoch?
        /// A slice of the response frame holding whole batches (no copy).
        public var records: ByteBuffer

        public init(
            topicPartition: TopicPartition, error: ErrorCode, highWatermark: Offset, logStartOffset: Offset,
            logEndOffset: Offset, divergingEpoch: DivergingEpoch? = nil, records: ByteBuffer = ByteBuffer()
        ) {
            self.topicPartition = topicPartition
            self.error = error
            self.highWatermark = highWatermark
            self.logStartOffset = logStartOffset
            self.logEndOffset = logEndOffset
            self.divergingEpoch = divergingEpoch
            self.records = records
        }
    }

    public var error: ErrorCode
    public var partitions: [PartitionData]

    public init(error: ErrorCode, partitions: [PartitionData]) {
        self.error = error
        self.partitions = partitions
    }

    /// Fixed bytes of one partition entry before its records.
    static let partitionHeaderBytes = 4 + 2 + 8 + 8 + 8 + 4 + 8 + 4

    /// Decodes a body of `version` (the frame after the correlation id). Record bytes are slices of `buffer`.
    public init(from buffer: inout ByteBuffer, version: Int16, limits: ReplicaFetchProtocol.Limits)
        throws(KafkaWireError)
    {
        guard ReplicaFetchProtocol.supportedVersions.contains(version) else {
            throw .unsupportedVersion(
                "ReplicaFetchResponse", version: version, valid: ReplicaFetchProtocol.supportedVersions)
        }
        error = ErrorCode(try buffer.readInt16())
        let topicCount = try buffer.readReplicaFetchCount(
            maxCount: limits.maxPartitions, minimumElementBytes: ReplicaFetchRequest.topicMinimumBytes,
            what: "replica fetch response topics")
        var partitions: [PartitionData] = []
        var recordsTotal = 0
        for _ in 0..<topicCount {
            let topic = TopicName(
                try buffer.readReplicaFetchString(maxBytes: limits.maxTopicNameBytes, what: "replica fetch topic"))
            let count = try buffer.readReplicaFetchCount(
                maxCount: limits.maxPartitions - partitions.count, minimumElementBytes: Self.partitionHeaderBytes,
                what: "replica fetch response partitions")
            for _ in 0..<count {
                let index = PartitionID(try buffer.readInt32())
                var data = PartitionData(
                    topicPartition: TopicPartition(topic, index), error: ErrorCode(try buffer.readInt16()),
                    highWatermark: Offset(try buffer.readInt64()), logStartOffset: Offset(try buffer.readInt64()),
                    logEndOffset: Offset(try buffer.readInt64()))
                let epoch = LeaderEpoch(try buffer.readInt32())
                let endOffset = Offset(try buffer.readInt64())
                if epoch != .none || endOffset != .none {
                    data.divergingEpoch = DivergingEpoch(epoch: epoch, endOffset: endOffset)
                }
                let length = Int(try buffer.readInt32())
                let bound = min(buffer.readableBytes, limits.maxRecordsBytes - recordsTotal)
                guard length >= 0, length <= bound else {
                    throw .lengthOutOfRange("replica fetch records", length: length, limit: bound)
                }
                data.records = buffer.readSlice(length: length)!
                recordsTotal += length
                partitions.append(data)
            }
        }
        self.partitions = partitions
    }
}

/// Where a partition's record bytes come from when the leader writes a response.
enum ReplicaFetchRecords: Sendable {
    case none
    /// Bytes in memory (tests, tools).
    case bytes(ByteBuffer)
    /// A file range sent with `sendfile`; the response owns the handle.
    case file(FileRegion)

    var byteCount: Int {
        switch self {
        case .none: 0
        case .bytes(let buffer): buffer.readableBytes
        case .file(let region): region.readableBytes
        }
    }
}

/// Writes a response as ``FjordNetwork/KafkaResponse`` parts: header fields in byte parts, record bytes as file
/// parts (zero copy) between them.
struct ReplicaFetchResponseWriter {
    struct Entry {
        var data: ReplicaFetchResponse.PartitionData
        var records: ReplicaFetchRecords
    }

    static func parts(
        correlationId: Int32, error: ErrorCode, entries: [Entry], allocator: ByteBufferAllocator
    ) -> [ResponsePart] {
        var parts: [ResponsePart] = []
        var current = allocator.buffer(capacity: 64 + entries.count * ReplicaFetchResponse.partitionHeaderBytes)
        current.writeInteger(correlationId)
        current.writeInteger(error.rawValue)
        let groups = ReplicaFetchRequest.groupedByTopic(entries) { $0.data.topicPartition.topic }
        current.writeInteger(Int32(groups.count))
        for (topic, members) in groups {
            current.writeReplicaFetchString(topic.rawValue)
            current.writeInteger(Int32(members.count))
            for entry in members {
                let d = entry.data
                current.writeInteger(d.topicPartition.partition.rawValue)
                current.writeInteger(d.error.rawValue)
                current.writeInteger(d.highWatermark.rawValue)
                current.writeInteger(d.logStartOffset.rawValue)
                current.writeInteger(d.logEndOffset.rawValue)
                current.writeInteger(d.divergingEpoch?.epoch.rawValue ?? -1)
                current.writeInteger(d.divergingEpoch?.endOffset.rawValue ?? -1)
                current.writeInteger(Int32(entry.records.byteCount))
                switch entry.records {
                case .none: break
                case .bytes(var bytes): current.writeBuffer(&bytes)
                case .file(let region):
                    parts.append(.bytes(current))
                    parts.append(.file(region))
                    current = allocator.buffer(capacity: 256)
                }
            }
        }
        if current.readableBytes > 0 { parts.append(.bytes(current)) }
        return parts
    }
}
