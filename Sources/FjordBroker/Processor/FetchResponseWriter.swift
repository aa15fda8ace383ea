import FjordNetwork
import KafkaWire
import NIOCore

/// Encodes a Fetch response (versions 4–11, the non-flexible ones Fjord serves) with each partition's records as a
/// file part, so plaintext connections send them with `sendfile` and never copy them through user space.
///
/// Layout written (all big-endian; response header v0):
///
///     correlation_id int32
///     throttle_time_ms int32                  (v1+)
///     error_code int16, session_id int32      (v7+)
///     [topic string, [partition_index int32, error_code int16, high_watermark int64, last_stable_offset int64,
///       log_start_offset int64 (v5+), aborted_transactions [producer_id int64, first_offset int64] (empty array),
///       preferred_read_replica int32 (v11+, always -1), records int32 length + bytes]]
///
/// The bytes between two file parts are one byte part; the server adds the size prefix from the parts' total.
/// Ownership: each file part's handle is the writer's caller's duplicate, handed to the server, which closes it
/// after writing (or ``KafkaResponse/releaseFiles()`` when the response is dropped).
struct FetchResponseWriter {
    struct Partition {
        var index: Int32
        var errorCode: Int16
        var highWatermark: Int64
        var lastStableOffset: Int64
        var logStartOffset: Int64
        /// The records' bytes in a segment file, nil for none.
        var records: FileRegion?
    }

    struct Topic {
        var name: String
        var partitions: [Partition]
    }

    static let supportedVersions: ClosedRange<Int16> = 4...11

    static func write(
        correlationId: Int32, version: Int16, errorCode: Int16 = 0, sessionId: Int32 = 0, topics: [Topic],
        allocator: ByteBufferAllocator
    ) -> KafkaResponse {
        precondition(supportedVersions.contains(version), "FetchResponseWriter writes v4-v11, not v\(version)")
        var parts: [KafkaResponse.Part] = []
        var buffer = allocator.buffer(capacity: 64 + topics.count * 64)
        buffer.writeInteger(correlationId)
        buffer.writeInteger(Int32(0))  // throttle_time_ms
        if version >= 7 {
            buffer.writeInteger(errorCode)
            buffer.writeInteger(sessionId)
        }
        buffer.writeInteger(Int32(topics.count))
        for topic in topics {
            let name = Array(topic.name.utf8)
            buffer.writeInteger(Int16(name.count))
            buffer.writeBytes(name)
            buffer.writeInteger(Int32(topic.partitions.count))
            for partition in topic.partitions {
                buffer.writeInteger(partition.index)
                buffer.writeInteger(partition.errorCode)
                buffer.writeInteger(partition.highWatermark)
                buffer.writeInteger(partition.lastStableOffset)
                if version >= 5 { buffer.writeInteger(partition.logStartOffset) }
                buffer.writeInteger(Int32(0))  // aborted_transactions: empty, never null (trap 4)
                if version >= 11 { buffer.writeInteger(Int32(-1)) }  // preferred_read_replica
                if let region = partition.records, region.readableBytes > 0 {
                    buffer.writeInteger(Int32(region.readableBytes))
                    parts.append(.bytes(buffer))
                    parts.append(.file(region))
                    buffer = allocator.buffer(capacity: 256)
                } else {
                    buffer.writeInteger(Int32(0))
                }
            }
        }
        if buffer.readableBytes > 0 { parts.append(.bytes(buffer)) }
        return KafkaResponse(parts: parts)
    }
}
