import NIOCore

/// Compressing and decompressing the records section of a record batch.
///
/// Every decompressor enforces an absolute cap on its output, whatever the compressed size or the sizes the stream
/// itself claims: a stream that would decompress past `maxDecompressedBytes` throws `.compression` after producing at
/// most one byte too many, so a small "compression bomb" can neither exhaust memory nor take long to reject.
extension CompressionCodec {
    /// The default cap on a records section's decompressed size: 64 MiB.
    public static let defaultMaxDecompressedBytes = 64 << 20

    /// Appends `input` compressed with this codec to `output`, in the framing Kafka's Java client writes (see the
    /// codec types: ``GzipCodec``, ``SnappyCodec``, ``LZ4FrameCodec``, ``ZstdCodec``). `.none` copies the bytes.
    ///
    /// - Parameter level: the codec's compression level; `nil` uses the codec's default.
    public func compress(_ input: UnsafeRawBufferPointer, into output: inout ByteBuffer, level: Int? = nil)
        throws(KafkaWireError)
    {
        switch self {
        case .none: output.writeBytes(input)
        case .gzip: try GzipCodec.compress(input, into: &output, level: level)
        case .snappy: SnappyCodec.compress(input, into: &output, framing: .xerial)
        case .lz4: try LZ4FrameCodec.compress(input, into: &output, level: level)
        case .zstd: try ZstdCodec.compress(input, into: &output, level: level)
        }
    }

    /// Appends the decompressed form of `input` to `output`.
    ///
    /// - Throws: `.compression` when `input` is not a valid stream of this codec or would decompress to more than
    ///   `maxDecompressedBytes`. On a throw `output` may hold part of the output (never more than the cap + 1 bytes).
    public func decompress(
        _ input: UnsafeRawBufferPointer, into output: inout ByteBuffer,
        maxDecompressedBytes: Int = CompressionCodec.defaultMaxDecompressedBytes
    ) throws(KafkaWireError) {
        switch self {
        case .none:
            guard input.count <= maxDecompressedBytes else {
                throw .decompressionLimit(self, limitBytes: maxDecompressedBytes)
            }
            output.writeBytes(input)
        case .gzip: try GzipCodec.decompress(input, into: &output, maxDecompressedBytes: maxDecompressedBytes)
        case .snappy: try SnappyCodec.decompress(input, into: &output, maxDecompressedBytes: maxDecompressedBytes)
        case .lz4: try LZ4FrameCodec.decompress(input, into: &output, maxDecompressedBytes: maxDecompressedBytes)
        case .zstd: try ZstdCodec.decompress(input, into: &output, maxDecompressedBytes: maxDecompressedBytes)
        }
    }

    /// The readable bytes of `input`, compressed into a new buffer.
    public func compress(
        _ input: ByteBuffer, level: Int? = nil, allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(KafkaWireError) -> ByteBuffer {
        var output = allocator.buffer(capacity: input.readableBytes / 2 + 64)
        try input.withUnsafeReadableBytes { raw in
            Result { () throws(KafkaWireError) in try compress(raw, into: &output, level: level) }
        }.get()
        return output
    }

    /// The readable bytes of `input`, decompressed into a new buffer.
    public func decompress(
        _ input: ByteBuffer, maxDecompressedBytes: Int = CompressionCodec.defaultMaxDecompressedBytes,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(KafkaWireError) -> ByteBuffer {
        var output = allocator.buffer(capacity: 0)
        try input.withUnsafeReadableBytes { raw in
            Result { () throws(KafkaWireError) in
                try decompress(raw, into: &output, maxDecompressedBytes: maxDecompressedBytes)
            }
        }.get()
        return output
    }
}
