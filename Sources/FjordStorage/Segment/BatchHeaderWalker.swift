import FjordModel
import KafkaWire
import NIOCore

/// Reads the headers of the batches in `0..<endPosition` of a segment file, at positions the caller chooses
/// (normally batch after batch), through a small buffer so that walking small batches costs one `pread` per
/// buffer rather than one per batch. Checks headers only (`RecordBatchHeader.peek`), never CRCs: it serves reads
/// and lookups over bytes that recovery has already validated.
struct BatchHeaderWalker {
    static let chunkBytes = 4096

    let file: LogFileHandle
    /// Bytes past this position are not part of the segment as the caller sees it.
    let endPosition: Int
    private var buffer: ByteBuffer
    /// File position of `buffer`'s byte 0.
    private var bufferPosition = 0

    init(file: LogFileHandle, endPosition: Int) {
        self.file = file
        self.endPosition = endPosition
        self.buffer = ByteBufferAllocator().buffer(capacity: Self.chunkBytes)
    }

    /// The header of the batch starting at `position`, or `nil` when `position` is the end.
    ///
    /// - Throws: `.corruptRecord` when the bytes there are not a batch header, or the batch runs past the end.
    mutating func header(at position: Int) throws(LogError) -> RecordBatchHeader? {
        precondition(position >= 0 && position <= endPosition, "walk at \(position) outside 0...\(endPosition)")
        if position == endPosition { return nil }
        let available = endPosition - position
        guard available >= RecordBatchHeader.size else {
            throw LogError(.corruptRecord, "\(file.path): \(available) bytes at \(position), less than a batch header")
        }
        if position < bufferPosition || position + RecordBatchHeader.size > bufferPosition + buffer.writerIndex {
            buffer.clear()
            bufferPosition = position
            let want = min(Self.chunkBytes, available)
            let read = try buffer.writeFromFile(file, at: position, count: want)
            guard read >= RecordBatchHeader.size else {
                throw LogError(.storage, "\(file.path): file ends at \(position + read), expected \(endPosition)")
            }
        }
        do {
            return try RecordBatchHeader.peek(buffer, at: position - bufferPosition, maxBatchSize: available)
        } catch {
            throw LogError(.corruptRecord, "\(file.path) position \(position): \(error)")
        }
    }
}
