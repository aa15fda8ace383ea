import FjordModel
import NIOCore

/// One record batch (magic v2) whose header and CRC-32C have been checked, with its records decoded on demand.
///
/// `bytes` is a slice of the buffer the batch came in (no copy). Records are only decoded when asked for, through a
/// ``RecordIterator``; a compressed records section is decompressed first, into a new buffer, never past
/// `maxDecompressedBytes` (an absolute cap, whatever the compressed size).
public struct RecordBatch: Sendable {
    /// The batch's header, as validated.
    public let header: RecordBatchHeader
    /// The whole batch: header and records section, exactly `header.totalSize` bytes.
    public let bytes: ByteBuffer

    /// Validates the batch at the reader index of `buffer` (header, size, CRC-32C) and keeps a slice of it. Bytes past
    /// the batch's end are not part of it (use ``RecordBatchSplitter`` to walk several batches).
    ///
    /// - Throws: as ``RecordBatchHeader/validate(_:at:maxBatchSize:)``: `.truncated`, `.invalidValue` (magic),
    ///   `.lengthOutOfRange`, `.corruptChecksum`.
    public init(validating buffer: ByteBuffer, maxBatchSizeBytes: Int = Int(Int32.max)) throws(KafkaWireError) {
        let header = try RecordBatchHeader.validate(buffer, at: buffer.readerIndex, maxBatchSize: maxBatchSizeBytes)
        self.header = header
        self.bytes = buffer.getSlice(at: buffer.readerIndex, length: header.totalSize)!
    }

    /// The records section as stored: compressed when the batch's codec is not `.none`.
    public var recordsSection: ByteBuffer {
        bytes.getSlice(
            at: bytes.readerIndex + RecordBatchHeader.size, length: header.totalSize - RecordBatchHeader.size)!
    }

    /// An iterator over the batch's records; decompresses the records section first when the batch is compressed.
    ///
    /// - Throws: `.invalidValue` for an unknown codec, `.compression` for a corrupt section or one that would
    ///   decompress past `maxDecompressedBytes`, `.lengthOutOfRange` for a record count the section cannot hold.
    public func records(
        maxDecompressedBytes: Int = CompressionCodec.defaultMaxDecompressedBytes,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(KafkaWireError) -> RecordIterator {
        guard let codec = header.attributes.compression else {
            throw KafkaWireError(.invalidValue, "record batch attributes \(header.attributes.rawValue): unknown codec")
        }
        let section = recordsSection
        if codec == .none {
            return try RecordIterator(records: section, header: header)
        }
        var decompressed = allocator.buffer(capacity: 0)
        try section.withUnsafeReadableBytes { raw in
            Result { () throws(KafkaWireError) in
                try codec.decompress(raw, into: &decompressed, maxDecompressedBytes: maxDecompressedBytes)
            }
        }.get()
        return try RecordIterator(records: decompressed, header: header)
    }

    /// All the batch's records, decoded at once.
    public func decodeRecords(
        maxDecompressedBytes: Int = CompressionCodec.defaultMaxDecompressedBytes,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(KafkaWireError) -> [Record] {
        var iterator = try records(maxDecompressedBytes: maxDecompressedBytes, allocator: allocator)
        var result: [Record] = []
        result.reserveCapacity(iterator.recordCount)
        while let record = try iterator.next() {
            result.append(record)
        }
        return result
    }
}
