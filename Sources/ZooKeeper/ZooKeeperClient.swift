import CZooKeeper

/// An async/await client for one ZooKeeper session, over libzookeeper_mt's asynchronous API.
///
/// Every operation is a `zoo_a*` call: calls from many tasks pipeline on the one connection (the server answers a
/// session's requests in order), so thousands of reads cost about one round trip, not one each. Operations are
/// not cancellable: a cancelled task still waits for its operation's outcome.
///
/// **Sessions.** ``connect(connectString:sessionTimeout:connectTimeout:)`` returns once the session is connected.
/// Afterwards the C client reconnects on its own after a connection loss, keeping the session (and its ephemeral
/// nodes and watches) as long as it reconnects within the negotiated session timeout. Session expiry is final for
/// a client: the owner must ``close()`` it, connect a new one, re-create its ephemeral nodes and re-arm its
/// watches. Expiry is only learned on reconnecting; while disconnected, see ``mustAssumeSessionLost(at:)``.
///
/// **Errors.** Operations throw ``ZooKeeperError``. `connectionLoss` is ambiguous: the operation may have been
/// applied. After expiry operations fail with `sessionExpired`, after ``close()`` with `closing`.
///
/// **Closing.** ``close()`` must be called by the owner; it returns once the handle is released and every
/// operation still in flight has finished (those the library never answered fail with `closing`). Calling it
/// again is harmless. Dropping a client without closing it closes it in the background.
///
/// **Paths.** Paths are absolute within the chroot given in the connect string (`"127.0.0.1:2181/fjord"`):
/// `/brokers/ids/1` is stored as `/fjord/brokers/ids/1`. The chroot node must exist (see ``ensurePath(_:)`` on a
/// client without chroot). Paths must be absolute with no empty, `.` or `..` component and no trailing `/`; others
/// fail with `badArguments` before reaching the C client (which would silently turn `brokers` under chroot `/fjord`
/// into `/fjordbrokers`). All nodes are created with the open ACL (`world:anyone`, all permissions).
public final class ZooKeeperClient: Sendable {
    /// The version that matches any version in conditional writes.
    public static let anyVersion: Int32 = -1

    let core: SessionCore

    private init(core: SessionCore) {
        self.core = core
    }

    deinit {
        core.closeInBackground()
    }

    /// Opens a session and waits until it is connected.
    ///
    /// - Parameters:
    ///   - connectString: comma-separated `host:port` pairs, optionally followed by a chroot path:
    ///     `"127.0.0.1:2181"`, `"zk1:2181,zk2:2181/fjord"`.
    ///   - sessionTimeout: the requested session timeout; the server clamps it to its `[2, 20] × tickTime` range
    ///     (see ``negotiatedSessionTimeout``).
    ///   - connectTimeout: how long to wait for the first connection.
    /// - Throws: ``ZooKeeperError`` with code `operationTimeout` when not connected in time, `badArguments` for a
    ///   malformed connect string; `CancellationError` if the task is cancelled. The handle is closed on failure.
    public static func connect(
        connectString: String, sessionTimeout: Duration = .seconds(18), connectTimeout: Duration = .seconds(18)
    ) async throws -> ZooKeeperClient {
        let timeoutMs = Int32(clamping: sessionTimeout.wholeMilliseconds)
        let core = SessionCore(connectString: connectString, sessionTimeoutMs: timeoutMs)
        try await core.open()
        do {
            try await core.waitUntilConnected(deadline: .now + connectTimeout)
        } catch {
            await core.close()
            throw error
        }
        let client = ZooKeeperClient(core: core)
        startKeepalive(client)
        return client
    }

    /// Keeps the lease of ``mustAssumeSessionLost(at:)`` fresh: when nothing was answered for a sixth of the session
    /// timeout, asks the server for `exists("/")`. Ends when the client is released or its session is over.
    private static func startKeepalive(_ client: ZooKeeperClient) {
        Task.detached { [weak client] in
            while true {
                guard let timeout = client?.negotiatedSessionTimeout else { return }
                let interval = max(timeout / 6, .milliseconds(20))
                try? await Task.sleep(for: interval)
                guard let live = client, !live.state.isFinal else { return }
                if live.state == .connected, ContinuousClock.now - live.core.lastServerContact >= interval {
                    _ = try? await live.exists("/")
                }
            }
        }
    }

