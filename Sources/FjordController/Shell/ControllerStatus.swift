import FjordModel
import Synchronization

/// What a controller process reports about itself (for tests, logs and the process's own decisions).
public struct ControllerStatus: Hashable, Sendable {
    /// Acting as the active controller. Cleared the moment the session is considered lost, before anything else.
    public var isActive = false
    /// The epoch this controller won with, while active.
    public var epoch: ControllerEpoch?
    /// `/controller_epoch`'s version after the election write, while active.
    public var epochZkVersion: Int32?
    /// The controller id in `/controller` as last read (this one's while active).
    public var activeControllerID: Int32?
    /// The RPC listener's bound port, once listening.
    public var rpcPort: Int?
    /// How the last failover went.
    public var lastFailover: FailoverTiming?
    /// ``ControllerService/shutdown()`` was called.
    public var stopping = false
    /// How many times this process became active.
    public var activations = 0
    /// How many events the loop handled.
    public var eventsHandled = 0
    /// The last duration of each kind of event (by ``ControllerEvent/name``), with the write units it made.
    public var lastEvents: [String: EventTiming] = [:]

    public init() {}
}

/// How long one event took from `handle` to the control requests being queued, and how many write units it made.
public struct EventTiming: Hashable, Sendable {
    public var milliseconds: Double
    public var writeUnits: Int
}

/// The cost of taking over: reading the cluster, then acting on it (writes and request batching).
public struct FailoverTiming: Hashable, Sendable {
    public var partitions: Int
    public var brokers: Int
    /// Arming watches and reading everything (brokers, topics, configs, every partition state, admin nodes).
    public var loadMs: Double
    /// Of which: reading the partition states alone.
    public var stateReadMs: Double
    public var actMs: Double
    public var totalMs: Double { loadMs + actMs }
}

/// Shared status behind a lock: written by the event loop and the session monitor, read by anyone.
final class ControllerStatusBox: Sendable {
    private let state = Mutex(ControllerStatus())

    var value: ControllerStatus { state.withLock { $0 } }

    func update(_ body: (inout ControllerStatus) -> Void) { state.withLock { body(&$0) } }

    var isActive: Bool { state.withLock { $0.isActive } }
}
