import FjordModel

/// Which broker coordinates a group (FindCoordinator).
///
/// The live owner recorded in ZooKeeper, if there is one; otherwise a deterministic choice every broker makes
/// alike: the group id's Java `String.hashCode` made non-negative with Kafka's `Utils.abs` (as Kafka hashes group
/// ids to `__consumer_offsets` partitions), modulo the number of live brokers, indexing the live broker ids sorted
/// ascending. The chosen broker claims the group on its first request for it; brokers that find another live owner
/// answer NOT_COORDINATOR, and clients look the coordinator up again.
public enum CoordinatorSelection {
    /// The coordinator for `groupID`, or nil when no broker is live.
    public static func coordinator(for groupID: GroupID, liveBrokers: [BrokerID], currentOwner: BrokerID?) -> BrokerID?
    {
        if let currentOwner, liveBrokers.contains(currentOwner) { return currentOwner }
        let sorted = Array(Set(liveBrokers)).sorted()
        guard !sorted.isEmpty else { return nil }
        let hash = javaHashCode(groupID.rawValue)
        let nonNegative = hash == Int32.min ? 0 : abs(Int(hash))
        return sorted[nonNegative % sorted.count]
    }

    /// Java's `String.hashCode`: `s[0]·31^(n-1) + … + s[n-1]` over UTF-16 code units, wrapping at 32 bits.
    public static func javaHashCode(_ text: String) -> Int32 {
        var hash: Int32 = 0
        for unit in text.utf16 { hash = hash &* 31 &+ Int32(unit) }
        return hash
    }
}
