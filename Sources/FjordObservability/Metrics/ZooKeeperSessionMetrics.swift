import Prometheus
import Synchronization

/// The states of a process's ZooKeeper session (label values of `fjord_zookeeper_session_state{state}`).
public enum ZooKeeperSessionStateLabel: String, CaseIterable, Hashable, Sendable {
    case connecting
    case connected
    case connectedReadOnly = "connected_read_only"
    case expired
    case authFailed = "auth_failed"
    case closed
}

/// A process's ZooKeeper session metrics: `fjord_zookeeper_session_state{state}` (1 for the current state, 0 for the
/// others, like Kafka's `SessionState`), `fjord_zookeeper_session_expirations_total`,
/// `fjord_zookeeper_disconnects_total`.
///
/// Feed it with ``follow(_:session:map:)`` from the session's state stream, one call per session: a process that
/// replaces an expired session starts following the new one while the old stream may still deliver its last states
/// (`closed`); ``beginSession()`` makes those late states of older sessions count for nothing. Thread-safe (one
/// short lock per state change; a scrape between the two gauge writes of a transition may briefly see two states
/// at 1).
public final class ZooKeeperSessionMetrics: Sendable {
    /// Indexed like `ZooKeeperSessionStateLabel.allCases`.
    private let states: [Prometheus.Gauge]
    private let expirations: Prometheus.Counter
    private let disconnects: Prometheus.Counter
    private let state = Mutex(Current())

    private struct Current {
        /// The newest session handed out by ``beginSession()``; 0 before any.
        var session: UInt64 = 0
        /// Index of the current state in `allCases`; -1 before the first ``set(_:)``.
        var index = -1
    }

    public init(metrics: FjordMetrics) {
        states = ZooKeeperSessionStateLabel.allCases.map { state in
            metrics.gauge(
                MetricName.zooKeeperSessionState, "1 for the current state of this process's ZooKeeper session.",
                labels: [("state", state.rawValue)])
        }
        expirations = metrics.counter(
            MetricName.zooKeeperExpirations, "ZooKeeper sessions of this process that expired.")
        disconnects = metrics.counter(
            MetricName.zooKeeperDisconnects,
            "Times this process lost its ZooKeeper connection (the session may survive).")
        set(.connecting)
    }

    /// A new session is about to be followed: returns its token; states reported for older tokens are ignored.
    public func beginSession() -> UInt64 {
        state.withLock { current in
            current.session += 1
            return current.session
        }
    }

    /// Records the session's new state; entering `expired` counts an expiration.
    public func set(_ newState: ZooKeeperSessionStateLabel) {
        apply(newState, session: nil)
    }

    /// Records the new state of session `session` (from ``beginSession()``) unless a newer session began since.
    public func set(_ newState: ZooKeeperSessionStateLabel, session: UInt64) {
        apply(newState, session: session)
    }

    /// Records every state of one session's stream until it ends: `connected → connecting` counts a disconnect.
    /// Returns when the stream finishes (the session was closed) or the task is cancelled.
    public func follow<States: AsyncSequence>(
        _ stream: States, session: UInt64, map: (States.Element) -> ZooKeeperSessionStateLabel
    ) async where States.Failure == Never {
        var previous: ZooKeeperSessionStateLabel?
        for await element in stream {
            let next = map(element)
            if previous == .connected && next == .connecting { disconnects.increment() }
            previous = next
            set(next, session: session)
        }
    }

    /// The connection dropped (the C client reconnects and the session may survive).
    public func recordDisconnect() { disconnects.increment() }

    /// The state last set.
    public var current: ZooKeeperSessionStateLabel? {
        let index = state.withLock { $0.index }
        return index >= 0 ? ZooKeeperSessionStateLabel.allCases[index] : nil
    }

    private func apply(_ newState: ZooKeeperSessionStateLabel, session: UInt64?) {
        let index = ZooKeeperSessionStateLabel.allCases.firstIndex(of: newState)!
        state.withLock { current in
            if let session, session < current.session { return }
            let previous = current.index
            current.index = index
            if previous >= 0 && previous != index { states[previous].set(Int64(0)) }
            states[index].set(Int64(1))
            if newState == .expired && previous != index { expirations.increment() }
        }
    }
}
