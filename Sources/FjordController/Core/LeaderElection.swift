import FjordModel

/// Kafka's partition leader election algorithms (`PartitionLeaderElectionAlgorithms`), as pure functions.
///
/// Every algorithm scans the assignment in order, so the earliest eligible replica wins and the preferred replica
/// (the first) wins whenever it is eligible.
public enum LeaderElection {
    /// A leader for a partition whose leader is offline, or for a new partition: the first assigned replica that is
    /// live and in the ISR; with unclean election allowed and none such, the first live assigned replica.
    public static func offline(
        assignment: [BrokerID], isr: [BrokerID], live: (BrokerID) -> Bool, allowUnclean: Bool
    ) -> (leader: BrokerID, clean: Bool)? {
        if let leader = assignment.first(where: { live($0) && isr.contains($0) }) { return (leader, true) }
        if allowUnclean, let leader = assignment.first(where: live) { return (leader, false) }
        return nil
    }

    /// A leader among the target replicas of a completing reassignment: the first that is live and in the ISR.
    public static func reassignment(target: [BrokerID], isr: [BrokerID], live: (BrokerID) -> Bool) -> BrokerID? {
        target.first { live($0) && isr.contains($0) }
    }

    /// The preferred replica (first assigned), only when it is live and in the ISR.
    public static func preferred(assignment: [BrokerID], isr: [BrokerID], live: (BrokerID) -> Bool) -> BrokerID? {
        guard let first = assignment.first, live(first), isr.contains(first) else { return nil }
        return first
    }

    /// A leader replacing one that is shutting down: the first assigned replica that is registered, in the ISR and
    /// not shutting down itself.
    public static func controlledShutdown(
        assignment: [BrokerID], isr: [BrokerID], registered: (BrokerID) -> Bool, shuttingDown: Set<BrokerID>
    ) -> BrokerID? {
        assignment.first { registered($0) && isr.contains($0) && !shuttingDown.contains($0) }
    }

    /// The ISR without `removed`, never empty: when every member would go, one stays — the current leader if it is
    /// a member, else the first member — because an empty ISR would forget which replicas hold the committed data.
    public static func isr(_ isr: [BrokerID], removing removed: Set<BrokerID>, leader: BrokerID) -> [BrokerID] {
        let remaining = isr.filter { !removed.contains($0) }
        if !remaining.isEmpty || isr.isEmpty { return remaining }
        return isr.contains(leader) ? [leader] : [isr[0]]
    }
}
