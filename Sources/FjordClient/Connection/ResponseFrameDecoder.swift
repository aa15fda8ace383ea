import NIOCore

/// Splits the bytes a broker sends into response frames: an int32 size, then that many bytes.
///
/// The size is checked as soon as its four bytes arrive: a negative size, or one above `maxFrameBytes`, throws
/// ``KafkaClientError/Kind/protocolViolation`` and the connection closes before anything of the frame is buffered.
struct ResponseFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    let maxFrameBytes: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return .needMoreData }
        guard size >= 4, Int(size) <= maxFrameBytes else {
            throw KafkaClientError(
                .protocolViolation,
                "broker sent a response frame of \(size) bytes (limit \(maxFrameBytes)); is this a Kafka listener?")
        }
        guard buffer.readableBytes >= 4 + Int(size) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(Self.wrapInboundOut(buffer.readSlice(length: Int(size))!))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}
