import CZooKeeper
import Dispatch

/// One ZooKeeper handle (`zhandle_t`) and everything that must outlive the public ``ZooKeeperClient`` until the
/// handle is closed: session state, subscribers, watches, and the bridge from C callbacks to Swift.
///
/// Threads and ownership:
/// - `zookeeper_init2` and `zookeeper_close` run on `queue`, a private serial dispatch queue: never on Swift's
///   cooperative pool (they block), never on the completion thread (closing from there deadlocks).
/// - Session events, completions and watch events arrive on the library's single completion thread.
/// - `handle` (the raw pointer and the closing flag) is guarded by its own lock, held across each `zoo_a*` call, so
///   no call can race `zookeeper_close` freeing the handle: once `closing` is set, new calls fail with `ZCLOSING`.
/// - `state` is guarded by its lock. Locks are never nested; continuations are resumed, streams finished and C
///   calls made only after the lock is released.
/// - The C library holds one retain on the core (the session watcher's context), taken in ``open()`` and released
///   after `zookeeper_close` returned, when no callback can run any more.
final class SessionCore: @unchecked Sendable {
    // @unchecked: the raw `zhandle_t` pointer and the unmanaged context live in `handle`, every other mutable field
    // in `state`, each only touched under its `LockedValue` lock; the rest is immutable.

    private static let serials = LockedValue<UInt64>(0)

    /// Identifies this client's entries in ``PendingOperations``.
    let serial: UInt64
    let connectString: String
    let requestedSessionTimeoutMs: Int32
    private let queue: DispatchQueue

    private struct Handle {
        var zh: OpaquePointer?
        var closing = false
        var context: Unmanaged<SessionCore>?
    }

    private enum CloseState {
        case open
        case closing(waiters: [CheckedContinuation<Void, Never>])
        case closed
    }

    private struct State {
        var status: ConnectionStatus
        var sessionID: Int64 = 0
        var negotiatedTimeoutMs: Int32 = 0
        var subscribers: [UInt64: AsyncStream<SessionState>.Continuation] = [:]
        var nextSubscriberID: UInt64 = 1
        var connectWaiter: CheckedContinuation<Void, any Error>?
        /// Set when connecting failed before a waiter was installed (deadline passed, cancelled).
        var connectFailure: (any Error)?
        var watches: [UInt64: WatchEntry] = [:]
        /// Watches whose re-arm failed with a connection loss: armed again on the next `connected`.
        var awaitingReconnect: [UInt64] = []
        var close: CloseState = .open
        /// When an answer from the server last arrived (a completed operation or a connected event): the start of
        /// the lease ``ZooKeeperClient/mustAssumeSessionLost(at:)`` grants.
        var lastServerContact: ContinuousClock.Instant = .now
    }

    private let handle = LockedValue(Handle())
    private let state: LockedValue<State>

    init(connectString: String, sessionTimeoutMs: Int32) {
        serial = Self.serials.withLock { serial in
            serial += 1
            return serial
        }
        self.connectString = connectString
        self.requestedSessionTimeoutMs = sessionTimeoutMs
        self.queue = DispatchQueue(label: "fjord.zookeeper.session-\(serial)")
        self.state = LockedValue(State(status: ConnectionStatus(state: .connecting, since: .now)))
    }

    // MARK: Opening

    /// Creates the C handle; the library then connects in the background.
    func open() async throws {
        ZooKeeperLibraryLogging.applyDefaultLevelIfUnset()
        let context = Unmanaged.passRetained(self)
        let logCallback = ZooKeeperLibraryLogging.callbackForNewHandles()
        let created: Bool = await withCheckedContinuation { continuation in
            queue.async { [self] in
                let zh = connectString.withCString { host in
                    zookeeper_init2(
                        host, Completions.sessionWatcher, requestedSessionTimeoutMs, nil, context.toOpaque(),
                        ZOO_NO_LOG_CLIENTENV, logCallback)
                }
                if let zh {
                    handle.withLock { handle in
                        handle.zh = zh
                        handle.context = context
                    }
                }
                continuation.resume(returning: zh != nil)
            }
        }
        guard created else {
            context.release()
            state.withLock { $0.close = .closed }
            throw ZooKeeperError(code: .badArguments, operation: .connect, path: connectString)
        }
    }

