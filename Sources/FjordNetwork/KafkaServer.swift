import Atomics
import Logging
import NIOCore
import NIOPosix

/// A TCP server speaking Kafka framing on one or more listeners, handing requests to a ``KafkaRequestProcessor``.
///
/// Each accepted connection gets: an idle timeout (Kafka's `connections.max.idle.ms`), a frame size limit checked
/// before reading (`socket.request.max.bytes`), and a ``KafkaServerHandler`` that keeps responses in request order.
public final class KafkaServer: Sendable {
    public struct Configuration: Sendable {
        public var maxRequestBytes: Int
        public var idleTimeoutMs: Int64
        public var maxQueuedRequestsPerConnection: Int
        public var socketSendBufferBytes: Int?
        public var socketReceiveBufferBytes: Int?

        public init(
            maxRequestBytes: Int = 100 * 1024 * 1024, idleTimeoutMs: Int64 = 600_000,
            maxQueuedRequestsPerConnection: Int = 64, socketSendBufferBytes: Int? = nil,
            socketReceiveBufferBytes: Int? = nil
        ) {
            self.maxRequestBytes = maxRequestBytes
            self.idleTimeoutMs = idleTimeoutMs
            self.maxQueuedRequestsPerConnection = maxQueuedRequestsPerConnection
            self.socketSendBufferBytes = socketSendBufferBytes
            self.socketReceiveBufferBytes = socketReceiveBufferBytes
        }
    }

    /// A bound listener: its name and the address it actually bound (port 0 resolves to a real port).
    public struct BoundListener: Sendable {
        public var name: String
        public var address: SocketAddress
        public var port: Int { address.port ?? 0 }
    }

    private let channels: [any Channel]
    public let listeners: [BoundListener]

    private init(channels: [any Channel], listeners: [BoundListener]) {
        self.channels = channels
        self.listeners = listeners
    }

    /// Binds every listener (`name`, `host`, `port`; an empty host binds all IPv4 interfaces; `localhost` binds both
    /// loopbacks where the host has them, on the port of the first) and starts serving.
    public static func start(
        listeners: [(name: String, host: String, port: Int)], group: any EventLoopGroup, configuration: Configuration,
        processor: any KafkaRequestProcessor, logger: Logger
    ) async throws -> KafkaServer {
        let connectionIds = ManagedAtomic<UInt64>(0)
        var channels: [any Channel] = []
        var bound: [BoundListener] = []
        do {
            for listener in listeners {
                let name = listener.name
                let bootstrap = ServerBootstrap(group: group)
                    .serverChannelOption(.backlog, value: 1024)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                    .childChannelOption(.maxMessagesPerRead, value: 16)
                    .childChannelOption(
                        .recvAllocator,
                        value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 64 * 1024, maximum: 1024 * 1024)
                    )
                    .childChannelInitializer { channel in
                        let info = ConnectionInfo(
                            id: connectionIds.wrappingIncrementThenLoad(ordering: .relaxed), listenerName: name,
                            remoteAddress: channel.remoteAddress, eventLoop: channel.eventLoop, channel: channel)
                        return channel.eventLoop.makeCompletedFuture {
                            let sync = channel.pipeline.syncOperations
                            if configuration.idleTimeoutMs > 0 {
                                try sync.addHandler(
                                    IdleStateHandler(allTimeout: .milliseconds(configuration.idleTimeoutMs)))
                            }
                            try sync.addHandler(KafkaFrameHandler(maxFrameBytes: configuration.maxRequestBytes))
                            try sync.addHandler(
                                KafkaServerHandler(
                                    processor: processor, connection: info,
                                    maxQueuedRequests: configuration.maxQueuedRequestsPerConnection, logger: logger))
                        }
                    }
                let host = listener.host.isEmpty ? "0.0.0.0" : listener.host
                let channel = try await bootstrap.bind(host: host, port: listener.port).get()
                channels.append(channel)
                bound.append(BoundListener(name: name, address: channel.localAddress!))
                logger.info(
                    "listening", metadata: ["listener": "\(name)", "address": "\(channel.localAddress!)"])
                if host == "localhost", let port = channel.localAddress?.port,
                    let also = channel.localAddress?.protocol == .inet ? "::1" : "127.0.0.1"
                {
                    // Resolvers that list ::1 first send clients of `localhost` there before 127.0.0.1; one
                    // listener on both loopbacks spares them a refused connection (and librdkafka's error line).
                    // A host without that address family keeps the one bind.
                    do {
                        let other = try await bootstrap.bind(host: also, port: port).get()
                        channels.append(other)
                        bound.append(BoundListener(name: name, address: other.localAddress!))
                        logger.info(
                            "listening", metadata: ["listener": "\(name)", "address": "\(other.localAddress!)"])
                    } catch {
                        logger.debug(
                            "not listening on the other loopback",
                            metadata: ["listener": "\(name)", "address": "\(also)", "error": "\(error)"])
                    }
                }
            }
        } catch {
            for channel in channels { try? await channel.close() }
            throw error
        }
        return KafkaServer(channels: channels, listeners: bound)
    }

    /// Stops accepting connections. Open connections are left to close with their peers or the event loop group.
    public func stopAccepting() async {
        for channel in channels { try? await channel.close() }
    }
}
