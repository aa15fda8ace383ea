import NIOCore
import Synchronization

/// A fetch (consumer or replica) waiting for enough new data, or for its max wait (Kafka's `DelayedFetch`).
///
/// `isSatisfied` decides, from the partitions' current end offsets, whether the fetch should answer now (enough
/// bytes, or a partition changed leadership or was truncated); `respond` reads the logs and completes the fetch's
/// promise. `respond` runs exactly once, outside the operation's lock, on the thread that completed it.
final class DelayedFetch: DelayedOperation {
    private let completed = Mutex(false)
    private let timeout = Mutex<Scheduled<Void>?>(nil)
    private let isSatisfied: @Sendable () -> Bool
    private let respond: @Sendable () -> Void

    init(isSatisfied: @escaping @Sendable () -> Bool, respond: @escaping @Sendable () -> Void) {
        self.isSatisfied = isSatisfied
        self.respond = respond
    }

    var isCompleted: Bool { completed.withLock { $0 } }

    /// Arms the max-wait timer on `eventLoop`; completion cancels it.
    func scheduleTimeout(on eventLoop: any EventLoop, afterMs timeoutMs: Int64) {
        let task = eventLoop.scheduleTask(in: .milliseconds(max(0, timeoutMs))) { [weak self] () -> Void in
            self?.expire()
        }
        timeout.withLock { $0 = task }
        if isCompleted { task.cancel() }
    }

    func tryComplete() -> Bool {
        if isCompleted { return true }
        guard isSatisfied() else { return false }
        if claim() { respond() }
        return true
    }

    func expire() {
        if claim() { respond() }
    }

    /// Marks the operation completed; true for the one caller that did.
    private func claim() -> Bool {
        let claimed = completed.withLock { done in
            if done { return false }
            done = true
            return true
        }
        if claimed { timeout.withLock { $0?.cancel() } }
        return claimed
    }
}
