import FjordModel
import Logging
import ZooKeeper

/// Everything a group's host needs from its coordinator (one broker incarnation and ZooKeeper session).
struct CoordinatorContext: Sendable {
    let broker: BrokerID
    let brokerEpoch: BrokerEpoch
    let zooKeeper: any CoordinatorZooKeeper
    let config: GroupCoordinatorConfig
    let scheduler: any GroupTimerScheduler
    let clock: @Sendable () -> TimestampMs
    let logger: Logger
    /// Larger znode contents are refused before they reach ZooKeeper (its `jute.maxbuffer` is 1 MiB).
    let zNodeMaxBytes: Int
}

/// The answer the shell got for one request.
enum HostAnswer: Sendable {
    case directive(GroupDirective)
    /// The request never reached the state machine (not the coordinator, load failed).
    case failed(GroupErrorCode)
}

/// The shell around one group's ``GroupStateMachine``: claims the group in ZooKeeper, loads it, feeds it requests
/// with real time, runs its timers and writes, and answers the waiting callers.
///
/// An actor: every event of the group is serialized on it, while groups proceed in parallel. ZooKeeper calls are
/// asynchronous (they never block a thread); while one is in flight other events of the group (heartbeats, say)
/// are handled. Writes go out one `multi` at a time per group, in ticket order; writes produced meanwhile are
/// merged into the next `multi` (each carries full node contents, so the last one per node wins), so an
/// OffsetCommit costs at most one ZooKeeper round trip.
///
/// Lifecycle: idle → loading (claim + read, single-flight) → loaded → unloaded. Unloaded is final: the coordinator
/// drops the host, and the next request for the group creates a new one, which claims the group again (bumping
/// the coordinator epoch) and reloads it from ZooKeeper.
actor GroupHost {
    nonisolated let groupID: GroupID
    let paths: GroupZNodePaths
    let context: CoordinatorContext
    private let onUnload: @Sendable (GroupHost) -> Void
    var machine: GroupStateMachine
    var phase = Phase.idle
    var versions = ZNodeVersions()
    private var waiting: [RequestToken: CheckedContinuation<GroupDirective?, Never>] = [:]
    private var timerHandles: [GroupTimerKey: (id: UInt64, handle: GroupTimerHandle)] = [:]
    private var nextTimerID: UInt64 = 0
    private var nextToken: UInt64 = 1
    var writeQueue: [PreparedWrite] = []
    /// Writes refused for their size, reported after the directives that produced them.
    var oversized: [(WriteTicket, GroupErrorCode)] = []
    var writing = false

    enum Phase {
        case idle
        case loading(Task<GroupErrorCode?, Never>)
        case loaded
        case unloaded
    }

    /// The versions of the group's znodes as this coordinator last wrote or read them (nil: the node is absent).
    struct ZNodeVersions {
        var epoch: Int32 = -1
        var metadata: Int32?
        var offsets: Int32?
    }

    init(
        groupID: GroupID, context: CoordinatorContext, memberIDIncarnation: String,
        onUnload: @escaping @Sendable (GroupHost) -> Void
    ) {
        self.groupID = groupID
        self.paths = GroupZNodePaths(groupID)
        self.context = context
        self.onUnload = onUnload
        self.machine = GroupStateMachine(
            groupID: groupID, config: context.config, memberIDIncarnation: memberIDIncarnation)
    }

    var logger: Logger {
        var logger = context.logger
        logger[metadataKey: "group"] = "\(groupID)"
        return logger
    }

    // MARK: Requests

    /// Runs one request through the state machine and waits for its answer (possibly long: parked JoinGroups).
    func request(
        _ body: @Sendable (inout GroupStateMachine, RequestToken, TimestampMs) -> [GroupDirective]
    ) async -> HostAnswer {
        if let error = await ensureLoaded() { return .failed(error) }
        let token = RequestToken(nextToken)
        nextToken += 1
        let answer: GroupDirective? = await withCheckedContinuation { continuation in
            waiting[token] = continuation
            perform(body(&machine, token, context.clock()))
        }
        return answer.map { .directive($0) } ?? .failed(.notCoordinator)
    }

    /// Reads the loaded state machine.
    func query<T: Sendable>(_ body: @Sendable (GroupStateMachine) -> T) async -> Result<T, HostFailure> {
        if let error = await ensureLoaded() { return .failure(HostFailure(error: error)) }
        return .success(body(machine))
    }

    /// ListGroups' entry, if the group is loaded here and exists.
    func overview() -> GroupOverview? {
        guard case .loaded = phase else { return nil }
        return machine.overview
    }

    /// The periodic offset-retention pass.
    func expireOffsets() {
        guard case .loaded = phase else { return }
        perform(machine.expireOffsets(now: context.clock()))
    }

    // MARK: Directives

    /// Performs the state machine's directives in order.
    func perform(_ directives: [GroupDirective]) {
        for directive in directives {
            switch directive {
            case .respondJoin(let token, _), .respondSync(let token, _), .respondHeartbeat(let token, _),
                .respondLeave(let token, _), .respondOffsetCommit(let token, _), .respondDeleteGroup(let token, _):
                waiting.removeValue(forKey: token)?.resume(returning: directive)
            case .persist(let write):
                enqueue(write)
            case .scheduleTimer(let key, let deadline):
                arm(key, deadline: deadline)
            case .cancelTimer(let key):
                timerHandles.removeValue(forKey: key)?.handle.cancel()
            case .stateChanged(let from, let to):
                // Kafka logs rebalances at INFO ("Preparing to rebalance", "Stabilized group").
                logger.info(
                    "group state changed",
                    metadata: [
                        "from": "\(from)", "to": "\(to)", "generation": "\(machine.group?.generation.rawValue ?? -1)",
                        "members": "\(machine.group?.size ?? 0)",
                    ])
            case .groupRemoved:
                logger.info("group removed")
            }
        }
        pumpWrites()
    }

    private func arm(_ key: GroupTimerKey, deadline: TimestampMs) {
        timerHandles.removeValue(forKey: key)?.handle.cancel()
        nextTimerID += 1
        let id = nextTimerID
        let handle = context.scheduler.schedule(at: deadline, now: context.clock()) { [weak self] in
            await self?.timerFired(key, id: id)
        }
        timerHandles[key] = (id, handle)
    }

    private func timerFired(_ key: GroupTimerKey, id: UInt64) {
        guard case .loaded = phase, timerHandles[key]?.id == id else { return }
        timerHandles[key] = nil
        logger.debug("group timer fired", metadata: ["timer": "\(key)"])
        perform(machine.timerFired(key, now: context.clock()))
    }

    // MARK: Unloading

    /// Gives the group up: every waiting request is answered NOT_COORDINATOR, timers stop, queued writes are
    /// dropped, and the coordinator forgets this host.
    func unload(reason: String) {
        if case .unloaded = phase { return }
        let wasLoaded: Bool
        if case .loaded = phase { wasLoaded = true } else { wasLoaded = false }
        phase = .unloaded
        if wasLoaded {
            logger.info("unloading group", metadata: ["reason": "\(reason)"])
            perform(machine.unload(now: context.clock()))
        }
        for (_, timer) in timerHandles { timer.handle.cancel() }
        timerHandles = [:]
        writeQueue = []
        for (_, continuation) in waiting { continuation.resume(returning: nil) }
        waiting = [:]
        onUnload(self)
    }
}

/// A request failed before reaching the group's state machine.
struct HostFailure: Error {
    var error: GroupErrorCode
}
