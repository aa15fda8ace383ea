import NIOCore

/// Walks a buffer holding consecutive record batches: a produce request's `records` field, a fetch response's, or a
/// run of a segment file.
///
/// A fetch response may end with a partial batch: the broker cuts the response at the fetch's size limit, wherever
/// that falls. With ``TrailingPartialBatch/ignore`` such a tail (fewer than 12 bytes, or fewer bytes than its batch
/// length announces) ends the walk without an error, and ``ignoredTrailingBytes`` says how many bytes it held; the
/// consumer fetches them again from the next offset. With ``TrailingPartialBatch/reject`` (produce requests, which
/// must hold whole batches) the same tail throws `.truncated`. Batches before the tail are returned either way.
///
/// Every returned batch is validated (magic, length within `maxBatchSizeBytes`, CRC-32C); a bad batch throws and
/// the walk should stop there.
public struct RecordBatchSplitter: Sendable {
    /// What to do with a batch cut short at the end of the buffer.
    public enum TrailingPartialBatch: Sendable, Hashable {
        /// Throw `.truncated` (produce requests, segment recovery when the caller wants to know).
        case reject
        /// Stop without an error (fetch responses).
        case ignore
    }

    /// The bytes not yet walked.
    public private(set) var remaining: ByteBuffer
    public let trailingPartialBatch: TrailingPartialBatch
    public let maxBatchSizeBytes: Int
    /// Bytes of a trailing partial batch that were skipped (only with `.ignore`; 0 until the walk reaches it).
    public private(set) var ignoredTrailingBytes = 0

    public init(
        _ buffer: ByteBuffer, trailingPartialBatch: TrailingPartialBatch, maxBatchSizeBytes: Int = Int(Int32.max)
    ) {
        self.remaining = buffer
        self.trailingPartialBatch = trailingPartialBatch
        self.maxBatchSizeBytes = maxBatchSizeBytes
    }

    /// The next whole, validated batch, or `nil` at the end of the buffer (or at an ignored trailing partial batch).
    public mutating func next() throws(KafkaWireError) -> RecordBatch? {
        let available = remaining.readableBytes
        guard available > 0 else { return nil }
        if trailingPartialBatch == .ignore, isPartialTail(available: available) {
            ignoredTrailingBytes = available
            remaining.moveReaderIndex(forwardBy: available)
            return nil
        }
        let batch = try RecordBatch(validating: remaining, maxBatchSizeBytes: maxBatchSizeBytes)
        remaining.moveReaderIndex(forwardBy: batch.header.totalSize)
        return batch
    }

    /// Whether the remaining bytes are a batch cut short: too few to say the batch's length, or fewer than it says.
    /// A length that no batch can have is not a partial batch but corruption, left for validation to reject.
    private func isPartialTail(available: Int) -> Bool {
        guard available >= RecordBatchHeader.logOverhead else { return true }
        let batchLength = Int(
            remaining.getInteger(
                at: remaining.readerIndex + RecordBatchHeader.Position.batchLength, as: Int32.self)!)
        let minLength = RecordBatchHeader.size - RecordBatchHeader.logOverhead
        guard batchLength >= minLength, batchLength + RecordBatchHeader.logOverhead <= maxBatchSizeBytes else {
            return false
        }
        return available < batchLength + RecordBatchHeader.logOverhead
    }

    /// All whole batches in `buffer`, validated.
    public static func split(
        _ buffer: ByteBuffer, trailingPartialBatch: TrailingPartialBatch, maxBatchSizeBytes: Int = Int(Int32.max)
    ) throws(KafkaWireError) -> [RecordBatch] {
        var splitter = RecordBatchSplitter(
            buffer, trailingPartialBatch: trailingPartialBatch, maxBatchSizeBytes: maxBatchSizeBytes)
        var batches: [RecordBatch] = []
        while let batch = try splitter.next() {
            batches.append(batch)
        }
        return batches
    }
}
