import NIOCore

/// Splits a TCP byte stream into Kafka frames (a big-endian int32 size, then that many bytes) copying as little as
/// possible: a frame that arrived whole inside one socket read is passed on as a slice of the read buffer (no copy);
/// a frame spread over several reads is assembled, once, into a buffer allocated at its full size the moment its
/// size is known — each byte is copied exactly once, and never re-copied by buffer growth or compaction (NIO's
/// `ByteToMessageHandler` accumulates into a buffer that doubles and is compacted, copying large frames several
/// times).
///
/// Like ``KafkaFrameDecoder``, the size is checked as soon as its four bytes arrive, before any of the frame is
/// buffered: a size above `maxFrameBytes` (Kafka's `socket.request.max.bytes`) or below `minFrameBytes` fires
/// ``FrameSizeError`` down the pipeline (whose handler closes the connection) and everything after it is dropped.
///
/// Owned by the channel's event loop; not shared.
public final class KafkaFrameHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    public let maxFrameBytes: Int
    public let minFrameBytes: Int

    /// The frame being assembled, allocated at its full size; `nil` between frames.
    private var partial: ByteBuffer?
    /// Bytes still missing from `partial`.
    private var missing = 0
    /// Up to three bytes of a size prefix split across reads.
    private var sizePrefix = ByteBuffer()
    private var failed = false

    public init(maxFrameBytes: Int, minFrameBytes: Int = 0) {
        self.maxFrameBytes = maxFrameBytes
        self.minFrameBytes = minFrameBytes
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var buffer = unwrapInboundIn(data)
        if partial != nil {
            let take = min(missing, buffer.readableBytes)
            var chunk = buffer.readSlice(length: take)!
            partial!.writeBuffer(&chunk)
            missing -= take
            guard missing == 0 else { return }
            let frame = partial!
            partial = nil
            context.fireChannelRead(wrapInboundOut(frame))
        }
        if sizePrefix.readableBytes > 0 {
            let take = min(4 - sizePrefix.readableBytes, buffer.readableBytes)
            var chunk = buffer.readSlice(length: take)!
            sizePrefix.writeBuffer(&chunk)
            guard sizePrefix.readableBytes == 4 else { return }
            let size = Int(sizePrefix.readInteger(as: Int32.self)!)
            sizePrefix.clear()
            guard startFrame(size: size, from: &buffer, context: context) else { return }
        }
        while !failed && buffer.readableBytes > 0 {
            guard let size = buffer.readInteger(as: Int32.self) else {
                sizePrefix.writeBuffer(&buffer)
                return
            }
            guard startFrame(size: Int(size), from: &buffer, context: context) else { return }
        }
    }

    /// Takes the frame of `size` bytes that starts at `buffer`'s reader index: passes it on when it is all there,
    /// else starts assembling it. Returns false when reading must stop (a refused size, or the buffer is used up).
    private func startFrame(size: Int, from buffer: inout ByteBuffer, context: ChannelHandlerContext) -> Bool {
        guard size >= minFrameBytes, size <= maxFrameBytes else {
            failed = true
            context.fireErrorCaught(FrameSizeError(size: size, limit: maxFrameBytes))
            return false
        }
        if buffer.readableBytes >= size {
            context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: size)!))
            return true
        }
        var frame = context.channel.allocator.buffer(capacity: size)
        frame.writeBuffer(&buffer)
        missing = size - frame.readableBytes
        partial = frame
        return false
    }

    public func channelInactive(context: ChannelHandlerContext) {
        // A partial frame at EOF is dropped: the peer went away mid-request.
        partial = nil
        sizePrefix.clear()
        context.fireChannelInactive()
    }
}
