import NIOCore

/// Where a decompressor writes its output: appends to a `ByteBuffer` but never lets it grow past a size cap.
///
/// Decompressors offer the C library a window of writable bytes at a time. The window never reaches beyond
/// `limitBytes + 1` bytes of output in total, so a compression bomb is detected (``exceeded``) after at most one
/// byte too many, and the buffer never holds much more than the cap however large the stream claims to be.
/// Windows grow geometrically from a first guess, so a well-behaved stream costs few reallocations.
struct DecompressionSink {
    var buffer: ByteBuffer
    /// The writer index when decompression started; bytes before it belong to the caller.
    let startIndex: Int
    /// The most bytes the stream may decompress to.
    let limitBytes: Int
    /// The size of the next window offered.
    private var nextWindowBytes: Int

    init(buffer: ByteBuffer, limitBytes: Int, expectedBytes: Int) {
        precondition(limitBytes >= 0, "decompression limit \(limitBytes) is negative")
        self.buffer = buffer
        self.startIndex = buffer.writerIndex
        self.limitBytes = limitBytes
        self.nextWindowBytes = max(expectedBytes, 1)
    }

    /// Bytes written so far.
    var producedBytes: Int { buffer.writerIndex - startIndex }

    /// Whether the output has grown past the cap.
    var exceeded: Bool { producedBytes > limitBytes }

    /// Offers `body` a window of writable bytes (never beyond `limitBytes + 1` in total) and keeps what it writes.
    ///
    /// `body` returns the count of bytes it wrote at the start of the window and a result passed back unchanged.
    mutating func fill<Result>(
        _ body: (UnsafeMutableRawBufferPointer) -> (writtenBytes: Int, result: Result)
    ) -> Result {
        let roomBytes = limitBytes + 1 - producedBytes
        precondition(roomBytes > 0, "decompression sink filled past its limit of \(limitBytes) bytes")
        let windowBytes = min(nextWindowBytes, roomBytes)
        nextWindowBytes = min(nextWindowBytes * 2, 1 << 26)
        var outcome: Result? = nil
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: windowBytes) { raw in
            let window = UnsafeMutableRawBufferPointer(rebasing: raw[0..<windowBytes])
            let (writtenBytes, result) = body(window)
            precondition(writtenBytes >= 0 && writtenBytes <= windowBytes, "decompressor wrote \(writtenBytes) bytes")
            outcome = result
            return writtenBytes
        }
        return outcome!
    }

    /// Offers `body` a window of exactly `windowBytes` writable bytes, for codecs that know a block's size before
    /// decoding it. The caller has checked that the block fits under the cap.
    mutating func fill<Result>(
        windowBytes: Int, _ body: (UnsafeMutableRawBufferPointer) -> (writtenBytes: Int, result: Result)
    ) -> Result {
        precondition(
            windowBytes >= 0 && producedBytes + windowBytes <= limitBytes,
            "window of \(windowBytes) bytes passes the limit of \(limitBytes) (produced \(producedBytes))")
        var outcome: Result? = nil
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: windowBytes) { raw in
            let window = UnsafeMutableRawBufferPointer(rebasing: raw[0..<windowBytes])
            let (writtenBytes, result) = body(window)
            precondition(writtenBytes >= 0 && writtenBytes <= windowBytes, "decompressor wrote \(writtenBytes) bytes")
            outcome = result
            return writtenBytes
        }
        return outcome!
    }

    /// Throws `.compression` when the output has grown past the cap.
    func checkLimit(_ codec: CompressionCodec) throws(KafkaWireError) {
        if exceeded {
            throw .decompressionLimit(codec, limitBytes: limitBytes)
        }
    }
}

extension KafkaWireError {
    static func decompressionLimit(_ codec: CompressionCodec, limitBytes: Int) -> KafkaWireError {
        KafkaWireError(.compression, "\(codec) records decompress to more than the limit of \(limitBytes) bytes")
    }

    static func corruptCompressed(_ codec: CompressionCodec, _ detail: String) -> KafkaWireError {
        KafkaWireError(.compression, "\(codec) records: \(detail)")
    }
}
