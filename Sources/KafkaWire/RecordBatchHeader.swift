import FjordModel
import NIOCore

/// The fixed 61-byte header of a record batch, magic v2, as it travels on the wire and lies in segment files.
///
/// Layout (big-endian), with byte positions:
///
///     0  baseOffset            int64   patched by the leader on append (outside the CRC)
///     8  batchLength           int32   bytes after this field: total size - 12
///    12  partitionLeaderEpoch  int32   patched by the leader on append (outside the CRC)
///    16  magic                 int8    2
///    17  crc                   uint32  CRC-32C of bytes 21..<end
///    21  attributes            int16   bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control
///    23  lastOffsetDelta       int32
///    27  baseTimestamp         int64
///    35  maxTimestamp          int64
///    43  producerId            int64
///    51  producerEpoch         int16
///    53  baseSequence          int32
///    57  recordCount           int32
///    61  records…
///
/// Only `baseOffset` and `partitionLeaderEpoch` may change after a producer wrote the batch; both lie before the
/// CRC'd region, so patching them never invalidates the checksum.
public struct RecordBatchHeader: Hashable, Sendable {
    public static let size = 61
    /// Bytes before `batchLength`'s count starts (baseOffset + batchLength).
    public static let logOverhead = 12
    public static let currentMagic: Int8 = 2

    public enum Position {
        public static let baseOffset = 0
        public static let batchLength = 8
        public static let partitionLeaderEpoch = 12
        public static let magic = 16
        public static let crc = 17
        public static let attributes = 21
        public static let lastOffsetDelta = 23
        public static let baseTimestamp = 27
        public static let maxTimestamp = 35
        public static let producerId = 43
        public static let producerEpoch = 51
        public static let baseSequence = 53
        public static let recordCount = 57
    }

    public var baseOffset: Offset
    public var batchLength: Int32
    public var partitionLeaderEpoch: LeaderEpoch
    public var magic: Int8
    public var crc: UInt32
    public var attributes: RecordBatchAttributes
    public var lastOffsetDelta: Int32
    public var baseTimestamp: TimestampMs
    public var maxTimestamp: TimestampMs
    public var producerId: ProducerID
    public var producerEpoch: ProducerEpoch
    public var baseSequence: Int32
    public var recordCount: Int32

    public init(
        baseOffset: Offset, batchLength: Int32, partitionLeaderEpoch: LeaderEpoch, magic: Int8 = 2, crc: UInt32,
        attributes: RecordBatchAttributes, lastOffsetDelta: Int32, baseTimestamp: TimestampMs,
        maxTimestamp: TimestampMs, producerId: ProducerID, producerEpoch: ProducerEpoch, baseSequence: Int32,
        recordCount: Int32
    ) {
        self.baseOffset = baseOffset
        self.batchLength = batchLength
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.magic = magic
        self.crc = crc
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.recordCount = recordCount
    }

    /// The batch's total size in bytes, header included.
    @inlinable public var totalSize: Int { Int(batchLength) + Self.logOverhead }
    /// The offset of the batch's last record.
    @inlinable public var lastOffset: Offset { baseOffset + Int64(lastOffsetDelta) }
    /// The offset just past the batch: where the next batch starts.
    @inlinable public var nextOffset: Offset { lastOffset + 1 }
    /// The producer sequence of the batch's last record (sequences wrap at Int32.max).
    public var lastSequence: Int32 {
        baseSequence < 0 ? -1 : Int32(truncatingIfNeeded: (Int64(baseSequence) + Int64(lastOffsetDelta)) % (1 << 31))
    }

