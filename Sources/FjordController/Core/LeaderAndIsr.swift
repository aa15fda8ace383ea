import FjordCluster
import FjordModel

/// The version of a partition's `state` znode: the partition epoch (KIP-497).
///
/// Every change of leader or ISR writes the znode with compare-and-set on this version, so it grows by one per
/// change. Brokers send it back in AlterPartition so the controller can reject requests based on stale state.
public struct PartitionEpoch: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }
    @inlinable public init(_ value: Int32) { self.rawValue = value }
    /// The version of a freshly created znode.
    public static let initial = PartitionEpoch(0)
    @inlinable public static func < (lhs: PartitionEpoch, rhs: PartitionEpoch) -> Bool { lhs.rawValue < rhs.rawValue }
    @inlinable public func next() -> PartitionEpoch { PartitionEpoch(rawValue + 1) }
    public var description: String { String(rawValue) }
}

/// A partition's leadership as the controller knows it: leader, leader epoch, ISR, and the partition epoch (the
/// `state` znode version) the next compare-and-set must expect.
///
/// Invariants (checked by ``checkInvariants()``): the ISR is never empty, has no duplicates, and contains the
/// leader whenever there is one. `leader == .none` (-1) means the partition is offline.
public struct LeaderAndIsr: Hashable, Sendable, CustomStringConvertible {
    public var leader: BrokerID
    public var leaderEpoch: LeaderEpoch
    public var isr: [BrokerID]
    /// The controller epoch of the controller that wrote this state.
    public var controllerEpoch: ControllerEpoch
    public var partitionEpoch: PartitionEpoch
    /// KIP-704 leader recovery state; Fjord always writes 0 (recovered).
    public var leaderRecoveryState: Int8

    /// Kafka's sentinel leader for partitions of a topic being deleted (`LeaderDuringDelete`).
    public static let leaderDuringDelete = BrokerID(-2)
    /// Kafka's sentinel leader epoch sent in StopReplica for a topic being deleted (`EpochDuringDelete`).
    public static let epochDuringDelete = LeaderEpoch(-2)

    public init(
        leader: BrokerID, leaderEpoch: LeaderEpoch, isr: [BrokerID], controllerEpoch: ControllerEpoch,
        partitionEpoch: PartitionEpoch, leaderRecoveryState: Int8 = 0
    ) {
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.isr = isr
        self.controllerEpoch = controllerEpoch
        self.partitionEpoch = partitionEpoch
        self.leaderRecoveryState = leaderRecoveryState
    }

    /// Reads a `state` znode: its JSON and its version.
    public init(znode: PartitionState, version: Int32) {
        self.init(
            leader: znode.leaderID, leaderEpoch: znode.epoch, isr: znode.isrIDs,
            controllerEpoch: ControllerEpoch(znode.controllerEpoch), partitionEpoch: PartitionEpoch(version),
            leaderRecoveryState: znode.leaderRecoveryState)
    }

    public var hasLeader: Bool { leader != .none }

    /// The JSON written to the `state` znode (the partition epoch is the znode version, not part of the JSON).
    public var znode: PartitionState {
        var state = PartitionState(leader: leader, leaderEpoch: leaderEpoch, isr: isr, controllerEpoch: controllerEpoch)
        state.leaderRecoveryState = leaderRecoveryState
        return state
    }

    /// A new leadership decision written by the controller of `controllerEpoch`: the leader epoch grows by one.
    /// The partition epoch is left as is: it is the version the write expects, and grows when the write succeeds.
    public func electing(_ newLeader: BrokerID, isr newIsr: [BrokerID], by controllerEpoch: ControllerEpoch)
        -> LeaderAndIsr
    {
        var next = self
        next.leader = newLeader
        next.isr = newIsr
        next.leaderEpoch = leaderEpoch.next()
        next.controllerEpoch = controllerEpoch
        return next
    }

    /// Whether `other` is the same decision, allowing `other` to carry an older partition epoch (Kafka's
    /// `equalsAllowStalePartitionEpoch`, used to answer a retried AlterPartition idempotently).
    public func isSameDecision(asStale other: LeaderAndIsr) -> Bool {
        leader == other.leader && leaderEpoch == other.leaderEpoch && isr == other.isr
            && leaderRecoveryState == other.leaderRecoveryState && other.partitionEpoch <= partitionEpoch
    }

    /// Nil when the invariants hold, else what is wrong.
    public func invariantViolation() -> String? {
        if isr.isEmpty { return "empty ISR in \(self)" }
        if Set(isr).count != isr.count { return "duplicate ISR members in \(self)" }
        if hasLeader && leader != Self.leaderDuringDelete && !isr.contains(leader) {
            return "leader outside the ISR in \(self)"
        }
        return nil
    }

    public var description: String {
        "leader=\(leader) leader_epoch=\(leaderEpoch) isr=\(isr.map(\.rawValue)) partition_epoch=\(partitionEpoch)"
    }
}
