import FjordModel
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The answer to a read: a range of whole batches in one segment file, to be sent without copying.
///
/// Ownership: the result holds the segment's ``LogFileHandle``, so the descriptor stays open for as long as the
/// result lives, even if retention or truncation removes the segment meanwhile (its files are unlinked, never closed
/// under a reader). A truncation racing the read can still shorten the file itself: sending then ends early with an
/// end-of-file error, which the caller reports as a failed fetch for that partition.
public struct LogReadResult: Sendable {
    /// The segment file, or `nil` when there is nothing to send.
    public let file: LogFileHandle?
    /// Where the batches start in ``file``.
    public let filePosition: Int
    /// Bytes of whole batches from ``filePosition`` (0 when empty).
    public let lengthBytes: Int
    /// The offset the read asked for.
    public let fetchOffset: Offset
    /// The base offset of the first batch returned (at or below ``fetchOffset``: a read inside a batch starts at the
    /// batch), `nil` when empty.
    public let firstBatchBaseOffset: Offset?
    /// The log's start and end offsets and high watermark when the read ran, for the fetch response.
    public let logStartOffset: Offset
    public let logEndOffset: Offset
    public let highWatermark: Offset

    public var isEmpty: Bool { lengthBytes == 0 }

    static func empty(at offset: Offset, view: LogView) -> LogReadResult {
        LogReadResult(
            file: nil, filePosition: 0, lengthBytes: 0, fetchOffset: offset, firstBatchBaseOffset: nil,
            logStartOffset: view.logStartOffset, logEndOffset: view.logEndOffset, highWatermark: view.highWatermark)
    }

    /// Copies the batches into a new buffer (for TLS connections, tests and tools).
    public func readBytes() throws(LogError) -> ByteBuffer {
        guard let file, lengthBytes > 0 else { return ByteBuffer() }
        return try file.readBuffer(at: filePosition, count: lengthBytes)
    }

    /// A NIO `FileRegion` over the batches, for `sendfile` on plaintext connections, and the handle it reads
    /// from: a duplicate of the segment's descriptor that the caller owns and must `close()` once the write
    /// completes or fails (NIO allows one user of a `NIOFileHandle` at a time, hence a private duplicate per read).
    public func makeFileRegion() throws(LogError) -> (region: FileRegion, handle: NIOFileHandle)? {
        guard let file, lengthBytes > 0 else { return nil }
        let duplicate = dup(file.descriptor)
        guard duplicate >= 0 else { throw .io("dup", path: file.path, errno: errno) }
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: duplicate)
        let region = FileRegion(fileHandle: handle, readerIndex: filePosition, endIndex: filePosition + lengthBytes)
        return (region, handle)
    }
}