    /// Reads the header at `index` of `buffer` without moving its reader index. Checks only what the header itself
    /// says (magic, a batch length in range, counts not negative), not the CRC: see ``validate(_:at:maxBatchSize:)``.
    ///
    /// - Throws: ``KafkaWireError`` `.truncated` when fewer than 61 bytes remain, `.invalidValue` for a magic other
    ///   than 2, `.lengthOutOfRange` for a batch length below the header size or above `maxBatchSize`.
    public static func peek(_ buffer: ByteBuffer, at index: Int, maxBatchSize: Int = Int(Int32.max))
        throws(KafkaWireError) -> RecordBatchHeader
    {
        let available = buffer.writerIndex - index
        guard available >= size else {
            throw .truncated("record batch header", needed: size, remaining: max(0, available))
        }
        let u = { (p: Int) -> Int64 in buffer.getInteger(at: index + p, as: Int64.self)! }
        let i32 = { (p: Int) -> Int32 in buffer.getInteger(at: index + p, as: Int32.self)! }
        let i16 = { (p: Int) -> Int16 in buffer.getInteger(at: index + p, as: Int16.self)! }
        let magic = buffer.getInteger(at: index + Position.magic, as: Int8.self)!
        guard magic == currentMagic else {
            throw KafkaWireError(.invalidValue, "record batch magic \(magic), only magic 2 is supported")
        }
        let batchLength = i32(Position.batchLength)
        let minLength = size - logOverhead
        guard batchLength >= minLength, Int(batchLength) + logOverhead <= maxBatchSize else {
            throw .lengthOutOfRange("record batch length", length: Int(batchLength), limit: maxBatchSize - logOverhead)
        }
        let header = RecordBatchHeader(
            baseOffset: Offset(u(Position.baseOffset)),
            batchLength: batchLength,
            partitionLeaderEpoch: LeaderEpoch(i32(Position.partitionLeaderEpoch)),
            magic: magic,
            crc: buffer.getInteger(at: index + Position.crc, as: UInt32.self)!,
            attributes: RecordBatchAttributes(rawValue: i16(Position.attributes)),
            lastOffsetDelta: i32(Position.lastOffsetDelta),
            baseTimestamp: TimestampMs(u(Position.baseTimestamp)),
            maxTimestamp: TimestampMs(u(Position.maxTimestamp)),
            producerId: ProducerID(u(Position.producerId)),
            producerEpoch: ProducerEpoch(i16(Position.producerEpoch)),
            baseSequence: i32(Position.baseSequence),
            recordCount: i32(Position.recordCount)
        )
        guard header.lastOffsetDelta >= 0, header.recordCount >= 0 else {
            throw KafkaWireError(
                .invalidValue,
                "record batch lastOffsetDelta \(header.lastOffsetDelta) / recordCount \(header.recordCount) negative")
        }
        return header
    }

    /// Reads and fully checks the batch starting at `index`: header as in ``peek(_:at:maxBatchSize:)``, the whole
    /// batch present, and the CRC-32C over bytes 21..<end matching.
    public static func validate(_ buffer: ByteBuffer, at index: Int, maxBatchSize: Int = Int(Int32.max))
        throws(KafkaWireError) -> RecordBatchHeader
    {
        let header = try peek(buffer, at: index, maxBatchSize: maxBatchSize)
        let available = buffer.writerIndex - index
        guard available >= header.totalSize else {
            throw .truncated("record batch", needed: header.totalSize, remaining: available)
        }
        let computed = buffer.withUnsafeReadableBytes { raw -> UInt32 in
            let start = index - buffer.readerIndex + Position.attributes
            let end = index - buffer.readerIndex + header.totalSize
            return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
        }
        guard computed == header.crc else {
            throw KafkaWireError(
                .corruptChecksum,
                "record batch at offset \(header.baseOffset): CRC-32C is \(computed), header says \(header.crc)")
        }
        return header
    }

    /// Overwrites the base offset of the batch at `index` (outside the CRC'd region).
    public static func patchBaseOffset(_ buffer: inout ByteBuffer, at index: Int, to offset: Offset) {
        buffer.setInteger(offset.rawValue, at: index + Position.baseOffset)
    }

    /// Overwrites the partition leader epoch of the batch at `index` (outside the CRC'd region).
    public static func patchLeaderEpoch(_ buffer: inout ByteBuffer, at index: Int, to epoch: LeaderEpoch) {
        buffer.setInteger(epoch.rawValue, at: index + Position.partitionLeaderEpoch)
    }
}

/// The attributes field of a record batch.
public struct RecordBatchAttributes: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// Bits 0–2: the compression codec of the records section.
    public var compression: CompressionCodec? { CompressionCodec(rawValue: Int8(rawValue & 0x7)) }
    /// Bit 3: timestamps are LogAppendTime (set by the broker) rather than CreateTime.
    public var isLogAppendTime: Bool { rawValue & 0x8 != 0 }
    /// Bit 4: the batch belongs to a transaction.
    public var isTransactional: Bool { rawValue & 0x10 != 0 }
    /// Bit 5: the batch holds a control record (transaction marker).
    public var isControl: Bool { rawValue & 0x20 != 0 }

    public init(
        compression: CompressionCodec = .none, logAppendTime: Bool = false, transactional: Bool = false,
        control: Bool = false
    ) {
        var raw = Int16(compression.rawValue)
        if logAppendTime { raw |= 0x8 }
        if transactional { raw |= 0x10 }
        if control { raw |= 0x20 }
        self.rawValue = raw
    }
}

/// Kafka's compression codec ids (attributes bits 0–2).
public enum CompressionCodec: Int8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4

    public var description: String {
        switch self {
        case .none: "none"
        case .gzip: "gzip"
        case .snappy: "snappy"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }
}
