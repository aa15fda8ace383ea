import FjordModel

/// The ISR as the leader sees it (KIP-497): the *committed* ISR (from LeaderAndIsr or an accepted AlterPartition)
/// and at most one change proposed to the controller and not yet answered.
///
/// The *maximal* ISR is the committed ISR plus a pending expansion's new member. The high watermark is computed over
/// it: counting a replica that may not make it into the ISR only makes the high watermark more conservative, while
/// dropping a replica before the controller agrees could let the high watermark pass a replica that remains in the
/// ISR and may become leader. A pending shrink therefore still counts the replicas it removes.
public struct IsrState: Hashable, Sendable, CustomStringConvertible {
    public internal(set) var committed: Set<BrokerID>
    public internal(set) var pending: PendingIsrChange?

    public init(committed: Set<BrokerID>, pending: PendingIsrChange? = nil) {
        self.committed = committed
        self.pending = pending
    }

    public var maximal: Set<BrokerID> {
        guard let pending, case .expand(let added) = pending.kind else { return committed }
        return committed.union([added])
    }

    /// A change was proposed and no answer has settled it: no other change may be proposed (one AlterPartition in
    /// flight per partition).
    public var isInflight: Bool { pending != nil }

    public var description: String {
        let members = committed.map(\.rawValue).sorted()
        guard let pending else { return "isr \(members)" }
        return "isr \(members), \(pending)"
    }
}

/// A proposed ISR change and where its AlterPartition stands.
public struct PendingIsrChange: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case expand(BrokerID)
        case shrink(Set<BrokerID>)
    }

    public enum Status: Hashable, Sendable {
        /// Sent (or being retried); the answer is awaited.
        case inFlight
        /// The controller refused it in a way that means our view is stale (fenced leader epoch, stale partition
        /// epoch, unknown partition, invalid request): nothing more is proposed until the next LeaderAndIsr, and the
        /// maximal ISR stays as proposed (the safe side) meanwhile.
        case awaitingLeaderAndIsr
    }

    public var kind: Kind
    public var proposal: IsrProposal
    public var status: Status

    public var description: String {
        switch kind {
        case .expand(let id): "pending expand +\(id) (\(status))"
        case .shrink(let ids): "pending shrink -\(ids.map(\.rawValue).sorted()) (\(status))"
        }
    }
}

/// An ISR change the leader asks the controller for: one AlterPartition partition entry.
public struct IsrProposal: Hashable, Sendable {
    public var leaderEpoch: LeaderEpoch
    /// The partition epoch the change is based on (compare-and-set on the controller's side).
    public var partitionEpoch: Int32
    /// The proposed ISR, sorted, never empty, always holding the leader.
    public var newIsr: [BrokerID]

    public init(leaderEpoch: LeaderEpoch, partitionEpoch: Int32, newIsr: [BrokerID]) {
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
        self.newIsr = newIsr
    }
}
