import FjordModel
import NIOCore

/// One record of a record batch (magic v2), decoded.
///
/// On the wire a record is:
///
///     length          varint   bytes after this field
///     attributes      int8     unused, 0
///     timestampDelta  varlong  from the batch's baseTimestamp
///     offsetDelta     varint   from the batch's baseOffset
///     keyLength       varint   -1 for a null key
///     key             bytes
///     valueLength     varint   -1 for a null value
///     value           bytes
///     headerCount     varint
///     headers         [RecordHeader]
///
/// `key`, `value` and header values are slices of the batch's buffer (or of its decompressed records section): they
/// share storage with it and copy nothing.
public struct Record: Hashable, Sendable {
    /// The record's offset: the batch's base offset plus the record's offset delta.
    public var offset: Offset
    /// CreateTime (batch base timestamp plus the record's delta), or the batch's max timestamp when the batch uses
    /// LogAppendTime.
    public var timestamp: TimestampMs
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]

    public init(
        offset: Offset, timestamp: TimestampMs, key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader] = []
    ) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// A record header: a UTF-8 key (never null; Kafka allows duplicates) and a nullable value.
///
/// On the wire: `keyLength varint, key, valueLength varint (-1 null), value`.
public struct RecordHeader: Hashable, Sendable {
    public var key: String
    public var value: ByteBuffer?

    public init(key: String, value: ByteBuffer?) {
        self.key = key
        self.value = value
    }
}