    // MARK: Session

    /// The connect string this client was opened with.
    public var connectString: String { core.connectString }

    /// The session id (the server prints it in hex), 0 before the first connection; it stays the same across
    /// reconnections of the session.
    public var sessionID: Int64 { core.sessionID }

    /// The session timeout the server granted at the last connection.
    public var negotiatedSessionTimeout: Duration { .milliseconds(core.negotiatedTimeoutMs) }

    /// The current session state.
    public var state: SessionState { core.status.state }

    /// The current session state and since when (monotonic clock).
    public var connectionStatus: ConnectionStatus { core.status }

    /// Session state changes: the current state first, then each change, ending after `closed`.
    /// Each call returns a new independent stream; at most 64 undelivered states are kept (the oldest dropped).
    public func sessionStates() -> AsyncStream<SessionState> {
        core.sessionStates()
    }

    /// True when the owner must behave as if its session (and its ephemeral nodes, e.g. a leadership claim) were
    /// gone: the session expired, authentication failed, the client is closed, it has been disconnected for at
    /// least a third of the negotiated session timeout, or the server has not answered anything for two thirds of
    /// it (the *lease*).
    ///
    /// Why the lease: a process stopped (SIGSTOP, a long pause) and then resumed still reads `connected` until the
    /// library's I/O thread notices, and may act on requests queued meanwhile. The server cannot have expired the
    /// session within one timeout of the last answer it sent, so two thirds leaves margin for the round trip and
    /// for the successor to be elected; a background keepalive refreshes the lease every sixth of the timeout.
    ///
    /// Why a third: the C client declares the connection lost only after two thirds of the timeout without hearing
    /// from the server, while the server expires the session one full timeout after it last heard from the client.
    /// So by the time `connecting` is reported, as little as a third of the timeout may remain (less if the
    /// server's last message was a notification rather than a ping answer). A leader that must never overlap with
    /// its successor should stop acting as soon as this returns true; epoch fencing in every write covers the rest.
    public func mustAssumeSessionLost(at now: ContinuousClock.Instant = .now) -> Bool {
        let status = core.status
        switch status.state {
        case .connected: return now - core.lastServerContact >= negotiatedSessionTimeout * 2 / 3
        case .expired, .authFailed, .closed: return true
        case .connecting:
            // The lease runs on while reconnecting: a connection declared lost two thirds of a timeout after the
            // last answer has no lease left, whatever the time spent `connecting`.
            return now - status.since >= negotiatedSessionTimeout / 3
                || now - core.lastServerContact >= negotiatedSessionTimeout * 2 / 3
        }
    }

    /// Operations submitted and not yet finished (a gauge for metrics and tests).
    public var pendingOperationCount: Int { core.pendingOperationCount }

    /// Closes the session (the server deletes its ephemeral nodes) and releases the handle.
    ///
    /// Returns once `zookeeper_close` returned (on a private thread, never blocking the cooperative pool) and every
    /// operation in flight has finished; those the library did not answer fail with `closing`. Watches and
    /// session-state streams end. Idempotent. While the server is unreachable the library may take a few seconds
    /// to give up on the close request.
    public func close() async {
        await core.close()
    }

    // MARK: Reads and writes

    /// Creates a node and returns its path (for sequential modes, with the counter appended).
    @discardableResult
    public func create(_ path: String, data: [UInt8] = [], mode: CreateMode = .persistent) async throws -> String {
        try await createReturningStat(path, data: data, mode: mode).path
    }

    /// Creates a node and returns its path and `Stat` (whose `czxid` identifies this incarnation of the node).
    public func createReturningStat(
        _ path: String, data: [UInt8] = [], mode: CreateMode = .persistent
    ) async throws -> (path: String, stat: ZNodeStat) {
        try ZNodePath.check(path, operation: .create, sequential: mode.isSequential)
        let outcome = await core.perform { zh, context in
            path.withCString { cPath in
                data.withUnsafeBytes { bytes in
                    zoo_acreate2(
                        zh, cPath, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(data.count),
                        fjord_zoo_open_acl_unsafe(), mode.flags, Completions.stringStat, context)
                }
            }
        }
        try check(outcome, .create, path)
        guard let created = outcome.string, let stat = outcome.stat else {
            throw ZooKeeperError(code: .marshallingError, operation: .create, path: path)
        }
        return (created, stat)
    }

