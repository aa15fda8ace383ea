/// The state of a client's ZooKeeper session, as reported by the C client.
///
/// Transitions: `connecting → connected`, `connected → connecting` (connection lost; the session may still live and
/// the client reconnects on its own), `connecting → expired` (the server reports the session gone: expiry is only
/// learned on reconnecting), `connecting → authFailed`, and any state `→ closed` after ``ZooKeeperClient/close()``.
/// `expired`, `authFailed` and `closed` are final.
public enum SessionState: Hashable, Sendable, CustomStringConvertible {
    /// Not connected; the client is (re)connecting. While here a process cannot tell whether its session still lives.
    case connecting
    /// Connected with a live session.
    case connected
    /// The server expired the session. Final: ephemeral nodes are gone, watches will never fire. The owner must
    /// close this client, create a new one, re-create its ephemeral nodes and re-arm its watches.
    case expired
    /// Authentication failed. Final.
    case authFailed
    /// ``ZooKeeperClient/close()`` was called. Final.
    case closed

    /// True for `expired`, `authFailed` and `closed`.
    public var isFinal: Bool {
        switch self {
        case .expired, .authFailed, .closed: true
        case .connecting, .connected: false
        }
    }

    public var description: String {
        switch self {
        case .connecting: "connecting"
        case .connected: "connected"
        case .expired: "expired"
        case .authFailed: "authFailed"
        case .closed: "closed"
        }
    }
}

/// A session state with the monotonic time it was entered, so an owner can tell how long it has been connected or
/// disconnected (see ``ZooKeeperClient/mustAssumeSessionLost(at:)``).
public struct ConnectionStatus: Hashable, Sendable {
    public var state: SessionState
    /// When the client entered `state` (for `connecting`: when it noticed the connection was gone).
    public var since: ContinuousClock.Instant

    public init(state: SessionState, since: ContinuousClock.Instant) {
        self.state = state
        self.since = since
    }
}
