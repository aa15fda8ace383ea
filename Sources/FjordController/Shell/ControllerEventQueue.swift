import FjordModel
import Synchronization

/// What the controller's event loop reacts to: ZooKeeper watches, requests from brokers, timers, answers to
/// control requests. Watch events carry no data: the loop reads ZooKeeper when it handles them (Kafka's handlers
/// work the same way), so a burst of changes costs one read.
enum ShellEvent: Sendable {
    /// The session is gone (expired, closed, or disconnected too long): stop acting at once. `session` is the
    /// session generation it belongs to, so a late notice cannot end a newer session.
    case sessionLost(session: Int)
    case controllerChanged
    case brokersChanged
    case topicsChanged
    case topicModified(TopicName)
    case topicDeletionsChanged
    case reassignmentCreated
    case preferredElectionCreated
    /// A request from a broker; `reply` is called exactly once.
    case request(ControllerEvent, reply: @Sendable (ControllerReply) -> Void)
    /// An event for the core that needs no reads (auto rebalance timer, StopReplica answers).
    case core(ControllerEvent)
    case shutdown
}

/// The controller's serial event queue (Kafka's `ControllerEventManager`): any thread puts, one task takes.
final class ControllerEventQueue: Sendable {
    private struct State {
        var items: [ShellEvent] = []
        var waiter: CheckedContinuation<ShellEvent, Never>?
    }

    private let state = Mutex(State())

    /// Adds an event at the back, or at the front (`urgent`: session loss, shutdown).
    func put(_ event: ShellEvent, urgent: Bool = false) {
        let waiter = state.withLock { state -> CheckedContinuation<ShellEvent, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            if urgent { state.items.insert(event, at: 0) } else { state.items.append(event) }
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// The next event, waiting for one if none is queued. One consumer only.
    func next() async -> ShellEvent {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> ShellEvent? in
                if !state.items.isEmpty { return state.items.removeFirst() }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    var count: Int { state.withLock { $0.items.count } }
}
