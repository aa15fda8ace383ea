import FjordCluster
import FjordModel
import FjordNetwork
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
public final class ControllerService: Sendable {
    public let settings: ControllerSettings
    private let logger: Logger
    private let queue = ControllerEventQueue()
    private let statusBox = ControllerStatusBox()
    private let group: any EventLoopGroup

    public init(
        settings: ControllerSettings, logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.settings = settings
        self.logger = logger
        self.group = group
    }

    public var status: ControllerStatus { statusBox.value }

    /// Runs until ``shutdown()``: binds the RPC listener, then joins the election, session after session.
    public func run() async throws {
        // The C client's own lines go through swift-log (at debug), not raw to stderr.
        ZooKeeperLibraryLogging.forward(to: Logger(label: "fjord.controller.zookeeper"))
        let server = try await KafkaServer.start(
            listeners: [(settings.listener.listenerName, settings.listener.host, settings.listener.port)], group: group,
            configuration: .init(maxRequestBytes: 100 * 1024 * 1024, idleTimeoutMs: 0),
            processor: ControllerRequestProcessor(queue: queue, logger: logger), logger: logger)
        var advertised = settings.advertisedListener
        if advertised.port == 0 { advertised.port = server.listeners.first?.port ?? 0 }
        let port = server.listeners.first?.port
        statusBox.update { $0.rpcPort = port }
        logger.info("controller listening", metadata: ["listener": "\(settings.listener)", "port": "\(port ?? 0)"])
        let loop = ControllerLoop(
            settings: settings, advertised: advertised, logger: logger, queue: queue, status: statusBox, group: group)
        await loop.run()
        await server.stopAccepting()
        logger.info("controller stopped")
    }

    /// Asks ``run()`` to resign, close its session (removing `/controller`) and return.
    public func shutdown() {
        statusBox.update { $0.stopping = true }
        queue.put(.shutdown, urgent: true)
    }
}
