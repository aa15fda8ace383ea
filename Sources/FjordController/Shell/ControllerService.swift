import FjordCluster
import FjordModel
import FjordNetwork
import FjordObservability
import Logging
import NIOCore
import NIOPosix
import ZooKeeper

/// The controller process: serves brokers on its RPC listener, takes part in the controller election, and while
/// active drives ``ControllerCore`` from ZooKeeper watches, broker requests and timers.
///
/// Concurrency: all controller state (the core, the ZooKeeper session, the broker channels, the watches) belongs to
/// the one task running ``run()``, which takes events from a serial queue one at a time (Kafka's
/// `ControllerEventManager`); within an event, ZooKeeper reads and writes are pipelined. Other tasks only put events
/// on the queue and read ``status``.
///
/// Observability: with `metrics.port` set, ``run()`` serves ``metrics`` at `/metrics` and readiness at `/health`
/// (ready once the RPC listener is bound and the ZooKeeper session is connected, active or standing by).
public final class ControllerService: Sendable {
    public let settings: ControllerSettings
    /// The process's metrics (requests, controller gauges and elections, ZooKeeper session state).
    public let metrics: ControllerProcessMetrics
    private let logger: Logger
    private let queue = ControllerEventQueue()
    private let statusBox = ControllerStatusBox()
    private let group: any EventLoopGroup

    public init(
        settings: ControllerSettings, logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metrics: ControllerProcessMetrics = ControllerProcessMetrics()
    ) {
        self.settings = settings
        self.logger = logger
        self.group = group
        self.metrics = metrics
    }

    /// Installs Fjord's log handler for the process (`log.level`, `log.format`, `log.file`); call once, from main.
    public static func bootstrapLogging(_ settings: ControllerSettings) throws {
        try Observability.bootstrapLogging(settings.observability)
    }

    /// What `/health` answers.
    public var health: HealthStatus {
        let status = statusBox.value
        if status.stopping { return .unhealthy("shutting down") }
        if status.rpcPort == nil { return .unhealthy("RPC listener not bound") }
        if metrics.zooKeeper.current != .connected { return .unhealthy("ZooKeeper session not connected") }
        return .healthy
    }

    public var status: ControllerStatus { statusBox.value }

    /// Runs until ``shutdown()``: binds the RPC listener, then joins the election, session after session.
    public func run() async throws {
        // The C client's own lines go through swift-log (at debug), not raw to stderr.
        ZooKeeperLibraryLogging.forward(to: Logger(label: "fjord.controller.zookeeper"))
        let metricsServer = try await Observability.startMetrics(
            settings.observability, metrics: metrics.registry, health: { [weak self] in self?.health ?? .healthy },
            group: group, logger: logger)
        let server: KafkaServer
        do {
            server = try await KafkaServer.start(
                listeners: [(settings.listener.listenerName, settings.listener.host, settings.listener.port)],
                group: group, configuration: .init(maxRequestBytes: 100 * 1024 * 1024, idleTimeoutMs: 0),
                processor: ControllerRequestProcessor(queue: queue, logger: logger, metrics: metrics.requests),
                logger: logger)
        } catch {
            await metricsServer?.shutdown()
            throw error
        }
        var advertised = settings.advertisedListener
        if advertised.port == 0 { advertised.port = server.listeners.first?.port ?? 0 }
        let port = server.listeners.first?.port
        statusBox.update { $0.rpcPort = port }
        logger.info("controller listening", metadata: ["listener": "\(settings.listener)", "port": "\(port ?? 0)"])
        let loop = ControllerLoop(
            settings: settings, advertised: advertised, logger: logger, queue: queue, status: statusBox, group: group,
            metrics: metrics)
        await loop.run()
        await server.stopAccepting()
        await metricsServer?.shutdown()
        logger.info("controller stopped")
    }

    /// Asks ``run()`` to resign, close its session (removing `/controller`) and return.
    public func shutdown() {
        statusBox.update { $0.stopping = true }
        queue.put(.shutdown, urgent: true)
    }
}
