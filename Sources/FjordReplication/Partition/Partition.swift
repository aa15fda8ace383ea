import FjordModel
import FjordStorage
import KafkaProtocol
import Logging
import Synchronization

/// One partition hosted by this broker: its log, its role (leader, follower or stopped) and, as leader, its
/// ``PartitionReplicaState`` and idempotent-producer state. The *shell* around the pure replica state: it takes the
/// locks, calls the log, and hands back what the ``ReplicaManager`` must do next (complete delayed operations, send
/// an AlterPartition).
///
/// Concurrency and ownership:
/// - `state` (a `Mutex`) owns role, epochs, replica state and producer state. It is held for short, non-blocking
///   work only: a leader append (one `pwrite` into the page cache), a follower append, bookkeeping of a follower
///   fetch. Never across an fsync, a scan, or a call into a purgatory (delayed operations take partition locks, so
///   the order is purgatory operation → partition, never the reverse).
/// - `logMutation` serializes the blocking changes of the log and of the role: becoming leader or follower
///   (epoch checkpoint, producer-state rebuild), truncation, stopping. Order: `logMutation`, then `state`.
/// - Readers (fetches) copy what they need under `state` and read the log outside any lock.
///
/// Invariants: `leaderEpoch` never decreases; a leader's ``PartitionReplicaState/leaderEpoch`` equals
/// `leaderEpoch`; the producer state, when loaded, reflects exactly the batches in the log.
final class Partition: Sendable {
    let topicPartition: TopicPartition
    let localBrokerID: BrokerID
    let log: PartitionLog
    let logger: Logger
    let state: Mutex<State>
    let logMutation = Mutex(())

    enum Role: Sendable {
        /// Created, or stopped by StopReplica: serves nothing.
        case none
        case leader(PartitionReplicaState)
        case follower(leader: BrokerID)
    }

    struct State: Sendable {
        var role: Role = .none
        var leaderEpoch: LeaderEpoch = .none
        var partitionEpoch: Int32 = -1
        var replicas: [BrokerID] = []
        /// The ISR LeaderAndIsr last gave (followers only; a leader's lives in its replica state).
        var followerIsr: [BrokerID] = []
        var producerState = ProducerStateTable()
        /// Whether `producerState` reflects the log (false after open and after truncation until rebuilt).
        var producerStateLoaded = false
    }

    /// Whether a broker is live in this broker's metadata (ISR eligibility of followers).
    let isLive: @Sendable (BrokerID) -> Bool

    init(
        topicPartition: TopicPartition, localBrokerID: BrokerID, log: PartitionLog, logger: Logger,
        isLive: @escaping @Sendable (BrokerID) -> Bool = { _ in true }
    ) {
        self.isLive = isLive
        self.topicPartition = topicPartition
        self.localBrokerID = localBrokerID
        self.log = log
        self.logger = logger
        self.state = Mutex(State())
    }

    var leaderEpoch: LeaderEpoch { state.withLock { $0.leaderEpoch } }

    var isLeader: Bool {
        state.withLock {
            if case .leader = $0.role { return true }
            return false
        }
    }

    /// The leader's replica state, if this replica leads.
    var leaderState: PartitionReplicaState? {
        state.withLock {
            if case .leader(let replicaState) = $0.role { return replicaState }
            return nil
        }
    }

    /// The epoch check of client and replica requests that name the leader epoch they believe current (KIP-320):
    /// older → FENCED_LEADER_EPOCH, newer → UNKNOWN_LEADER_EPOCH.
    static func checkLeaderEpoch(_ requested: LeaderEpoch?, current: LeaderEpoch) -> ErrorCode {
        guard let requested, requested.rawValue >= 0 else { return .noError }
        if requested < current { return .fencedLeaderEpoch }
        if requested > current { return .unknownLeaderEpoch }
        return .noError
    }

    func snapshot() -> PartitionSnapshot {
        let (role, epoch, partitionEpoch, replicas, followerIsr) = state.withLock {
            ($0.role, $0.leaderEpoch, $0.partitionEpoch, $0.replicas, $0.followerIsr)
        }
        var snapshot = PartitionSnapshot(
            topicPartition: topicPartition, role: .none, leader: .none, leaderEpoch: epoch,
            partitionEpoch: partitionEpoch, replicas: replicas, isr: followerIsr, maximalIsr: followerIsr,
            pendingIsrChange: nil, highWatermark: log.highWatermark, logStartOffset: log.logStartOffset,
            logEndOffset: log.logEndOffset, followers: [])
        switch role {
        case .none: break
        case .follower(let leader):
            snapshot.role = .follower
            snapshot.leader = leader
        case .leader(let replicaState):
            snapshot.role = .leader
            snapshot.leader = localBrokerID
            snapshot.partitionEpoch = replicaState.partitionEpoch
            snapshot.isr = replicaState.isr.committed.sorted()
            snapshot.maximalIsr = replicaState.isr.maximal.sorted()
            snapshot.pendingIsrChange = replicaState.isr.pending.map(\.description)
            snapshot.followers = replicaState.followers.values.sorted { $0.brokerID < $1.brokerID }
            snapshot.leaderEpochStartOffset = replicaState.leaderEpochStartOffset
        }
        return snapshot
    }
}

/// What ``ReplicaManager/partitionSnapshot(_:)`` reports of a hosted partition (for metadata, metrics and tests).
public struct PartitionSnapshot: Sendable, CustomStringConvertible {
    public enum Role: String, Sendable { case none, leader, follower }

    public var topicPartition: TopicPartition
    public var role: Role
    public var leader: BrokerID
    public var leaderEpoch: LeaderEpoch
    public var partitionEpoch: Int32
    public var replicas: [BrokerID]
    /// The committed ISR (leader), or the ISR the last LeaderAndIsr named (follower).
    public var isr: [BrokerID]
    /// The committed ISR plus a pending expansion (leader only).
    public var maximalIsr: [BrokerID]
    public var pendingIsrChange: String?
    public var highWatermark: Offset
    public var logStartOffset: Offset
    public var logEndOffset: Offset
    public var followers: [FollowerReplicaState]
    public var leaderEpochStartOffset: Offset = .none

    public var description: String {
        "\(topicPartition) \(role.rawValue) epoch \(leaderEpoch) isr \(isr.map(\.rawValue)) HW \(highWatermark) "
            + "LEO \(logEndOffset)"
    }
}
