import FjordCluster
import FjordCoordinator
import FjordModel
import FjordNetwork
import FjordObservability
import FjordReplication
import FjordStorage
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import Synchronization
import ZooKeeper

/// A running broker: the process lifecycle around the request processor.
///
/// Start (``start(config:logger:)``), in Kafka's order: open the log directory (recovery), bind the listeners (so
/// port 0 resolves before it is advertised), create the ZooKeeper chroot, open the session, create the top-level
/// paths and cluster id, register `/brokers/ids/<id>` (the broker epoch is the node's czxid), start the group
/// coordinator, the watches (`/controller`, topic configs), the replica manager and the periodic disk work.
///
/// While running, a supervisor task watches the session: when it expires, it opens a new one, registers again
/// (new epoch) and hands the new session to everything that uses ZooKeeper. While disconnected,
/// ``BrokerSession/mustAssumeSessionLost()`` fences the replica manager.
///
/// Stop (``shutdown()``): a controlled shutdown first (ControlledShutdown to the controller, retried
/// `controlled.shutdown.max.retries` times, so leadership moves away while this broker still serves), then stop
/// accepting connections, stop the replica manager, close the logs (flush, checkpoints, clean-shutdown marker) and
/// close the ZooKeeper session, which removes the registration.
public final class BrokerServer: Sendable {
    public let config: BrokerConfig
    public let context: BrokerContext
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    let blockingPool: NIOThreadPool
    let server: KafkaServer
    let registrar: BrokerRegistrar
    private let state = Mutex(State())
    private let stopped: AsyncStream<Void>
    private let stoppedContinuation: AsyncStream<Void>.Continuation

    private struct State {
        var tasks: [Task<Void, Never>] = []
        var coordinatorTask: Task<Void, Never>?
        var shuttingDown = false
        var shutdownTask: Task<Void, Never>?
    }

    /// The listeners as bound (listener name → port).
    public var boundPorts: [String: Int] {
        Dictionary(server.listeners.map { ($0.name, $0.port) }, uniquingKeysWith: { a, _ in a })
    }

    private init(
        config: BrokerConfig, context: BrokerContext, logger: Logger, group: MultiThreadedEventLoopGroup,
        blockingPool: NIOThreadPool, server: KafkaServer, registrar: BrokerRegistrar
    ) {
        self.config = config
        self.context = context
        self.logger = logger
        self.group = group
        self.blockingPool = blockingPool
        self.server = server
        self.registrar = registrar
        (stopped, stoppedContinuation) = AsyncStream<Void>.makeStream()
    }

    // MARK: Start

