import NIOCore

/// Splits a TCP byte stream into Kafka frames: a big-endian int32 size followed by that many bytes.
///
/// The size is checked the moment its four bytes arrive, before any of the frame is buffered: a size above
/// `maxFrameBytes` (Kafka's `socket.request.max.bytes`) or below `minFrameBytes` throws ``FrameSizeError`` and the
/// pipeline closes the connection, so an oversized request is refused before it is read.
public struct KafkaFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public let maxFrameBytes: Int
    public let minFrameBytes: Int

    public init(maxFrameBytes: Int, minFrameBytes: Int = 0) {
        self.maxFrameBytes = maxFrameBytes
        self.minFrameBytes = minFrameBytes
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return .needMoreData }
        guard size >= minFrameBytes, Int(size) <= maxFrameBytes else {
            throw FrameSizeError(size: Int(size), limit: maxFrameBytes)
        }
        guard buffer.readableBytes >= 4 + Int(size) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        let frame = buffer.readSlice(length: Int(size))!
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A partial frame at EOF is dropped: the peer went away mid-request.
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}

/// A frame declared a size outside the accepted range; the connection is closed without reading it.
public struct FrameSizeError: Error, CustomStringConvertible, Sendable {
    public var size: Int
    public var limit: Int
    public var description: String { "frame of \(size) bytes refused (limit \(limit))" }
}
