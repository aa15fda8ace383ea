import FjordModel
import Synchronization
import ZooKeeper

/// The broker's current ZooKeeper session and the broker epoch it registered with.
///
/// A session lives until it expires; the broker then opens a new one and registers again with a new epoch
/// (``BrokerServer`` does that). Everything that talks to ZooKeeper asks this holder for the current client instead
/// of keeping one, and watch loops wait here for the next session when theirs ends.
///
/// Thread-safety: state behind a `Mutex`; waiters are resumed outside it.
public final class BrokerSession: Sendable {
    private struct State {
        var client: ZooKeeperClient?
        var epoch: BrokerEpoch = .none
        /// Grows by one per installed session.
        var generation: UInt64 = 0
        var closed = false
        var waiters: [CheckedContinuation<(client: ZooKeeperClient, generation: UInt64)?, Never>] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Installs a newly registered session; wakes everything waiting for one.
    public func install(_ client: ZooKeeperClient, epoch: BrokerEpoch) {
        let (waiters, generation) = state.withLock { state in
            state.client = client
            state.epoch = epoch
            state.generation += 1
            let waiters = state.waiters
            state.waiters = []
            return (waiters, state.generation)
        }
        for waiter in waiters { waiter.resume(returning: (client: client, generation: generation)) }
    }

    /// Marks the holder closed: waiters get nil, ``current()`` throws `closing`.
    public func markClosed() {
        let waiters = state.withLock { state in
            state.closed = true
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    /// The current client. Throws `ZooKeeperError(.closing)` before the first session or after shutdown.
    public func current() throws -> ZooKeeperClient {
        guard let client = state.withLock({ $0.closed ? nil : $0.client }) else {
            throw ZooKeeperError(code: .closing, operation: .connect)
        }
        return client
    }

    /// The client of a session newer than `generation` (waiting for one if needed), or nil once closed.
    public func next(after generation: UInt64) async -> (client: ZooKeeperClient, generation: UInt64)? {
        await withCheckedContinuation { continuation in
            let ready: (client: ZooKeeperClient, generation: UInt64)?? = state.withLock { state in
                if state.closed { return .some(nil) }
                if let client = state.client, state.generation > generation {
                    return (client: client, generation: state.generation)
                }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// This broker's epoch: the czxid of its registration znode in the current session; -1 before registering.
    public var brokerEpoch: BrokerEpoch { state.withLock { $0.epoch } }

    public var generation: UInt64 { state.withLock { $0.generation } }

    /// True when the broker must assume its registration is gone (see
    /// `ZooKeeperClient.mustAssumeSessionLost(at:)`); the ReplicaManager's `isFenced`.
    public func mustAssumeSessionLost() -> Bool {
        guard let client = state.withLock({ $0.closed ? nil : $0.client }) else { return true }
        return client.mustAssumeSessionLost()
    }
}
