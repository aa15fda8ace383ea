import FjordModel
import NIOCore
import Synchronization

/// Wakes a client loop (the producer's sender, the consumer's fetcher) when there is work: a batch opened or
/// full, a response, new metadata or a connection, a records buffer drained, or a deadline (linger, backoff) passed.
///
/// A signal sent while the loop is busy is remembered (one pending flag), so no wake-up is lost between the loop
/// deciding to wait and waiting. Deadlines use a timer on `eventLoop`; a timer that fires after the wait ended
/// early is recognised by its generation and ignored.
final class LoopWakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    private let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Wakes the loop now, or makes its next wait return at once.
    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Waits for a signal, or until `deadlineNs` (monotonic) when given.
    func wait(untilNs deadlineNs: UInt64?) async {
        if let deadlineNs, deadlineNs <= MonotonicClock.nowNs() {
            state.withLock { $0.pending = false }
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let generation = state.withLock { s -> UInt64? in
                if s.pending {
                    s.pending = false
                    return nil
                }
                s.generation &+= 1
                s.waiter = continuation
                return s.generation
            }
            guard let generation else {
                continuation.resume()
                return
            }
            guard let deadlineNs else { return }
            let delay = Int64(clamping: deadlineNs &- min(deadlineNs, MonotonicClock.nowNs()))
            eventLoop.scheduleTask(in: .nanoseconds(delay)) { [self] in
                let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                    guard s.generation == generation, let w = s.waiter else { return nil }
                    s.waiter = nil
                    return w
                }
                waiter?.resume()
            }
        }
    }
}