    /// Waits for the first `connected` state; fails at `deadline`, on expiry or authentication failure, on close
    /// and on task cancellation.
    func waitUntilConnected(deadline: ContinuousClock.Instant) async throws {
        let timer = Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            guard !Task.isCancelled else { return }
            self?.failConnecting(ZooKeeperError(code: .operationTimeout, operation: .connect))
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let result: Result<Void, any Error>? = state.withLock { state in
                    if let failure = state.connectFailure { return .failure(failure) }
                    switch state.status.state {
                    case .connected: return .success(())
                    case .connecting:
                        state.connectWaiter = continuation
                        return nil
                    case .expired, .authFailed, .closed:
                        return .failure(self.error(for: state.status.state, operation: .connect))
                    }
                }
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            self.failConnecting(CancellationError())
        }
    }

    private func failConnecting(_ error: any Error) {
        let waiter: CheckedContinuation<Void, any Error>? = state.withLock { state in
            guard let waiter = state.connectWaiter else {
                if state.connectFailure == nil { state.connectFailure = error }
                return nil
            }
            state.connectWaiter = nil
            return waiter
        }
        waiter?.resume(throwing: error)
    }

    // MARK: Session state

    var status: ConnectionStatus { state.withLock { $0.status } }

    /// When the server last answered (see `State.lastServerContact`).
    var lastServerContact: ContinuousClock.Instant { state.withLock { $0.lastServerContact } }

    /// Records that an answer from the server arrived, when `rc` is one only the server gives (success or an API
    /// error such as NONODE, not a connection loss, timeout, expiry or local refusal).
    private func noteServerAnswer(_ rc: Int32) {
        let fromServer =
            rc == ZOK.rawValue || rc == ZNONODE.rawValue || rc == ZNODEEXISTS.rawValue || rc == ZBADVERSION.rawValue
            || rc == ZNOTEMPTY.rawValue || rc == ZNOCHILDRENFOREPHEMERALS.rawValue
        guard fromServer else { return }
        let now = ContinuousClock.now
        state.withLock { if $0.lastServerContact < now { $0.lastServerContact = now } }
    }
    var sessionID: Int64 { state.withLock { $0.sessionID } }
    var negotiatedTimeoutMs: Int32 { state.withLock { $0.negotiatedTimeoutMs } }
    var pendingOperationCount: Int { PendingOperations.shared.count(owner: serial) }

    func sessionStates() -> AsyncStream<SessionState> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: SessionState.self, bufferingPolicy: .bufferingNewest(64))
        let subscribed: Bool = state.withLock { state in
            guard case .open = state.close else { return false }
            let id = state.nextSubscriberID
            state.nextSubscriberID += 1
            state.subscribers[id] = continuation
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
            }
            // Yielded under the lock so no later event can overtake the current state.
            continuation.yield(state.status.state)
            return true
        }
        if !subscribed {
            continuation.yield(.closed)
            continuation.finish()
        }
        return stream
    }

    private struct SessionEffects {
        var subscribers: [AsyncStream<SessionState>.Continuation] = []
        var connectWaiter: CheckedContinuation<Void, any Error>?
        var rearm: [WatchEntry] = []
        var ended: [WatchEntry] = []
    }

    /// Called by the session watcher on the completion thread.
    func handleSessionEvent(state rawState: Int32, handle zh: OpaquePointer) {
        guard let new = Self.sessionState(rawState) else { return }
        let sessionID = new == .connected ? Int64(fjord_zoo_session_id(zh)) : 0
        let timeoutMs = new == .connected ? zoo_recv_timeout(zh) : 0
        let now = ContinuousClock.now
        let effects: SessionEffects = state.withLock { state in
            var effects = SessionEffects()
            guard case .open = state.close, !state.status.state.isFinal, state.status.state != new else {
                return effects
            }
            state.status = ConnectionStatus(state: new, since: now)
            effects.subscribers = Array(state.subscribers.values)
            switch new {
            case .connected:
                state.lastServerContact = now
                state.sessionID = sessionID
                state.negotiatedTimeoutMs = timeoutMs
                effects.rearm = state.awaitingReconnect.compactMap { state.watches[$0] }
                state.awaitingReconnect = []
            case .expired, .authFailed:
                effects.ended = Array(state.watches.values)
                state.watches = [:]
                state.awaitingReconnect = []
            case .connecting, .closed:
                break
            }
            if new != .connecting {
                effects.connectWaiter = state.connectWaiter
                state.connectWaiter = nil
            }
            return effects
        }
        for subscriber in effects.subscribers { subscriber.yield(new) }
        if let waiter = effects.connectWaiter {
            if new == .connected {
                waiter.resume()
            } else {
                waiter.resume(throwing: error(for: new, operation: .connect))
            }
        }
        for entry in effects.rearm { arm(entry, restoring: true) }
        for entry in effects.ended {
            WatchRegistry.shared.remove(entry.id)
            entry.continuation.finish(throwing: error(for: new, operation: .watch, path: entry.path))
        }
    }

    private static func sessionState(_ raw: Int32) -> SessionState? {
        switch raw {
        case fjord_zoo_connected_state(), fjord_zoo_readonly_state(): .connected
        case fjord_zoo_connecting_state(), fjord_zoo_associating_state(), fjord_zoo_notconnected_state(): .connecting
        case fjord_zoo_expired_session_state(): .expired
        case fjord_zoo_auth_failed_state(): .authFailed
        default: nil
        }
    }

    // MARK: Operations

    /// Submits one asynchronous call and waits for its outcome. `start` receives the live handle and the `data`
    /// pointer to pass to the `zoo_a*` call, and returns the call's immediate result.
    func perform(
        buffers: MultiBuffers? = nil, _ start: (OpaquePointer, UnsafeRawPointer) -> Int32
    ) async -> RawOutcome {
        await withCheckedContinuation { continuation in
            startOperation(buffers: buffers, resume: { continuation.resume(returning: $0) }, start: start)
        }
    }

    /// Submits `count` calls back to back (they pipeline on the session, in order) and waits for all outcomes.
    func performBatch(
        count: Int, _ start: (Int, OpaquePointer, UnsafeRawPointer) -> Int32
    ) async -> [RawOutcome] {
        guard count > 0 else { return [] }
        return await withCheckedContinuation { continuation in
            let collector = BatchCollector(count: count, continuation: continuation)
            for index in 0..<count {
                startOperation(buffers: nil, resume: { collector.set(index, $0) }) { zh, data in
                    start(index, zh, data)
                }
            }
        }
    }

    private func startOperation(
        buffers: MultiBuffers?, resume: @escaping @Sendable (RawOutcome) -> Void,
        start: (OpaquePointer, UnsafeRawPointer) -> Int32
    ) {
        let id = PendingOperations.shared.register(
            owner: serial, buffers: buffers,
            resume: { [weak self] outcome in
                self?.noteServerAnswer(outcome.rc)
                resume(outcome)
            })
        let rc: Int32 = handle.withLock { handle in
            guard let zh = handle.zh, !handle.closing else { return ZCLOSING.rawValue }
            return start(zh, PendingOperations.pointer(for: id))
        }
        // An immediate error means the completion will never run: whoever removes the entry resumes it.
        if rc != ZOK.rawValue, let entry = PendingOperations.shared.take(id) {
            entry.resume(RawOutcome(rc: rc))
        }
    }

    /// The error for a failed outcome. `ZINVALIDSTATE` (the handle refuses calls) is reported as the reason the
    /// handle is dead: `sessionExpired` or `authFailed`.
    func error(_ rc: Int32, operation: ZooKeeperError.Operation, path: String?) -> ZooKeeperError {
        var code = ZooKeeperError.Code(rawValue: rc)
        if code == .invalidState {
            switch status.state {
            case .expired: code = .sessionExpired
            case .authFailed: code = .authFailed
            case .closed: code = .closing
            case .connecting, .connected: break
            }
        }
        return ZooKeeperError(code: code, operation: operation, path: path)
    }

    private func error(
        for state: SessionState, operation: ZooKeeperError.Operation, path: String? = nil
    ) -> ZooKeeperError {
        let code: ZooKeeperError.Code =
            switch state {
            case .expired: .sessionExpired
            case .authFailed: .authFailed
            case .closed, .connecting, .connected: .closing
            }
        return ZooKeeperError(code: code, operation: operation, path: path)
    }

    // MARK: Watches

    /// Registers a watch on `path` and arms it; returns the stream and the arming call's outcome (the node's
    /// `Stat`, or its children and `Stat`).
    func watch(_ path: String, kind: WatchEntry.Kind) async throws -> (NodeWatch, RawOutcome) {
        let id = WatchRegistry.shared.makeID()
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: WatchEvent.self, throwing: (any Error).self, bufferingPolicy: .bufferingNewest(64))
        let entry = WatchEntry(id: id, kind: kind, path: path, core: self, continuation: continuation)
        continuation.onTermination = { [weak self] _ in self?.forgetWatch(id) }
        let refusal: SessionState? = state.withLock { state in
            guard case .open = state.close else { return .closed }
            guard !state.status.state.isFinal else { return state.status.state }
            state.watches[id] = entry
            return nil
        }
        if let refusal { throw error(for: refusal, operation: .watch, path: path) }
        WatchRegistry.shared.insert(entry)
        let outcome = await perform(armCall(entry))
        guard outcome.isOK || (kind == .node && outcome.rc == ZNONODE.rawValue) else {
            endWatch(entry, error: nil)
            throw error(outcome.rc, operation: .watch, path: path)
        }
        return (NodeWatch(path: path, stream: stream, continuation: continuation), outcome)
    }

    /// The `zoo_aw*` call that (re-)arms a watch with the shared node watcher and the watch's id as context.
    private func armCall(_ entry: WatchEntry) -> (OpaquePointer, UnsafeRawPointer) -> Int32 {
        { zh, data in
            entry.path.withCString { path in
                let context = WatchRegistry.context(for: entry.id)
                switch entry.kind {
                case .node:
                    return zoo_awexists(zh, path, Completions.nodeWatcher, context, Completions.stat, data)
                case .children:
                    return zoo_awget_children2(
                        zh, path, Completions.nodeWatcher, context, Completions.childrenStat, data)
                }
            }
        }
    }

    /// A one-shot ZooKeeper watch fired (completion thread): re-arm first, then report, so that a re-read the
    /// consumer issues after seeing the event is ordered after the new watch on the session.
    func watchFired(_ entry: WatchEntry, type: Int32) {
        let kind: WatchEvent.Kind
        switch type {
        case fjord_zoo_created_event(): kind = .nodeCreated
        case fjord_zoo_deleted_event(): kind = .nodeDeleted
        case fjord_zoo_changed_event(): kind = .nodeDataChanged
        case fjord_zoo_child_event(): kind = .nodeChildrenChanged
        case fjord_zoo_notwatching_event():
            endWatch(entry, error: nil)
            return
        default: return
        }
        arm(entry, restoring: false)
        entry.continuation.yield(WatchEvent(kind: kind, path: entry.path))
    }

    private func arm(_ entry: WatchEntry, restoring: Bool) {
        startOperation(
            buffers: nil,
            resume: { [weak self] outcome in self?.armCompleted(entry, outcome, restoring: restoring) },
            start: armCall(entry))
    }

    private func armCompleted(_ entry: WatchEntry, _ outcome: RawOutcome, restoring: Bool) {
        if outcome.isOK || (entry.kind == .node && outcome.rc == ZNONODE.rawValue) {
            if restoring { entry.continuation.yield(WatchEvent(kind: .watchRestored, path: entry.path)) }
            return
        }
        switch ZooKeeperError.Code(rawValue: outcome.rc) {
        case .noNode:
            // A children watch whose node is gone: the `nodeDeleted` event was the last one.
            endWatch(entry, error: nil)
        case .connectionLoss, .operationTimeout:
            enum Next { case gone, armNow, afterReconnect }
            let next: Next = state.withLock { state in
                guard state.watches[entry.id] != nil else { return .gone }
                guard state.status.state != .connected else { return .armNow }
                state.awaitingReconnect.append(entry.id)
                return .afterReconnect
            }
            if next == .armNow { arm(entry, restoring: true) }
        default:
            endWatch(entry, error: error(outcome.rc, operation: .watch, path: entry.path))
        }
    }

    private func endWatch(_ entry: WatchEntry, error: (any Error)?) {
        forgetWatch(entry.id)
        if let error {
            entry.continuation.finish(throwing: error)
        } else {
            entry.continuation.finish()
        }
    }

    /// Drops a watch from the tables (its stream ended or was dropped by its consumer). The C client may still
    /// hold the one-shot watcher until it fires; its id then no longer resolves and the event is ignored.
    private func forgetWatch(_ id: UInt64) {
        state.withLock { state in
            state.watches[id] = nil
            state.awaitingReconnect.removeAll { $0 == id }
        }
        WatchRegistry.shared.remove(id)
    }

    // MARK: Closing

    /// Closes the handle and waits until everything is released. Idempotent; concurrent callers all wait.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            enum Action { case start, wait, done }
            let action: Action = state.withLock { state in
                switch state.close {
                case .open:
                    state.close = .closing(waiters: [continuation])
                    return .start
                case .closing(var waiters):
                    waiters.append(continuation)
                    state.close = .closing(waiters: waiters)
                    return .wait
                case .closed:
                    return .done
                }
            }
            switch action {
            case .start: beginClose()
            case .wait: break
            case .done: continuation.resume()
            }
        }
    }

    /// Starts closing without waiting (used when the client is dropped without `close()`).
    func closeInBackground() {
        let start: Bool = state.withLock { state in
            guard case .open = state.close else { return false }
            state.close = .closing(waiters: [])
            return true
        }
        if start { beginClose() }
    }

    private func beginClose() {
        let zh: ClosingHandle? = handle.withLock { handle in
            handle.closing = true
            defer { handle.zh = nil }
            return handle.zh.map(ClosingHandle.init)
        }
        queue.async { [self] in
            if let zh { zookeeper_close(zh.pointer) }
            finishClose()
        }
    }

    /// After `zookeeper_close` returned: no callback can run any more. Fails what the library left unanswered.
    private func finishClose() {
        for entry in PendingOperations.shared.takeAll(owner: serial) {
            entry.resume(.closing)
        }
        struct Effects {
            var subscribers: [AsyncStream<SessionState>.Continuation] = []
            var watches: [WatchEntry] = []
            var connectWaiter: CheckedContinuation<Void, any Error>?
            var waiters: [CheckedContinuation<Void, Never>] = []
        }
        let effects: Effects = state.withLock { state in
            var effects = Effects()
            effects.subscribers = Array(state.subscribers.values)
            state.subscribers = [:]
            effects.watches = Array(state.watches.values)
            state.watches = [:]
            state.awaitingReconnect = []
            effects.connectWaiter = state.connectWaiter
            state.connectWaiter = nil
            if case .closing(let waiters) = state.close { effects.waiters = waiters }
            state.close = .closed
            state.status = ConnectionStatus(state: .closed, since: .now)
            return effects
        }
        let context: Unmanaged<SessionCore>? = handle.withLock { handle in
            defer { handle.context = nil }
            return handle.context
        }
        for subscriber in effects.subscribers {
            subscriber.yield(.closed)
            subscriber.finish()
        }
        for entry in effects.watches {
            WatchRegistry.shared.remove(entry.id)
            entry.continuation.finish(throwing: ZooKeeperError(code: .closing, operation: .watch, path: entry.path))
        }
        effects.connectWaiter?.resume(throwing: ZooKeeperError(code: .closing, operation: .connect))
        for waiter in effects.waiters { waiter.resume() }
        context?.release()
    }
}

