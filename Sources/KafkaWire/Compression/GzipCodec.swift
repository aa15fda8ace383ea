import CCompression
import NIOCore

/// gzip (RFC 1952) through zlib: DEFLATE with the gzip wrapper, as Kafka's Java client writes it.
///
/// Decoding accepts any gzip stream, including several concatenated members (which `GZIPInputStream` reads as one
/// stream); it does not accept raw DEFLATE or zlib-wrapped data.
public enum GzipCodec {
    /// zlib's window bits for "gzip wrapper, 32 KiB window".
    static let gzipWindowBits: Int32 = 15 + 16

    /// Appends `input`, gzip-compressed in one member, to `output`.
    ///
    /// - Parameter level: 1…9, or `nil` for zlib's default (6, as Kafka's default `compression.gzip.level` -1).
    public static func compress(_ input: UnsafeRawBufferPointer, into output: inout ByteBuffer, level: Int? = nil)
        throws(KafkaWireError)
    {
        var stream = z_stream()
        let zLevel = level.map { Int32(clamping: $0) } ?? Z_DEFAULT_COMPRESSION
        let initStatus = deflateInit2_(
            &stream, zLevel, Z_DEFLATED, gzipWindowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw .corruptCompressed(.gzip, "deflateInit2 failed (\(initStatus))") }
        defer { deflateEnd(&stream) }
        guard input.count <= Int(UInt32.max) else { throw .corruptCompressed(.gzip, "input too large") }
        let boundBytes = Int(deflateBound(&stream, uLong(input.count)))
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        var status: Int32 = Z_OK
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: boundBytes) { raw in
            let windowBytes = min(raw.count, Int(UInt32.max))
            stream.next_out = raw.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(windowBytes)
            status = deflate(&stream, Z_FINISH)
            return windowBytes - Int(stream.avail_out)
        }
        guard status == Z_STREAM_END else { throw .corruptCompressed(.gzip, "deflate did not finish (\(status))") }
    }

    /// Appends the decompressed form of the gzip stream `input` to `output`, at most `maxDecompressedBytes` bytes.
    public static func decompress(
        _ input: UnsafeRawBufferPointer, into output: inout ByteBuffer, maxDecompressedBytes: Int
    ) throws(KafkaWireError) {
        guard let base = input.baseAddress, input.count > 0 else { throw .corruptCompressed(.gzip, "empty stream") }
        guard input.count <= Int(UInt32.max) else { throw .corruptCompressed(.gzip, "input too large") }
        var stream = z_stream()
        let initStatus = inflateInit2_(&stream, gzipWindowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw .corruptCompressed(.gzip, "inflateInit2 failed (\(initStatus))") }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)

        var sink = DecompressionSink(
            buffer: output, limitBytes: maxDecompressedBytes, expectedBytes: max(64 << 10, input.count * 4))
        defer { output = sink.buffer }
        while true {
            let status = sink.fill { window in
                stream.next_out = window.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(window.count)
                let status = inflate(&stream, Z_NO_FLUSH)
                return (window.count - Int(stream.avail_out), status)
            }
            try sink.checkLimit(.gzip)
            switch status {
            case Z_STREAM_END:
                if stream.avail_in == 0 { return }
                // Another member follows.
                guard inflateReset(&stream) == Z_OK else { throw .corruptCompressed(.gzip, "inflateReset failed") }
            case Z_OK:
                continue
            case Z_BUF_ERROR where stream.avail_in > 0:
                continue  // the output window was full
            case Z_BUF_ERROR:
                throw .corruptCompressed(.gzip, "stream truncated")
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                throw .corruptCompressed(.gzip, "corrupt stream: \(reason)")
            }
        }
    }
}
