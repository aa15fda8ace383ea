import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The HTTP/1.1 endpoint of a process's metrics and health: `/metrics` and `/health` (see ``MetricsHTTPHandler``).
///
/// Start it with ``start(host:port:metrics:health:group:logger:)`` after the metric groups exist; stop it with
/// ``shutdown()``. Port 0 binds a free port (tests); ``port`` tells which. Thread-safe.
public final class MetricsServer: Sendable {
    /// The bound port.
    public let port: Int
    private let channel: any Channel
    private let logger: Logger

    private init(port: Int, channel: any Channel, logger: Logger) {
        self.port = port
        self.channel = channel
        self.logger = logger
    }

    /// Binds `host:port` and serves until ``shutdown()``.
    ///
    /// - Parameters:
    ///   - health: evaluated per `/health` request on the event loop; must be quick and must not block.
    ///   - idleTimeoutSeconds: connections without a request for this long are closed.
    public static func start(
        host: String, port: Int, metrics: FjordMetrics,
        health: @escaping @Sendable () -> HealthStatus = { .healthy },
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, idleTimeoutSeconds: Int64 = 60,
        logger: Logger
    ) async throws -> MetricsServer {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    try operations.addHandler(IdleStateHandler(readTimeout: .seconds(idleTimeoutSeconds)))
                    try operations.configureHTTPServerPipeline(withErrorHandling: true)
                    try operations.addHandler(MetricsHTTPHandler(metrics: metrics, health: health))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        let bound = channel.localAddress?.port ?? port
        logger.info("metrics endpoint listening", metadata: ["host": "\(host)", "port": "\(bound)"])
        return MetricsServer(port: bound, channel: channel, logger: logger)
    }

    /// Stops accepting connections and closes the listening socket (open connections finish their response).
    public func shutdown() async {
        do {
            try await channel.close()
        } catch {
            logger.debug("metrics endpoint close failed", metadata: ["error": "\(error)"])
        }
    }
}
