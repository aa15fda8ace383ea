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
/// `fjord_zookeeper_disconnects_total`. Call from the session's state-change callback. Thread-safe (atomics; a
/// scrape between the two gauge writes of a transition may briefly see two states at 1). Concurrent ``set(_:)``
/// calls must come from one callback thread, as the C client's watcher delivers them.
public final class ZooKeeperSessionMetrics: Sendable {
    /// Indexed like `ZooKeeperSessionStateLabel.allCases`.
    private let states: [Prometheus.Gauge]
    private let expirations: Prometheus.Counter
    private let disconnects: Prometheus.Counter
    /// Index of the current state in `allCases`; -1 before the first ``set(_:)``.
    private let currentIndex = Atomic<Int>(-1)

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

    /// Records the session's new state; entering `expired` counts an expiration.
    public func set(_ state: ZooKeeperSessionStateLabel) {
        let index = ZooKeeperSessionStateLabel.allCases.firstIndex(of: state)!
        let previous = currentIndex.exchange(index, ordering: .relaxed)
        if previous >= 0 && previous != index { states[previous].set(Int64(0)) }
        states[index].set(Int64(1))
        if state == .expired && previous != index { expirations.increment() }
    }

    /// The connection dropped (the C client reconnects and the session may survive).
    public func recordDisconnect() { disconnects.increment() }

    /// The state last set.
    public var current: ZooKeeperSessionStateLabel? {
        let index = currentIndex.load(ordering: .relaxed)
        return index >= 0 ? ZooKeeperSessionStateLabel.allCases[index] : nil
    }
}