/// A handle on its way to `zookeeper_close`.
private struct ClosingHandle: @unchecked Sendable {
    // @unchecked: after `beginClose` took it out of `SessionCore.handle`, only the close queue uses the pointer.
    let pointer: OpaquePointer
}

/// Gathers the outcomes of a batch of operations and resumes one continuation when the last one arrives.
private final class BatchCollector: Sendable {
    private struct State {
        var outcomes: [RawOutcome]
        var remaining: Int
        var continuation: CheckedContinuation<[RawOutcome], Never>?
    }

    private let state: LockedValue<State>

    init(count: Int, continuation: CheckedContinuation<[RawOutcome], Never>) {
        state = LockedValue(
            State(
                outcomes: Array(repeating: RawOutcome.closing, count: count), remaining: count,
                continuation: continuation))
    }

    func set(_ index: Int, _ outcome: RawOutcome) {
        let done: (CheckedContinuation<[RawOutcome], Never>, [RawOutcome])? = state.withLock { state in
            state.outcomes[index] = outcome
            state.remaining -= 1
            guard state.remaining == 0, let continuation = state.continuation else { return nil }
            state.continuation = nil
            return (continuation, state.outcomes)
        }
        if let (continuation, outcomes) = done { continuation.resume(returning: outcomes) }
    }
}
