import FjordModel
import NIOCore

/// Builds one record batch (magic v2) from records, ready for the wire or a segment file.
///
/// Records are encoded as they are appended, straight into the buffer that becomes the batch, behind room left for
/// the 61-byte header. ``build()`` then fills the header and computes the CRC-32C over bytes 21..<end; an
/// uncompressed batch is finished in place, with no copy. A compressed batch costs one compression pass into a new
/// buffer that starts with the header.
///
/// Offset deltas are 0, 1, 2… in append order; the base timestamp is the first record's timestamp (deltas may be
/// negative) and the max timestamp the largest. The builder is not thread-safe; one owner appends and builds.
public struct RecordBatchBuilder: Sendable {
    public var compression: CompressionCodec
    /// The codec's level, `nil` for its default.
    public var compressionLevel: Int?
    public var baseOffset: Offset
    public var partitionLeaderEpoch: LeaderEpoch
    public var producerId: ProducerID
    public var producerEpoch: ProducerEpoch
    /// The producer sequence of the first record, -1 without idempotence.
    public var baseSequence: Int32
    public var isTransactional: Bool

    private let allocator: ByteBufferAllocator
    private let initialCapacityBytes: Int
    /// Header room, then the uncompressed records.
    private var buffer: ByteBuffer
    private var firstTimestamp = TimestampMs.none
    private var maxTimestamp = TimestampMs.none
    /// Records appended since the last build.
    public private(set) var recordCount = 0

    public init(
        compression: CompressionCodec = .none, compressionLevel: Int? = nil, baseOffset: Offset = .zero,
        partitionLeaderEpoch: LeaderEpoch = .none, producerId: ProducerID = .none,
        producerEpoch: ProducerEpoch = .none, baseSequence: Int32 = -1, isTransactional: Bool = false,
        allocator: ByteBufferAllocator = ByteBufferAllocator(), initialCapacityBytes: Int = 1024
    ) {
        self.compression = compression
        self.compressionLevel = compressionLevel
        self.baseOffset = baseOffset
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.isTransactional = isTransactional
        self.allocator = allocator
        self.initialCapacityBytes = max(initialCapacityBytes, RecordBatchHeader.size)
        self.buffer = allocator.buffer(capacity: self.initialCapacityBytes)
        self.buffer.moveWriterIndex(forwardBy: RecordBatchHeader.size)
    }

    /// Header plus records appended so far, before compression: what a producer compares with its `batch.size`.
    public var uncompressedSizeBytes: Int { buffer.readableBytes }

