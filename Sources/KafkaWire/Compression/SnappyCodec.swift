import CCompression
import NIOCore

/// Snappy, raw or in the xerial-snappy block framing.
///
/// Kafka's Java client writes the framing of the xerial `SnappyOutputStream`:
///
///     16-byte header: 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00, int32 version (1), int32 compatible version (1)
///     then blocks:    int32 compressed length (big-endian), a raw snappy block of at most 32 KiB uncompressed
///
/// Other clients (librdkafka among them) may write one raw snappy block instead, so decoding accepts both: input that
/// starts with the xerial header is read as blocks, anything else as one raw block. Encoding writes the xerial framing,
/// which every client reads (kafka-python only detects it with version 1 and compatible version 1, as written here).
public enum SnappyCodec {
    /// How compressed bytes are laid out.
    public enum Framing: Sendable, Hashable {
        /// The xerial-snappy block stream (what the Java client writes).
        case xerial
        /// One raw snappy block.
        case raw
    }

    /// The first eight bytes of a xerial-snappy stream.
    public static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    /// The xerial header: magic, version, compatible version.
    public static let xerialHeaderBytes = 16
    /// Uncompressed bytes per xerial block (the xerial library's default, used by Kafka's Java client).
    public static let xerialBlockBytes = 32 << 10

    /// Appends `input`, snappy-compressed in `framing`, to `output`.
    public static func compress(_ input: UnsafeRawBufferPointer, into output: inout ByteBuffer, framing: Framing) {
        switch framing {
        case .raw:
            compressBlock(input, into: &output)
        case .xerial:
            output.writeBytes(xerialMagic)
            output.writeInteger(Int32(1))  // version
            output.writeInteger(Int32(1))  // compatible version
            var start = 0
            while start < input.count {
                let end = min(start + xerialBlockBytes, input.count)
                let lengthIndex = output.writerIndex
                output.writeInteger(Int32(0))  // patched below
                let blockBytes = compressBlock(UnsafeRawBufferPointer(rebasing: input[start..<end]), into: &output)
                output.setInteger(Int32(blockBytes), at: lengthIndex)
                start = end
            }
        }
    }

    /// Appends the decompressed form of `input` (xerial-framed or one raw block) to `output`.
    public static func decompress(
        _ input: UnsafeRawBufferPointer, into output: inout ByteBuffer, maxDecompressedBytes: Int
    ) throws(KafkaWireError) {
        var sink = DecompressionSink(buffer: output, limitBytes: maxDecompressedBytes, expectedBytes: 0)
        defer { output = sink.buffer }
        guard isXerial(input) else {
            try decompressBlock(input, into: &sink)
            return
        }
        var position = xerialHeaderBytes
        while position < input.count {
            guard input.count - position >= 4 else {
                throw .corruptCompressed(.snappy, "xerial block length truncated at byte \(position)")
            }
            let blockBytes = Int(Int32(bigEndian: input.loadUnaligned(fromByteOffset: position, as: Int32.self)))
            position += 4
            guard blockBytes >= 0, blockBytes <= input.count - position else {
                throw .corruptCompressed(
                    .snappy, "xerial block length \(blockBytes) at byte \(position - 4), \(input.count - position) left"
                )
            }
            try decompressBlock(
                UnsafeRawBufferPointer(rebasing: input[position..<(position + blockBytes)]), into: &sink)
            position += blockBytes
        }
    }

    /// Whether `input` starts with the xerial header.
    public static func isXerial(_ input: UnsafeRawBufferPointer) -> Bool {
        input.count >= xerialHeaderBytes && input.prefix(xerialMagic.count).elementsEqual(xerialMagic)
    }

    /// Compresses one raw block; returns its compressed size.
    @discardableResult
    private static func compressBlock(_ input: UnsafeRawBufferPointer, into output: inout ByteBuffer) -> Int {
        guard let source = input.baseAddress?.assumingMemoryBound(to: CChar.self), input.count > 0 else {
            return output.writeInteger(UInt8(0))  // an empty block: just its uncompressed length, varint 0
        }
        let boundBytes = snappy_max_compressed_length(input.count)
        return output.writeWithUnsafeMutableBytes(minimumWritableBytes: boundBytes) { raw in
            var compressedBytes = raw.count
            let status = snappy_compress(
                source, input.count, raw.baseAddress!.assumingMemoryBound(to: CChar.self), &compressedBytes)
            precondition(status == SNAPPY_OK, "snappy_compress failed (\(status)) with a bound-sized buffer")
            return compressedBytes
        }
    }

    /// Decompresses one raw block, checking its declared size against the cap before allocating anything.
    private static func decompressBlock(_ block: UnsafeRawBufferPointer, into sink: inout DecompressionSink)
        throws(KafkaWireError)
    {
        guard let base = block.baseAddress?.assumingMemoryBound(to: CChar.self), block.count > 0 else {
            throw .corruptCompressed(.snappy, "empty block")
        }
        var declaredBytes = 0
        guard snappy_uncompressed_length(base, block.count, &declaredBytes) == SNAPPY_OK else {
            throw .corruptCompressed(.snappy, "bad block header")
        }
        guard declaredBytes <= sink.limitBytes - sink.producedBytes else {
            throw .decompressionLimit(.snappy, limitBytes: sink.limitBytes)
        }
        guard declaredBytes > 0 else {
            guard snappy_validate_compressed_buffer(base, block.count) == SNAPPY_OK else {
                throw .corruptCompressed(.snappy, "corrupt empty block")
            }
            return
        }
        let status = sink.fill(windowBytes: declaredBytes) { window -> (writtenBytes: Int, result: snappy_status) in
            var writtenBytes = window.count
            let destination = window.baseAddress!.assumingMemoryBound(to: CChar.self)
            let status = snappy_uncompress(base, block.count, destination, &writtenBytes)
            return (status == SNAPPY_OK ? writtenBytes : 0, status)
        }
        guard status == SNAPPY_OK else { throw .corruptCompressed(.snappy, "corrupt block (\(status))") }
    }
}
