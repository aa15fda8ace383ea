import FjordModel
import KafkaWire
import NIOCore

/// The outcome of scanning a segment file batch by batch with full validation.
struct SegmentScanResult: Sendable {
    /// The index state of the valid prefix (its `sizeBytes` is the number of valid bytes).
    var builder: SegmentIndexBuilder
    /// The size of the file when scanned.
    var fileBytes: Int
    /// Why the scan stopped before the end of the file, `nil` when every byte belongs to a valid batch.
    var problem: String?

    var validBytes: Int { builder.sizeBytes }
}

/// Recovery's scan of one segment: reads the `.log` from position 0 in large chunks and accepts batches while
///
/// - the header is well formed (magic 2, a length that fits in the bytes left in the file),
/// - the CRC-32C matches (`RecordBatchHeader.validate`),
/// - offsets increase (`baseOffset` at or above the previous batch's next offset and the segment's base offset)
///   and the last offset fits the segment's 32-bit relative offsets,
/// - the leader epoch does not go down (epochs only grow along a log).
///
/// It stops at the first batch that breaks one of these (a torn write, a zero-filled tail, a flipped bit) and
/// rebuilds the indexes of the prefix with the same rule appends use. A flipped bit in `baseOffset` or
/// `partitionLeaderEpoch`, the two fields outside the CRC, is caught only when it breaks the ordering rules.
enum SegmentScanner {
    static let chunkBytes = 1 << 20

    /// - Parameters:
    ///   - minimumOffset: the previous segment's next offset; batches below it are rejected.
    ///   - onBatch: called for each accepted batch, in order (recovery feeds the leader-epoch cache from it).
    static func scan(
        file: LogFileHandle, baseOffset: Offset, indexIntervalBytes: Int, minimumOffset: Offset,
        onBatch: (BatchSummary) -> Void = { _ in }
    ) throws(LogError) -> SegmentScanResult {
        let fileBytes = try file.size()
        var builder = SegmentIndexBuilder(baseOffset: baseOffset, indexIntervalBytes: indexIntervalBytes)
        var buffer = ByteBufferAllocator().buffer(capacity: min(chunkBytes, max(fileBytes, 64)))
        var bufferedUpTo = 0  // file position just past the buffer's last byte
        var lastEpoch = LeaderEpoch.none
        var minimum = max(minimumOffset, baseOffset)

        /// Makes at least `count` bytes from `position` readable in `buffer` (position == buffer's reader index).
        func fill(_ count: Int, position: Int) throws(LogError) {
            guard buffer.readableBytes < count else { return }
            buffer.discardReadBytes()
            let want = min(max(count - buffer.readableBytes, chunkBytes), fileBytes - bufferedUpTo)
            let read = try buffer.writeFromFile(file, at: bufferedUpTo, count: want)
            bufferedUpTo += read
            guard buffer.readableBytes >= count else {
                throw LogError(.storage, "\(file.path) shrank while recovering it (at \(position))")
            }
        }

        while true {
            let position = builder.sizeBytes
            let remaining = fileBytes - position
            if remaining == 0 { return SegmentScanResult(builder: builder, fileBytes: fileBytes, problem: nil) }
            let stop = { (why: String) in
                SegmentScanResult(
                    builder: builder, fileBytes: fileBytes,
                    problem: "\(why) at position \(position) (\(remaining) bytes to the end of the file)")
            }
            guard remaining >= RecordBatchHeader.size else { return stop("a torn batch header") }
            try fill(RecordBatchHeader.size, position: position)
            let peeked: RecordBatchHeader
            do {
                peeked = try RecordBatchHeader.peek(buffer, at: buffer.readerIndex, maxBatchSize: remaining)
            } catch {
                return stop("an invalid batch header (\(error))")
            }
            try fill(peeked.totalSize, position: position)
            let header: RecordBatchHeader
            do {
                header = try RecordBatchHeader.validate(buffer, at: buffer.readerIndex, maxBatchSize: remaining)
            } catch {
                return stop("an invalid batch (\(error))")
            }
            let batch = BatchSummary(header)
            if batch.baseOffset < minimum {
                return stop("batch offset \(batch.baseOffset) below the expected \(minimum)")
            }
            if !builder.canHold(offset: batch.lastOffset) {
                return stop("batch last offset \(batch.lastOffset) beyond the segment's 32-bit range")
            }
            if batch.leaderEpoch < lastEpoch {
                return stop("leader epoch \(batch.leaderEpoch) below the previous batch's \(lastEpoch)")
            }
            lastEpoch = batch.leaderEpoch
            builder.append(batch)
            onBatch(batch)
            minimum = batch.nextOffset
            buffer.moveReaderIndex(forwardBy: batch.sizeBytes)
        }
    }
}
