import FjordModel
import KafkaWire
import NIOCore

/// Builds valid record batches (magic v2) for storage tests, independent of KafkaWire's record builder: a header,
/// uncompressed records with zig-zag varints, and a correct CRC-32C. Storage reads only the header.
enum TestBatch {
    static func make(
        baseOffset: Int64 = 0, records: Int = 1, valueBytes: Int = 16, baseTimestamp: Int64 = 1_000,
        timestampStep: Int64 = 1, maxTimestamp: Int64? = nil, leaderEpoch: Int32 = 0, lastOffsetDelta: Int32? = nil,
        recordCountField: Int32? = nil, fill: UInt8 = 0x61
    ) -> ByteBuffer {
        precondition(records >= 0)
        var body = ByteBufferAllocator().buffer(capacity: records * (valueBytes + 16))
        for i in 0..<records {
            var record = ByteBufferAllocator().buffer(capacity: valueBytes + 16)
            record.writeInteger(Int8(0))  // attributes
            writeVarint(&record, Int64(i) * timestampStep)  // timestamp delta
            writeVarint(&record, Int64(i))  // offset delta
            writeVarint(&record, -1)  // null key
            writeVarint(&record, Int64(valueBytes))
            record.writeRepeatingByte(fill, count: valueBytes)
            writeVarint(&record, 0)  // no headers
            writeVarint(&body, Int64(record.readableBytes))
            body.writeBuffer(&record)
        }
        let lastDelta = lastOffsetDelta ?? Int32(max(0, records - 1))
        let maxTs = maxTimestamp ?? (baseTimestamp + Int64(max(0, records - 1)) * timestampStep)
        var batch = ByteBufferAllocator().buffer(capacity: RecordBatchHeader.size + body.readableBytes)
        batch.writeInteger(baseOffset)
        batch.writeInteger(Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead + body.readableBytes))
        batch.writeInteger(leaderEpoch)
        batch.writeInteger(Int8(2))
        batch.writeInteger(UInt32(0))  // CRC, set below
        batch.writeInteger(Int16(0))  // attributes
        batch.writeInteger(lastDelta)
        batch.writeInteger(baseTimestamp)
        batch.writeInteger(maxTs)
        batch.writeInteger(Int64(-1))  // producer id
        batch.writeInteger(Int16(-1))  // producer epoch
        batch.writeInteger(Int32(-1))  // base sequence
        batch.writeInteger(recordCountField ?? Int32(records))
        batch.writeBuffer(&body)
        fixCRC(&batch, at: 0)
        return batch
    }

    /// Recomputes the CRC of the batch at `index`.
    static func fixCRC(_ buffer: inout ByteBuffer, at index: Int) {
        let header = try! RecordBatchHeader.peek(buffer, at: index)
        let crc = buffer.withUnsafeReadableBytes { raw in
            CRC32C.checksum(
                UnsafeRawBufferPointer(
                    rebasing: raw[(index - buffer.readerIndex + 21)..<(index - buffer.readerIndex + header.totalSize)]))
        }
        buffer.setInteger(crc, at: index + RecordBatchHeader.Position.crc)
    }

    static func writeVarint(_ buffer: inout ByteBuffer, _ value: Int64) {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while v >= 0x80 {
            buffer.writeInteger(UInt8(v & 0x7F | 0x80))
            v >>= 7
        }
        buffer.writeInteger(UInt8(v))
    }

    /// Splits a buffer of batches into their headers.
    static func headers(_ buffer: ByteBuffer) throws -> [RecordBatchHeader] {
        var headers: [RecordBatchHeader] = []
        var index = buffer.readerIndex
        while index < buffer.writerIndex {
            let header = try RecordBatchHeader.validate(buffer, at: index)
            headers.append(header)
            index += header.totalSize
        }
        return headers
    }
}
