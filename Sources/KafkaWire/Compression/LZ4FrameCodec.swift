import CCompression
import NIOCore

/// LZ4 in the standard LZ4 frame format, as record batches magic v2 carry it.
///
/// Kafka's Java client writes frames with 64 KiB blocks, independent blocks, no block checksums, no content size and
/// no content checksum, and its reader rejects frames with linked (dependent) blocks. Encoding uses exactly those
/// settings. Decoding uses liblz4's frame decoder, which accepts every valid frame (any block size, linked blocks,
/// checksums, content size) and several concatenated frames.
public enum LZ4FrameCodec {
    /// Appends `input` as one LZ4 frame to `output`.
    ///
    /// - Parameter level: liblz4's level (0 or `nil`: the fast default, as librdkafka; 3…12: LZ4HC).
    public static func compress(_ input: UnsafeRawBufferPointer, into output: inout ByteBuffer, level: Int? = nil)
        throws(KafkaWireError)
    {
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        preferences.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum
        preferences.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum
        preferences.frameInfo.contentSize = 0
        preferences.compressionLevel = Int32(clamping: level ?? 0)
        let boundBytes = LZ4F_compressFrameBound(input.count, &preferences)
        var errorCode = 0
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: boundBytes) { raw in
            let result = LZ4F_compressFrame(raw.baseAddress, raw.count, input.baseAddress, input.count, &preferences)
            if LZ4F_isError(result) != 0 {
                errorCode = result
                return 0
            }
            return result
        }
        if errorCode != 0 {
            throw .corruptCompressed(
                .lz4, "LZ4F_compressFrame failed: \(String(cString: LZ4F_getErrorName(errorCode)))")
        }
    }

    /// Appends the decompressed form of the LZ4 frame(s) `input` to `output`, at most `maxDecompressedBytes` bytes.
    public static func decompress(
        _ input: UnsafeRawBufferPointer, into output: inout ByteBuffer, maxDecompressedBytes: Int
    ) throws(KafkaWireError) {
        guard let base = input.baseAddress, input.count > 0 else { throw .corruptCompressed(.lz4, "empty stream") }
        var context: OpaquePointer? = nil
        guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0, context != nil else {
            throw .corruptCompressed(.lz4, "cannot create a decompression context")
        }
        defer { LZ4F_freeDecompressionContext(context) }

        var sink = DecompressionSink(
            buffer: output, limitBytes: maxDecompressedBytes, expectedBytes: max(64 << 10, input.count * 4))
        defer { output = sink.buffer }
        var position = 0
        while true {
            let (consumedBytes, producedBytes, hint) = sink.fill { window -> (Int, (Int, Int, Int)) in
                var destinationBytes = window.count
                var sourceBytes = input.count - position
                let hint = LZ4F_decompress(
                    context, window.baseAddress, &destinationBytes, base + position, &sourceBytes, nil)
                let written = LZ4F_isError(hint) != 0 ? 0 : destinationBytes
                return (written, (sourceBytes, written, hint))
            }
            if LZ4F_isError(hint) != 0 {
                throw .corruptCompressed(.lz4, "corrupt frame: \(String(cString: LZ4F_getErrorName(hint)))")
            }
            try sink.checkLimit(.lz4)
            position += consumedBytes
            if hint == 0 && position == input.count { return }  // last frame complete and flushed
            if consumedBytes == 0 && producedBytes == 0 {
                throw .corruptCompressed(.lz4, "frame truncated after \(position) of \(input.count) bytes")
            }
        }
    }
}
