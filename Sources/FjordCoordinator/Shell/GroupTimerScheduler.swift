import FjordModel

/// A cancellable timer armed by a ``GroupTimerScheduler``.
public struct GroupTimerHandle: Sendable {
    private let cancelAction: @Sendable () -> Void

    public init(cancel: @escaping @Sendable () -> Void) {
        self.cancelAction = cancel
    }

    /// Stops the timer if it has not fired yet (it may still fire if it is firing right now; the state machine
    /// ignores such a stale firing).
    public func cancel() { cancelAction() }
}

/// Runs the group state machines' timers. Injected so tests can drive time themselves.
public protocol GroupTimerScheduler: Sendable {
    /// Runs `action` once, when `deadline` is reached on the coordinator's clock (`now` is that clock's reading at
    /// the call), unless cancelled first.
    func schedule(at deadline: TimestampMs, now: TimestampMs, _ action: @escaping @Sendable () async -> Void)
        -> GroupTimerHandle
}

/// The production scheduler: one sleeping task per armed timer.
public struct TaskTimerScheduler: GroupTimerScheduler {
    public init() {}

    public func schedule(at deadline: TimestampMs, now: TimestampMs, _ action: @escaping @Sendable () async -> Void)
        -> GroupTimerHandle
    {
        let delayMs = max(deadline.rawValue - now.rawValue, 0)
        let task = Task {
            do {
                try await Task.sleep(for: .milliseconds(delayMs))
            } catch {
                return
            }
            await action()
        }
        return GroupTimerHandle { task.cancel() }
    }
}
