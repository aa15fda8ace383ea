import CCompression
import NIOCore

/// Zstandard frames.
///
/// Kafka's Java client streams zstd frames without a content size; librdkafka and kafka-python write the content
/// size. Encoding writes one frame with its content size (every decoder reads it, and some, such as kafka-python
/// 2.0.2, decode faster or only within a small default limit without it). Decoding streams through any number of
/// concatenated frames, with or without content sizes; a frame whose declared content size passes the cap is rejected
/// before anything is allocated.
public enum ZstdCodec {
    /// zstd's "content size unknown" and "error" answers of `ZSTD_getFrameContentSize`.
    static let contentSizeUnknown = UInt64.max
    static let contentSizeError = UInt64.max - 1

    /// Appends `input` as one zstd frame (with its content size) to `output`.
    ///
    /// - Parameter level: zstd's level, `nil` for its default (3, as Kafka's default `compression.zstd.level`).
    public static func compress(_ input: UnsafeRawBufferPointer, into output: inout ByteBuffer, level: Int? = nil)
        throws(KafkaWireError)
    {
        let boundBytes = ZSTD_compressBound(input.count)
        var errorCode = 0
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: boundBytes) { raw in
            let result = ZSTD_compress(
                raw.baseAddress, raw.count, input.baseAddress, input.count, Int32(clamping: level ?? 3))
            if ZSTD_isError(result) != 0 {
                errorCode = result
                return 0
            }
            return result
        }
        if errorCode != 0 {
            throw .corruptCompressed(.zstd, "ZSTD_compress failed: \(String(cString: ZSTD_getErrorName(errorCode)))")
        }
    }

    /// Appends the decompressed form of the zstd frame(s) `input` to `output`, at most `maxDecompressedBytes` bytes.
    public static func decompress(
        _ input: UnsafeRawBufferPointer, into output: inout ByteBuffer, maxDecompressedBytes: Int
    ) throws(KafkaWireError) {
        guard let base = input.baseAddress, input.count > 0 else { throw .corruptCompressed(.zstd, "empty stream") }
        let declaredBytes = ZSTD_getFrameContentSize(base, input.count)
        if declaredBytes == contentSizeError {
            throw .corruptCompressed(.zstd, "not a zstd frame")
        }
        var expectedBytes = max(64 << 10, input.count * 4)
        if declaredBytes != contentSizeUnknown {
            guard declaredBytes <= UInt64(maxDecompressedBytes) else {
                throw .decompressionLimit(.zstd, limitBytes: maxDecompressedBytes)
            }
            // One byte more than declared lets a frame that lies about its size be caught in the same call.
            expectedBytes = Int(declaredBytes) + 1
        }
        guard let context = ZSTD_createDCtx() else { throw .corruptCompressed(.zstd, "cannot create a context") }
        defer { ZSTD_freeDCtx(context) }

        var sink = DecompressionSink(buffer: output, limitBytes: maxDecompressedBytes, expectedBytes: expectedBytes)
        defer { output = sink.buffer }
        var source = ZSTD_inBuffer(src: base, size: input.count, pos: 0)
        while true {
            let positionBefore = source.pos
            let (producedBytes, hint) = sink.fill { window -> (Int, (Int, Int)) in
                var destination = ZSTD_outBuffer(dst: window.baseAddress, size: window.count, pos: 0)
                let hint = ZSTD_decompressStream(context, &destination, &source)
                let written = ZSTD_isError(hint) != 0 ? 0 : destination.pos
                return (written, (written, hint))
            }
            if ZSTD_isError(hint) != 0 {
                throw .corruptCompressed(.zstd, "corrupt frame: \(String(cString: ZSTD_getErrorName(hint)))")
            }
            try sink.checkLimit(.zstd)
            if hint == 0 && source.pos == source.size { return }  // last frame complete and flushed
            if source.pos == positionBefore && producedBytes == 0 {
                throw .corruptCompressed(.zstd, "frame truncated after \(source.pos) of \(input.count) bytes")
            }
        }
    }
}
