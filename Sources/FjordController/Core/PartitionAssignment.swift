import FjordModel

/// The replicas assigned to one partition, with the reassignment in progress if any (KIP-455; Kafka's
/// `ReplicaAssignment`).
///
/// Terms: RS = `replicas` (everything assigned now), ORS = ``originReplicas`` (before the reassignment), TRS =
/// ``targetReplicas`` (after it). During a reassignment RS = TRS ∪ ORS with the target replicas first,
/// `adding` = TRS \ ORS and `removing` = ORS \ TRS. Outside a reassignment `adding` and `removing` are empty and
/// RS = ORS = TRS. The first replica of RS is the preferred leader.
public struct PartitionAssignment: Hashable, Sendable, CustomStringConvertible {
    public private(set) var replicas: [BrokerID]
    public private(set) var adding: [BrokerID]
    public private(set) var removing: [BrokerID]

    public init(replicas: [BrokerID], adding: [BrokerID] = [], removing: [BrokerID] = []) {
        self.replicas = replicas
        self.adding = adding
        self.removing = removing
    }

    public var isBeingReassigned: Bool { !adding.isEmpty || !removing.isEmpty }
    /// ORS: the replicas before the reassignment.
    public var originReplicas: [BrokerID] { replicas.filter { !adding.contains($0) } }
    /// TRS: the replicas once the reassignment completes.
    public var targetReplicas: [BrokerID] { replicas.filter { !removing.contains($0) } }
    /// The preferred leader: the first assigned replica.
    public var preferredLeader: BrokerID? { replicas.first }

    /// The assignment while moving to `target`: RS = target followed by the origin replicas not in it.
    public func reassigning(to target: [BrokerID]) -> PartitionAssignment {
        let origin = originReplicas
        var full: [BrokerID] = []
        for id in target + origin where !full.contains(id) { full.append(id) }
        return PartitionAssignment(
            replicas: full, adding: full.filter { !origin.contains($0) }, removing: full.filter { !target.contains($0) }
        )
    }

    /// The assignment once the reassignment has completed: RS = TRS, nothing adding or removing.
    public func completed() -> PartitionAssignment { PartitionAssignment(replicas: targetReplicas) }

    public var description: String {
        var text = "replicas=\(replicas.map(\.rawValue))"
        if isBeingReassigned { text += " adding=\(adding.map(\.rawValue)) removing=\(removing.map(\.rawValue))" }
        return text
    }
}