    /// Starts a broker and returns once it is registered and serving.
    ///
    /// - Parameter metrics: where the broker's metrics go (the process serves them at `/metrics`).
    public static func start(
        config: BrokerConfig, logger: Logger, metrics: BrokerMetrics = BrokerMetrics()
    ) async throws -> BrokerServer {
        var logger = logger
        logger[metadataKey: "broker"] = "\(config.brokerID)"
        logger.info(
            "starting",
            metadata: ["listeners": "\(config.listeners.map(\.description).joined(separator: ","))"])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: config.numNetworkThreads)
        let blockingPool = NIOThreadPool(numberOfThreads: 2)
        blockingPool.start()
        do {
            return try await assemble(
                config: config, logger: logger, metrics: metrics, group: group, blockingPool: blockingPool)
        } catch {
            try? await group.shutdownGracefully()
            try? await blockingPool.shutdownGracefully()
            throw error
        }
    }

    private static func assemble(
        config: BrokerConfig, logger: Logger, metrics: BrokerMetrics, group: MultiThreadedEventLoopGroup,
        blockingPool: NIOThreadPool
    ) async throws -> BrokerServer {
        let session = BrokerSession()
        let applier = TopicConfigApplier()
        let topicConfigs = TopicConfigStore(
            defaults: config, session: session, logger: logger,
            onChange: { topic, logConfig in applier.apply(logConfig, to: topic, logger: logger) })
        if config.logDirs.count > 1 {
            logger.warning(
                "several log.dirs given; Fjord uses only the first", metadata: ["log_dir": "\(config.logDirs[0])"])
        }
        let logManager = try await blockingPool.runIfActive {
            try LogManager(
                directory: config.logDirs[0], logger: logger,
                configForPartition: { topicConfigs.logConfig(for: $0.topic) })
        }
        applier.set(logManager)
        let metadataCache = MetadataCache()
        let controllerChannel = BrokerControllerChannel(
            session: session, eventLoopGroup: group, brokerID: config.brokerID, logger: logger)
        let producerIDs = ProducerIdManager(
            broker: config.brokerID, zooKeeper: CurrentSessionZooKeeper(session: session), logger: logger)
        let context = BrokerContext.assemble(
            config: config, metadataCache: metadataCache, session: session, controllerChannel: controllerChannel,
            topicConfigs: topicConfigs, logManager: logManager, producerIDs: producerIDs, group: group,
            blockingPool: blockingPool, logger: logger, metrics: metrics)
        metrics.installScrapeHooks(context)
        applier.set(afterChange: { [replicaManager = context.replicaManager] in
            replicaManager.minInsyncReplicasChanged(topic: $0)
        })
        let server = try await KafkaServer.start(
            listeners: config.listeners.map { ($0.listenerName, $0.host, $0.port) }, group: group,
            configuration: KafkaServer.Configuration(
                maxRequestBytes: config.socketRequestMaxBytes, idleTimeoutMs: config.connectionsMaxIdleMs),
            processor: BrokerRequestProcessor(broker: context), logger: logger)
        let bound = Dictionary(server.listeners.map { ($0.name, $0.port) }, uniquingKeysWith: { a, _ in a })
        let advertised = config.advertisedListeners.map { endpoint -> Endpoint in
            var e = endpoint
            if e.port == 0 { e.port = bound[e.listenerName] ?? 0 }
            return e
        }
        let registration = BrokerRegistration(
            endpoints: advertised, interBrokerListener: config.interBrokerListenerName, rack: config.rack,
            timestamp: .now())
        let registrar = BrokerRegistrar(
            brokerID: config.brokerID, registration: registration,
            ownerExpiryWaitMs: Int64(config.zooKeeperSessionTimeoutMs) * 3 / 2 + 2_000, logger: logger)
        let broker = BrokerServer(
            config: config, context: context, logger: logger, group: group, blockingPool: blockingPool,
            server: server, registrar: registrar)
        do {
            try await broker.connectAndRegister()
        } catch {
            await server.stopAccepting()
            try? await blockingPool.runIfActive { try logManager.close() }
            throw error
        }
        broker.startBackgroundWork()
        logger.info(
            "started",
            metadata: [
                "epoch": "\(session.brokerEpoch)", "cluster": "\(context.clusterID ?? "?")",
                "ports": "\(bound.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
            ])
        return broker
    }

    // MARK: ZooKeeper session

    /// Opens a session (creating the chroot first), prepares the cluster paths, registers, and installs the
    /// session. Used at start and after an expiry.
    func connectAndRegister() async throws {
        let connectString = config.zooKeeperConnect
        let timeout = Duration.milliseconds(config.zooKeeperConnectionTimeoutMs)
        ZooKeeperLibraryLogging.forward(to: logger)
        try await ZooKeeperClient.ensureChroot(connectString: connectString, connectTimeout: timeout)
        let zk = try await ZooKeeperClient.connect(
            connectString: connectString, sessionTimeout: .milliseconds(config.zooKeeperSessionTimeoutMs),
            connectTimeout: timeout)
        // Ends by itself once this session is closed.
        _ = context.metrics.followSession(zk)
        do {
            context.clusterID = try await BrokerRegistrar.prepareCluster(zk)
            let epoch = try await registrar.register(zk)
            context.session.install(zk, epoch: epoch)
            logger.info(
                "registered in ZooKeeper",
                metadata: ["epoch": "\(epoch)", "session": "\(String(zk.sessionID, radix: 16))"])
            if let coordinator = context.groupCoordinator {
                await coordinator.replaceSession(zooKeeper: zk, brokerEpoch: epoch)
            } else {
                context.groupCoordinator = GroupCoordinator(
                    broker: config.brokerID, brokerEpoch: epoch, zooKeeper: zk, config: config.groupCoordinator,
                    logger: logger)
            }
            restartCoordinatorTask()
        } catch {
            await zk.close()
            throw error
        }
    }

    private func restartCoordinatorTask() {
        guard let coordinator = context.groupCoordinator else { return }
        let task = Task { await coordinator.run() }
        let old = state.withLock { state -> Task<Void, Never>? in
            defer { state.coordinatorTask = task }
            return state.coordinatorTask
        }
        old?.cancel()
    }

    /// Waits for the session to end; unless shutting down, opens a new one and registers again.
    private func superviseSession() async {
        while !Task.isCancelled {
            guard let zk = try? context.session.current() else { return }
            for await sessionState in zk.sessionStates() where sessionState.isFinal { break }
            if isShuttingDown || Task.isCancelled { return }
            logger.warning(
                "ZooKeeper session ended; registering again with a new session",
                metadata: ["state": "\(zk.state)"])
            await zk.close()
            var attempt = 0
            while !isShuttingDown && !Task.isCancelled {
                attempt += 1
                do {
                    try await connectAndRegister()
                    break
                } catch {
                    logger.error(
                        "could not register again", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                    if error is BrokerRegistrar.BrokerIDInUse { break }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    private var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// What `/health` answers: ready once registered in ZooKeeper (the listeners are bound before registering) and
    /// while the session is not to be assumed lost; not ready while shutting down.
    public var health: HealthStatus {
        if isShuttingDown { return .unhealthy("shutting down") }
        if context.session.brokerEpoch == .none { return .unhealthy("not registered in ZooKeeper") }
        if context.session.mustAssumeSessionLost() { return .unhealthy("ZooKeeper session lost; registering again") }
        return .healthy
    }

    // MARK: Background work

    private func startBackgroundWork() {
        context.replicaManager.start()
        let logManager = context.logManager
        let pool = blockingPool
        let logger = self.logger
        let retentionMs = max(1_000, config.logRetentionCheckIntervalMs)
        let tasks: [Task<Void, Never>] = [
            Task { await self.superviseSession() },
            Task { await self.context.controllerChannel.run() },
            Task { await self.context.topicConfigs.run() },
            Self.periodic(every: .milliseconds(retentionMs)) {
                _ = try? await pool.runIfActive { logManager.runRetention() }
            },
            Self.periodic(every: .seconds(1)) {
                do { try await pool.runIfActive { try logManager.flushDueLogs() } } catch {
                    logger.error("flush failed", metadata: ["error": "\(error)"])
                }
            },
            Self.periodic(every: .seconds(60)) {
                do { try await pool.runIfActive { try logManager.writeCheckpoints() } } catch {
                    logger.error("checkpoint write failed", metadata: ["error": "\(error)"])
                }
            },
            // fjord_groups{state}: the coordinator's groups, counted every 10 s (a scrape cannot await its hosts).
            Self.periodic(every: .seconds(10)) { [context] in
                guard let coordinator = context.groupCoordinator else { return }
                context.metrics.recordGroupStates(await coordinator.listGroups().map(\.state.rawValue))
            },
        ]
        state.withLock { state in state.tasks = tasks }
    }

    private static func periodic(every interval: Duration, _ work: @escaping @Sendable () async -> Void) -> Task<
        Void, Never
    > {
        Task {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                await work()
            }
        }
    }

    // MARK: Stop

    /// Returns once the broker has shut down.
    public func run() async {
        for await _ in stopped {}
    }

    /// Controlled shutdown, then teardown. Idempotent; concurrent callers wait for the same shutdown.
    public func shutdown() async {
        let task = state.withLock { state -> Task<Void, Never> in
            if let existing = state.shutdownTask { return existing }
            state.shuttingDown = true
            let task = Task { await self.performShutdown() }
            state.shutdownTask = task
            return task
        }
        await task.value
    }

    private func performShutdown() async {
        logger.info("shutting down")
        if config.controlledShutdownEnable { await controlledShutdown() }
        await server.stopAccepting()
        let (tasks, coordinatorTask) = state.withLock { ($0.tasks, $0.coordinatorTask) }
        for task in tasks { task.cancel() }
        coordinatorTask?.cancel()
        await context.replicaManager.shutdown()
        await context.groupCoordinator?.unloadAll(reason: "broker shutting down")
        let logManager = context.logManager
        do {
            try await blockingPool.runIfActive { try logManager.close() }
        } catch {
            logger.error("closing the logs failed", metadata: ["error": "\(error)"])
        }
        context.controllerChannel.close()
        let zk = try? context.session.current()
        context.session.markClosed()
        await zk?.close()
        for task in tasks { await task.value }
        try? await group.shutdownGracefully()
        try? await blockingPool.shutdownGracefully()
        logger.info("shut down")
        stoppedContinuation.finish()
    }

    /// Asks the controller to move leadership away, up to `controlled.shutdown.max.retries` attempts.
    private func controlledShutdown() async {
        let attempts = max(1, config.controlledShutdownMaxRetries)
        for attempt in 1...attempts {
            do {
                let response = try await context.controllerChannel.controlledShutdown(
                    brokerID: config.brokerID, brokerEpoch: context.session.brokerEpoch, timeoutMs: 30_000)
                if response.errorCode == 0 && response.remainingPartitions.isEmpty {
                    logger.info("controlled shutdown succeeded", metadata: ["attempt": "\(attempt)"])
                    return
                }
                logger.warning(
                    "controlled shutdown incomplete",
                    metadata: [
                        "attempt": "\(attempt)", "error": "\(ErrorCode(response.errorCode))",
                        "remaining": "\(response.remainingPartitions.count)",
                    ])
            } catch {
                logger.warning("controlled shutdown failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
            }
            if attempt < attempts {
                try? await Task.sleep(for: .milliseconds(config.controlledShutdownRetryBackoffMs))
            }
        }
        logger.warning("controlled shutdown did not complete; shutting down anyway")
    }
}

/// Applies topic config changes to what exists: the topic's open logs, and (through `afterChange`) the replica
/// manager's `min.insync.replicas`. Both are known only after start-up has built them; changes arriving earlier have
/// nothing to apply to (new logs read the current config when they are created).
final class TopicConfigApplier: Sendable {
    private let logManager = Mutex<LogManager?>(nil)
    private let afterChange = Mutex<(@Sendable (TopicName) -> Void)?>(nil)

    func set(_ manager: LogManager) { logManager.withLock { $0 = manager } }
    func set(afterChange hook: @escaping @Sendable (TopicName) -> Void) { afterChange.withLock { $0 = hook } }

    func apply(_ config: LogConfig, to topic: TopicName, logger: Logger) {
        if let manager = logManager.withLock({ $0 }) {
            for (partition, log) in manager.allLogs where partition.topic == topic {
                do {
                    try log.updateConfig(config)
                } catch {
                    logger.warning(
                        "could not apply topic config", metadata: ["partition": "\(partition)", "error": "\(error)"])
                }
            }
        }
        afterChange.withLock { $0 }?(topic)
    }
}
