import FjordModel
import NIOCore

/// Decodes the records of one batch, one at a time, from its (decompressed) records section.
///
/// Nothing read from the input is trusted: each record's length is bounded by the bytes left, each field by the
/// record's length, a record must consume exactly its declared length, header counts are bounded by the bytes left,
/// and the batch must hold exactly `recordCount` records (fewer bytes → `.truncated`, bytes left over →
/// `.lengthOutOfRange`). Malformed input throws a ``KafkaWireError``; it never traps.
public struct RecordIterator: Sendable {
    /// The smallest encoded record: a 1-byte length, then attributes, timestamp delta, offset delta, key length,
    /// value length and header count of one byte each.
    public static let minRecordSizeBytes = 7

    private var remaining: ByteBuffer
    private let baseOffset: Offset
    private let baseTimestamp: TimestampMs
    /// Set for LogAppendTime batches: every record's timestamp.
    private let logAppendTime: TimestampMs?
    /// Records the batch header promises.
    public let recordCount: Int
    /// Records decoded so far.
    public private(set) var decodedCount = 0

    /// - Parameter records: the records section (after decompression), and nothing else.
    init(records: ByteBuffer, header: RecordBatchHeader) throws(KafkaWireError) {
        let count = Int(header.recordCount)
        guard count >= 0, count <= records.readableBytes / Self.minRecordSizeBytes else {
            throw .lengthOutOfRange(
                "record count of a \(records.readableBytes)-byte records section", length: count,
                limit: records.readableBytes / Self.minRecordSizeBytes)
        }
        self.remaining = records
        self.baseOffset = header.baseOffset
        self.baseTimestamp = header.baseTimestamp
        self.logAppendTime = header.attributes.isLogAppendTime ? header.maxTimestamp : nil
        self.recordCount = count
    }

    /// The next record, or `nil` after the last one.
    public mutating func next() throws(KafkaWireError) -> Record? {
        guard decodedCount < recordCount else {
            guard remaining.readableBytes == 0 else {
                throw KafkaWireError(
                    .lengthOutOfRange,
                    "record batch: \(remaining.readableBytes) bytes left after the \(recordCount) records it counts")
            }
            return nil
        }
        let record = try decodeRecord()
        decodedCount += 1
        return record
    }

    private mutating func decodeRecord() throws(KafkaWireError) -> Record {
        let length = Int(try remaining.readVarint())
        guard length >= 0, length <= remaining.readableBytes else {
            throw .lengthOutOfRange("record \(decodedCount) length", length: length, limit: remaining.readableBytes)
        }
        var body = remaining.readSlice(length: length)!
        guard body.readInteger(as: Int8.self) != nil else {
            throw .truncated("record \(decodedCount) attributes", needed: 1, remaining: 0)
        }
        let timestampDelta = try body.readVarlong()
        let offsetDelta = try body.readVarint()
        let key = try Self.readNullableBytes(&body, "record key")
        let value = try Self.readNullableBytes(&body, "record value")
        let headers = try Self.readHeaders(&body)
        guard body.readableBytes == 0 else {
            throw KafkaWireError(
                .lengthOutOfRange,
                "record \(decodedCount): \(body.readableBytes) bytes left inside its declared length \(length)")
        }
        return Record(
            offset: Offset(baseOffset.rawValue &+ Int64(offsetDelta)),
            timestamp: logAppendTime ?? TimestampMs(baseTimestamp.rawValue &+ timestampDelta),
            key: key, value: value, headers: headers)
    }

    private static func readNullableBytes(_ body: inout ByteBuffer, _ what: String) throws(KafkaWireError)
        -> ByteBuffer?
    {
        let length = Int(try body.readVarint())
        if length == -1 { return nil }
        guard length >= 0, length <= body.readableBytes else {
            throw .lengthOutOfRange(what, length: length, limit: body.readableBytes)
        }
        return body.readSlice(length: length)!
    }

    private static func readHeaders(_ body: inout ByteBuffer) throws(KafkaWireError) -> [RecordHeader] {
        let count = Int(try body.readVarint())
        // Each header takes at least two bytes (its key length and its value length).
        guard count >= 0, count <= body.readableBytes / 2 else {
            throw .lengthOutOfRange("record header count", length: count, limit: body.readableBytes / 2)
        }
        guard count > 0 else { return [] }
        var headers: [RecordHeader] = []
        headers.reserveCapacity(count)
        for _ in 0..<count {
            let keyLength = Int(try body.readVarint())
            guard keyLength >= 0, keyLength <= body.readableBytes else {
                throw .lengthOutOfRange("record header key", length: keyLength, limit: body.readableBytes)
            }
            let key = body.withUnsafeReadableBytes { raw in
                String(validating: UnsafeRawBufferPointer(rebasing: raw[0..<keyLength]), as: UTF8.self)
            }
            guard let key else { throw .invalidUTF8(length: keyLength) }
            body.moveReaderIndex(forwardBy: keyLength)
            let value = try readNullableBytes(&body, "record header value")
            headers.append(RecordHeader(key: key, value: value))
        }
        return headers
    }
}