    /// The bytes one record takes in a batch, before compression.
    public static func recordSizeBytes(
        key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader], timestampDelta: Int64, offsetDelta: Int32
    ) -> Int {
        let body = bodySizeBytes(
            key: key, value: value, headers: headers, timestampDelta: timestampDelta, offsetDelta: offsetDelta)
        return ByteBuffer.varintSize(Int32(clamping: body)) + body
    }

    /// Appends a record. Its key, value and header values are copied into the batch.
    ///
    /// - Precondition: the record is smaller than 2 GiB and fewer than `Int32.max` records were appended.
    public mutating func append(
        key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader] = [], timestamp: TimestampMs
    ) {
        precondition(recordCount < Int(Int32.max), "record batch holds \(recordCount) records already")
        if recordCount == 0 {
            firstTimestamp = timestamp
            maxTimestamp = timestamp
        } else if timestamp > maxTimestamp {
            maxTimestamp = timestamp
        }
        let timestampDelta = timestamp.rawValue &- firstTimestamp.rawValue
        let offsetDelta = Int32(recordCount)
        let body = Self.bodySizeBytes(
            key: key, value: value, headers: headers, timestampDelta: timestampDelta, offsetDelta: offsetDelta)
        precondition(body < Int(Int32.max), "record of \(body) bytes is too large for a record batch")
        buffer.reserveCapacity(minimumWritableBytes: ByteBuffer.varintSize(Int32(body)) + body)
        buffer.writeVarint(Int32(body))
        buffer.writeInteger(Int8(0))  // attributes
        buffer.writeVarlong(timestampDelta)
        buffer.writeVarint(offsetDelta)
        writeNullableBytes(key)
        writeNullableBytes(value)
        buffer.writeVarint(Int32(headers.count))
        for header in headers {
            buffer.writeVarint(Int32(header.key.utf8.count))
            buffer.writeString(header.key)
            writeNullableBytes(header.value)
        }
        recordCount += 1
    }

    /// Finishes the batch: fills the header, compresses the records section, computes the CRC-32C. The builder is
    /// then empty again, with the same settings, ready for the next batch (`baseSequence` is not advanced).
    ///
    /// - Throws: `.invalidValue` when no record was appended (a batch holds at least one), `.compression` when the
    ///   codec fails.
    public mutating func build() throws(KafkaWireError) -> ByteBuffer {
        guard recordCount > 0 else { throw KafkaWireError(.invalidValue, "a record batch needs at least one record") }
        var batch = buffer
        buffer = allocator.buffer(capacity: 0)  // leaves `batch` the only owner of its storage
        defer { reset() }
        if compression != .none {
            batch = try compressed(batch)
        }
        writeHeader(into: &batch)
        return batch
    }

    private mutating func reset() {
        buffer = allocator.buffer(capacity: initialCapacityBytes)
        buffer.moveWriterIndex(forwardBy: RecordBatchHeader.size)
        recordCount = 0
        firstTimestamp = .none
        maxTimestamp = .none
    }

    /// A new buffer: header room, then the records section of `batch` compressed.
    private func compressed(_ batch: ByteBuffer) throws(KafkaWireError) -> ByteBuffer {
        let recordsBytes = batch.readableBytes - RecordBatchHeader.size
        var output = allocator.buffer(capacity: RecordBatchHeader.size + recordsBytes / 2 + 64)
        output.moveWriterIndex(forwardBy: RecordBatchHeader.size)
        try batch.withUnsafeReadableBytes { raw in
            Result { () throws(KafkaWireError) in
                try compression.compress(
                    UnsafeRawBufferPointer(rebasing: raw[RecordBatchHeader.size...]), into: &output,
                    level: compressionLevel)
            }
        }.get()
        return output
    }

    private func writeHeader(into batch: inout ByteBuffer) {
        typealias P = RecordBatchHeader.Position
        let start = batch.readerIndex
        let totalSize = batch.readableBytes
        precondition(totalSize - RecordBatchHeader.logOverhead <= Int(Int32.max), "batch of \(totalSize) bytes")
        let attributes = RecordBatchAttributes(compression: compression, transactional: isTransactional)
        batch.setInteger(baseOffset.rawValue, at: start + P.baseOffset)
        batch.setInteger(Int32(totalSize - RecordBatchHeader.logOverhead), at: start + P.batchLength)
        batch.setInteger(partitionLeaderEpoch.rawValue, at: start + P.partitionLeaderEpoch)
        batch.setInteger(RecordBatchHeader.currentMagic, at: start + P.magic)
        batch.setInteger(attributes.rawValue, at: start + P.attributes)
        batch.setInteger(Int32(recordCount - 1), at: start + P.lastOffsetDelta)
        batch.setInteger(firstTimestamp.rawValue, at: start + P.baseTimestamp)
        batch.setInteger(maxTimestamp.rawValue, at: start + P.maxTimestamp)
        batch.setInteger(producerId.rawValue, at: start + P.producerId)
        batch.setInteger(producerEpoch.rawValue, at: start + P.producerEpoch)
        batch.setInteger(baseSequence, at: start + P.baseSequence)
        batch.setInteger(Int32(recordCount), at: start + P.recordCount)
        let crc = batch.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[P.attributes...]))
        }
        batch.setInteger(crc, at: start + P.crc)
    }

    private mutating func writeNullableBytes(_ bytes: ByteBuffer?) {
        guard let bytes else {
            buffer.writeVarint(-1)
            return
        }
        buffer.writeVarint(Int32(bytes.readableBytes))
        buffer.writeImmutableBuffer(bytes)
    }

    private static func bodySizeBytes(
        key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader], timestampDelta: Int64, offsetDelta: Int32
    ) -> Int {
        var size = 1 + ByteBuffer.varlongSize(timestampDelta) + ByteBuffer.varintSize(offsetDelta)
        size +=
            nullableBytesSize(key) + nullableBytesSize(value) + ByteBuffer.varintSize(Int32(clamping: headers.count))
        for header in headers {
            let keyBytes = header.key.utf8.count
            size += ByteBuffer.varintSize(Int32(clamping: keyBytes)) + keyBytes + nullableBytesSize(header.value)
        }
        return size
    }

    private static func nullableBytesSize(_ bytes: ByteBuffer?) -> Int {
        guard let bytes else { return 1 }
        return ByteBuffer.varintSize(Int32(clamping: bytes.readableBytes)) + bytes.readableBytes
    }
}
