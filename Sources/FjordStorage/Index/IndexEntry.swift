import FjordModel

/// One entry of a segment's offset index (`.index`): 8 bytes on disk, big-endian, as in Kafka.
///
///     0  relativeOffset  int32   last offset of the indexed batch, minus the segment's base offset
///     4  position        int32   byte position of that batch in the segment's `.log`
///
/// An entry says: the batch starting at `position` ends at offset `base + relativeOffset`, so every offset above
/// that lies at or after `position`. Entries are strictly increasing in both fields.
struct OffsetIndexEntry: Hashable, Sendable {
    static let sizeBytes = 8
    var relativeOffset: UInt32
    var position: UInt32

    init(relativeOffset: UInt32, position: UInt32) {
        self.relativeOffset = relativeOffset
        self.position = position
    }

    init(decoding bytes: UnsafeRawBufferPointer, at index: Int) {
        relativeOffset = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self))
        position = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: index + 4, as: UInt32.self))
    }

    func encode(into bytes: UnsafeMutableRawBufferPointer, at index: Int) {
        bytes.storeBytes(of: relativeOffset.bigEndian, toByteOffset: index, as: UInt32.self)
        bytes.storeBytes(of: position.bigEndian, toByteOffset: index + 4, as: UInt32.self)
    }
}

/// One entry of a segment's time index (`.timeindex`): 12 bytes on disk, big-endian, as in Kafka.
///
///     0  timestamp       int64   the largest batch max timestamp seen in the segment up to this point
///     8  relativeOffset  int32   last offset of the first batch that reached that timestamp, minus the base offset
///
/// Entries are strictly increasing in timestamp and non-decreasing in offset. Every batch before the one holding
/// `relativeOffset` has a max timestamp below `timestamp`: a search for "first batch with timestamp ≥ t" may start
/// at the batch of the last entry whose timestamp is ≤ t.
struct TimeIndexEntry: Hashable, Sendable {
    static let sizeBytes = 12
    var timestamp: TimestampMs
    var relativeOffset: UInt32

    init(timestamp: TimestampMs, relativeOffset: UInt32) {
        self.timestamp = timestamp
        self.relativeOffset = relativeOffset
    }

    init(decoding bytes: UnsafeRawBufferPointer, at index: Int) {
        timestamp = TimestampMs(Int64(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: Int64.self)))
        relativeOffset = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: index + 8, as: UInt32.self))
    }

    func encode(into bytes: UnsafeMutableRawBufferPointer, at index: Int) {
        bytes.storeBytes(of: timestamp.rawValue.bigEndian, toByteOffset: index, as: Int64.self)
        bytes.storeBytes(of: relativeOffset.bigEndian, toByteOffset: index + 8, as: UInt32.self)
    }
}

/// What the index code needs of both entry kinds: a fixed on-disk size and a big-endian codec.
protocol IndexEntryCodable: Hashable, Sendable {
    static var sizeBytes: Int { get }
    init(decoding bytes: UnsafeRawBufferPointer, at index: Int)
    func encode(into bytes: UnsafeMutableRawBufferPointer, at index: Int)
}

extension OffsetIndexEntry: IndexEntryCodable {}
extension TimeIndexEntry: IndexEntryCodable {}
