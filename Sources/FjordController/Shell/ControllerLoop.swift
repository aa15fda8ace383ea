import FjordCluster
import FjordModel
import Logging
import NIOCore
import ZooKeeper

/// The controller's event loop: one ZooKeeper session after another, events handled one at a time.
///
/// Owned by the task running ``ControllerService/run()``; nothing here is shared. Session rules (ARCHITECTURE §2):
/// on expiry, or once disconnected for a third of the session timeout, the controller stops acting at once (the
/// session monitor clears ``ControllerStatus/isActive``, which also stops the broker channels), then resigns, opens
/// a new session and joins the election again. Every write is fenced by `/controller_epoch`'s version; a fenced
/// write makes the controller resign, and delete `/controller` if it is still its own so a new election happens.
final class ControllerLoop {
    let settings: ControllerSettings
    let advertised: Endpoint
    let logger: Logger
    let queue: ControllerEventQueue
    let status: ControllerStatusBox
    let group: any EventLoopGroup
    let metrics: ControllerProcessMetrics
    /// Leader elections seen in partition-state writes, for ``ControllerProcessMetrics``.
    var elections = ElectionTracker()
    var core: ControllerCore
    var session = 0
    var shuttingDown = false
    var zk: ZooKeeperClient?
    var watches: ControllerWatches?
    var channels: BrokerChannelManager
    var rebalanceTask: Task<Void, Never>?
    var monitorTask: Task<Void, Never>?

    init(
        settings: ControllerSettings, advertised: Endpoint, logger: Logger, queue: ControllerEventQueue,
        status: ControllerStatusBox, group: any EventLoopGroup,
        metrics: ControllerProcessMetrics = ControllerProcessMetrics()
    ) {
        self.settings = settings
        self.advertised = advertised
        self.logger = logger
        self.queue = queue
        self.status = status
        self.group = group
        self.metrics = metrics
        self.core = ControllerCore(configuration: settings.coreConfiguration)
        let queueRef = queue
        self.channels = BrokerChannelManager(
            group: group, timeoutMs: Int64(settings.controllerSocketTimeoutMs), logger: logger,
            isFenced: { [status] in !status.isActive },
            onResponse: { broker, request, error, partitions in
                guard case .stopReplica(_, let states) = request, states.contains(where: \.deletePartition) else {
                    return
                }
                let deleting = Set(states.filter(\.deletePartition).map(\.topicPartition))
                var errors: [TopicPartition: ControllerErrorCode] = [:]
                for tp in deleting { errors[tp] = ControllerErrorCode(rawValue: partitions[tp] ?? error) }
                queueRef.put(
                    .core(
                        .stopReplicaResponse(
                            broker: broker, error: ControllerErrorCode(rawValue: error), partitions: errors)))
            })
    }

    func run() async {
        while !shuttingDown && !status.value.stopping {
            do {
                try await runSession()
            } catch {
                logger.warning("ZooKeeper session ended with an error", metadata: ["error": "\(error)"])
            }
            await endSession()
            if !shuttingDown && !status.value.stopping { try? await Task.sleep(for: .milliseconds(500)) }
        }
        // Requests still queued get NOT_CONTROLLER from the standby core.
        while queue.count > 0 {
            if case .request(let event, let reply) = await queue.next() { reply(answer(event)) }
        }
    }

    private func runSession() async throws {
        session += 1
        let connectString = settings.zookeeperConnect
        let connectTimeout = Duration.milliseconds(settings.zookeeperConnectionTimeoutMs)
        try await ZooKeeperClient.ensureChroot(connectString: connectString, connectTimeout: connectTimeout)
        let zk = try await ZooKeeperClient.connect(
            connectString: connectString, sessionTimeout: .milliseconds(settings.zookeeperSessionTimeoutMs),
            connectTimeout: connectTimeout)
        metrics.followSession(zk)
        self.zk = zk
        logger.info(
            "ZooKeeper session open",
            metadata: [
                "session": "\(String(zk.sessionID, radix: 16))",
                "timeout_ms": "\(Int(zk.negotiatedSessionTimeout.milliseconds))",
            ])
        for path in ZNodePaths.persistentRoots { try await zk.ensurePath(path) }
        startSessionMonitor(zk)
        let watches = ControllerWatches(zk: zk, queue: queue, logger: logger)
        self.watches = watches
        try await watches.watchController()
        queue.put(.controllerChanged)
        while true {
            let event = await queue.next()
            switch event {
            case .sessionLost(let lost) where lost == session:
                logger.warning("ZooKeeper session lost; resigning")
                await resign(deleteControllerNode: false)
                return
            case .sessionLost:
                continue
            case .shutdown:
                shuttingDown = true
                await resign(deleteControllerNode: false)
                return
            default:
                await handle(event)
            }
        }
    }

    private func endSession() async {
        monitorTask?.cancel()
        monitorTask = nil
        watches?.disarmAll()
        watches = nil
        if let zk { await zk.close() }
        zk = nil
    }

    /// Watches the session: expiry or a long disconnection ends it; the controller stops acting first.
    private func startSessionMonitor(_ zk: ZooKeeperClient) {
        let lostSession = session
        let queue = self.queue
        let status = self.status
        let controllerMetrics = metrics.controller
        monitorTask = Task {
            for await state in zk.sessionStates() {
                switch state {
                case .connected:
                    continue
                case .connecting:
                    while zk.state == .connecting && !zk.mustAssumeSessionLost() {
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                    guard zk.mustAssumeSessionLost() else { continue }
                default:
                    break
                }
                status.update { $0.isActive = false }
                if status.value.epoch != nil { controllerMetrics.resigned() }
                queue.put(.sessionLost(session: lostSession), urgent: true)
                return
            }
        }
    }

    /// The answer to a request when no event can be handled (shutting down): NOT_CONTROLLER.
    func answer(_ event: ControllerEvent) -> ControllerReply {
        var standby = ControllerCore(configuration: settings.coreConfiguration)
        _ = standby.handle(event)
        return standby.finish(.allApplied).reply ?? .controlledShutdown(.notController, remaining: [])
    }
}