    /// Reads a node's data and `Stat`. Throws `noNode` if it does not exist.
    public func get(_ path: String) async throws -> ZNodeData {
        try ZNodePath.check(path, operation: .get)
        let outcome = await core.perform { zh, context in
            path.withCString { zoo_aget(zh, $0, 0, Completions.data, context) }
        }
        try check(outcome, .get, path)
        guard let stat = outcome.stat else {
            throw ZooKeeperError(code: .marshallingError, operation: .get, path: path)
        }
        return ZNodeData(data: outcome.data ?? [], stat: stat)
    }

    /// Replaces a node's data if its version is `version` (compare-and-set; ``anyVersion`` skips the check) and
    /// returns the new `Stat`. Throws `badVersion` when the version differs, `noNode` if it does not exist.
    @discardableResult
    public func set(_ path: String, data: [UInt8], version: Int32 = anyVersion) async throws -> ZNodeStat {
        try ZNodePath.check(path, operation: .set)
        let outcome = await core.perform { zh, context in
            path.withCString { cPath in
                data.withUnsafeBytes { bytes in
                    zoo_aset(
                        zh, cPath, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(data.count), version,
                        Completions.stat, context)
                }
            }
        }
        try check(outcome, .set, path)
        guard let stat = outcome.stat else {
            throw ZooKeeperError(code: .marshallingError, operation: .set, path: path)
        }
        return stat
    }

    /// Deletes a node if its version is `version` (``anyVersion``: any). Throws `noNode`, `badVersion`, `notEmpty`.
    public func delete(_ path: String, version: Int32 = anyVersion) async throws {
        try ZNodePath.check(path, operation: .delete)
        let outcome = await core.perform { zh, context in
            path.withCString { zoo_adelete(zh, $0, version, Completions.void, context) }
        }
        try check(outcome, .delete, path)
    }

    /// The node's `Stat`, or nil if it does not exist.
    public func exists(_ path: String) async throws -> ZNodeStat? {
        try ZNodePath.check(path, operation: .exists)
        let outcome = await core.perform { zh, context in
            path.withCString { zoo_aexists(zh, $0, 0, Completions.stat, context) }
        }
        if outcome.rc == ZNONODE.rawValue { return nil }
        try check(outcome, .exists, path)
        return outcome.stat
    }

    /// The names (not paths) of a node's children, in no particular order. Throws `noNode`.
    public func children(_ path: String) async throws -> [String] {
        try await childrenWithStat(path).children
    }

    /// The names of a node's children and the node's `Stat`. Throws `noNode`.
    public func childrenWithStat(_ path: String) async throws -> (children: [String], stat: ZNodeStat) {
        try ZNodePath.check(path, operation: .children)
        let outcome = await core.perform { zh, context in
            path.withCString { zoo_aget_children2(zh, $0, 0, Completions.childrenStat, context) }
        }
        try check(outcome, .children, path)
        guard let stat = outcome.stat else {
            throw ZooKeeperError(code: .marshallingError, operation: .children, path: path)
        }
        return (outcome.children ?? [], stat)
    }

    /// Waits until the server this client talks to has caught up with the leader for `path`, so that a following
    /// read sees every write committed before this call (ZooKeeper reads are otherwise only sequentially consistent).
    public func sync(_ path: String = "/") async throws {
        try ZNodePath.check(path, operation: .sync)
        let outcome = await core.perform { zh, context in
            path.withCString { zoo_async(zh, $0, Completions.string, context) }
        }
        try check(outcome, .sync, path)
    }

    func check(_ outcome: RawOutcome, _ operation: ZooKeeperError.Operation, _ path: String?) throws {
        guard outcome.isOK else { throw core.error(outcome.rc, operation: operation, path: path) }
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded down.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
