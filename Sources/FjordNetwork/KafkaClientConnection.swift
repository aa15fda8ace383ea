import NIOCore
import NIOPosix

/// A client connection to a Kafka-protocol server (a broker or the controller), used for inter-process requests:
/// controller → broker control requests, broker → controller AlterPartition, follower → leader replica fetches.
///
/// Requests may be pipelined; responses are matched to requests by correlation id in order. Thread-safe: `send`
/// may be called from any thread; the connection's state lives on its channel's event loop.
public final class KafkaClientConnection: Sendable {
    public struct Configuration: Sendable {
        public var connectTimeoutMs: Int64
        public var maxResponseBytes: Int
        public var clientId: String?

        public init(connectTimeoutMs: Int64 = 5_000, maxResponseBytes: Int = 256 * 1024 * 1024, clientId: String?) {
            self.connectTimeoutMs = connectTimeoutMs
            self.maxResponseBytes = maxResponseBytes
            self.clientId = clientId
        }
    }

    public let channel: any Channel
    public let configuration: Configuration
    public let host: String
    public let port: Int

    private init(channel: any Channel, configuration: Configuration, host: String, port: Int) {
        self.channel = channel
        self.configuration = configuration
        self.host = host
        self.port = port
    }

    public var eventLoop: any EventLoop { channel.eventLoop }
    public var isActive: Bool { channel.isActive }
    /// Completes when the connection has closed, for whatever reason.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    public static func connect(
        host: String, port: Int, group: any EventLoopGroup, configuration: Configuration
    ) async throws -> KafkaClientConnection {
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(configuration.connectTimeoutMs))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            // Replica fetch responses run to megabytes: read them in large chunks (as the server reads requests).
            .channelOption(
                .recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 64 * 1024, maximum: 1024 * 1024)
            )
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        KafkaFrameHandler(maxFrameBytes: configuration.maxResponseBytes))
                    try channel.pipeline.syncOperations.addHandler(KafkaClientHandler())
                }
            }
        let channel = try await bootstrap.connect(host: host, port: port).get()
        return KafkaClientConnection(channel: channel, configuration: configuration, host: host, port: port)
    }

    /// Sends one request and returns its response frame with the reader index just past the correlation id (the
    /// caller skips a response header's tagged fields when the response header is v1).
    ///
    /// - Parameters:
    ///   - headerVersion: 1 (non-flexible request) or 2 (flexible: adds an empty tagged-field section).
    ///   - expectsResponse: false for acks=0 produce; the returned future then completes once written, with an
    ///     empty buffer.
    ///   - timeoutMs: the request fails with ``KafkaClientError/timedOut`` and the connection closes if no response
    ///     arrives in time (Kafka clients disconnect on request timeout too, keeping correlation simple).
    ///   - body: writes the request body after the header.
    public func send(
        apiKey: Int16, apiVersion: Int16, headerVersion: Int = 1, expectsResponse: Bool = true,
        timeoutMs: Int64 = 30_000, body: (inout ByteBuffer) -> Void
    ) -> EventLoopFuture<ByteBuffer> {
        var buffer = channel.allocator.buffer(capacity: 256)
        buffer.writeInteger(Int32(0))  // size, patched below
        buffer.writeInteger(apiKey)
        buffer.writeInteger(apiVersion)
        buffer.writeInteger(Int32(0))  // correlation id, patched on the event loop
        if let clientId = configuration.clientId {
            let utf8 = Array(clientId.utf8)
            buffer.writeInteger(Int16(utf8.count))
            buffer.writeBytes(utf8)
        } else {
            buffer.writeInteger(Int16(-1))
        }
        if headerVersion >= 2 { buffer.writeInteger(UInt8(0)) }
        body(&buffer)
        buffer.setInteger(Int32(buffer.readableBytes - 4), at: 0)
        let frame = buffer
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let channel = self.channel
        channel.eventLoop.execute {
            do {
                let handler = try channel.pipeline.syncOperations.handler(type: KafkaClientHandler.self)
                handler.submit(
                    frame: frame, expectsResponse: expectsResponse, timeoutMs: timeoutMs, promise: promise,
                    channel: channel)
            } catch {
                promise.fail(KafkaClientError.connectionClosed)
            }
        }
        return promise.futureResult
    }

    public func close() {
        channel.close(promise: nil)
    }
}

public enum KafkaClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case connectionClosed
    case timedOut
    case unexpectedCorrelationId(expected: Int32, got: Int32)

    public var description: String {
        switch self {
        case .connectionClosed: "connection closed"
        case .timedOut: "request timed out"
        case .unexpectedCorrelationId(let e, let g): "response correlation id \(g), expected \(e)"
        }
    }
}

/// Matches responses to requests in order. Lives on the channel's event loop.
final class KafkaClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private struct Pending {
        var correlationId: Int32
        var promise: EventLoopPromise<ByteBuffer>
        var timeout: Scheduled<Void>?
    }

    private var nextCorrelationId: Int32 = 1
    private var pending = CircularBuffer<Pending>()
    private var closed = false

    func submit(
        frame: ByteBuffer, expectsResponse: Bool, timeoutMs: Int64, promise: EventLoopPromise<ByteBuffer>,
        channel: any Channel
    ) {
        guard !closed, channel.isActive else {
            promise.fail(KafkaClientError.connectionClosed)
            return
        }
        var frame = frame
        let id = nextCorrelationId
        nextCorrelationId = nextCorrelationId == Int32.max ? 1 : nextCorrelationId + 1
        frame.setInteger(id, at: frame.readerIndex + 8)
        if expectsResponse {
            let timeout = channel.eventLoop.scheduleTask(in: .milliseconds(timeoutMs)) {
                promise.fail(KafkaClientError.timedOut)
                channel.close(promise: nil)
            }
            pending.append(Pending(correlationId: id, promise: promise, timeout: timeout))
            channel.writeAndFlush(frame, promise: nil)
        } else {
            let written = channel.eventLoop.makePromise(of: Void.self)
            channel.writeAndFlush(frame, promise: written)
            let allocator = channel.allocator
            written.futureResult.map { allocator.buffer(capacity: 0) }.cascade(to: promise)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        guard let id = frame.readInteger(as: Int32.self), let head = pending.first else {
            context.close(promise: nil)
            return
        }
        guard id == head.correlationId else {
            failAll(KafkaClientError.unexpectedCorrelationId(expected: head.correlationId, got: id))
            context.close(promise: nil)
            return
        }
        pending.removeFirst()
        head.timeout?.cancel()
        head.promise.succeed(frame)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        failAll(KafkaClientError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let p = pending.popFirst() {
            p.timeout?.cancel()
            p.promise.fail(error)
        }
    }
}
