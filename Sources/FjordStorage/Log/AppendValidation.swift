import FjordModel
import KafkaWire
import NIOCore

/// The checks an append makes before touching the log: the buffer is a sequence of whole, valid v2 batches.
/// Header-level only; records are never parsed (producer sequence and record checks belong to the broker).
enum AppendValidation {
    struct Batch: Sendable {
        /// Position of the batch relative to the buffer's reader index.
        var position: Int
        var header: RecordBatchHeader
    }

    /// Splits `records` into batches, checking each one's header and CRC-32C.
    ///
    /// - Parameters:
    ///   - maxBatchBytes: `max.message.bytes` for producer appends; `nil` for replication.
    ///   - fromProducer: also require what Kafka requires of a producer's batch: at least one record and an offset
    ///     range matching the record count.
    static func batches(in records: ByteBuffer, maxBatchBytes: Int?, fromProducer: Bool) throws(LogError) -> [Batch] {
        var batches: [Batch] = []
        var index = records.readerIndex
        while index < records.writerIndex {
            let remaining = records.writerIndex - index
            let header: RecordBatchHeader
            do {
                let peeked = try RecordBatchHeader.peek(records, at: index)
                if let maxBatchBytes, peeked.totalSize > maxBatchBytes {
                    throw LogError(
                        .recordTooLarge,
                        "batch at \(index - records.readerIndex) is \(peeked.totalSize) bytes, "
                            + "more than max.message.bytes \(maxBatchBytes)")
                }
                header = try RecordBatchHeader.validate(records, at: index, maxBatchSize: remaining)
            } catch let error as LogError {
                throw error
            } catch let error as KafkaWireError {
                throw LogError.corrupt(error)
            } catch {
                throw LogError(.corruptRecord, "\(error)")
            }
            if fromProducer {
                guard header.recordCount > 0, Int64(header.lastOffsetDelta) + 1 == Int64(header.recordCount) else {
                    throw LogError(
                        .invalidRecord,
                        "batch with \(header.recordCount) records and last offset delta \(header.lastOffsetDelta)")
                }
            }
            batches.append(Batch(position: index - records.readerIndex, header: header))
            index += header.totalSize
        }
        return batches
    }

    /// Stamps `LogAppendTime` on a batch: sets attribute bit 3 and the max timestamp, then recomputes the CRC
    /// (both fields are inside the CRC'd region). One pass over the batch's bytes, no record parsing.
    static func stampLogAppendTime(_ records: inout ByteBuffer, batch: Batch, time: TimestampMs) {
        let start = records.readerIndex + batch.position
        let attributes = batch.header.attributes.rawValue | 0x8
        records.setInteger(attributes, at: start + RecordBatchHeader.Position.attributes)
        records.setInteger(time.rawValue, at: start + RecordBatchHeader.Position.maxTimestamp)
        let crc = records.withUnsafeReadableBytes { raw in
            CRC32C.checksum(
                UnsafeRawBufferPointer(
                    rebasing: raw[
                        (batch.position + RecordBatchHeader.Position.attributes)..<(batch.position
                            + batch.header.totalSize)]))
        }
        records.setInteger(crc, at: start + RecordBatchHeader.Position.crc)
    }
}
