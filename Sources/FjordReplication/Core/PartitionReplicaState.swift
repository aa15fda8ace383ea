import FjordModel
import KafkaProtocol

/// The leader's replication state of one partition: the *instance* (pure logic, no I/O, time as an input) that the
/// ``Partition`` shell feeds with events and whose answers it carries out.
///
/// Terms (Kafka's): the *log end offset* (LEO) of a replica is the offset its next batch gets; the *high watermark*
/// (HW) is the offset below which every record is on every member of the ISR, the bound of what consumers see and
/// of what acks=all produce requests wait for; the *ISR* (in-sync replicas) are the replicas that may become leader
/// without losing committed records; the *leader epoch start offset* is the leader's LEO when its epoch began.
///
/// Rules:
/// - HW = the minimum LEO over the leader and the replicas of the *maximal* ISR (``IsrState``) and over replicas not
///   in the ISR that are caught up (they are about to join; without waiting for them a busy leader's HW could keep
///   running ahead of them and they would never join). The HW never decreases, and it does not advance while the
///   committed ISR is smaller than `min(min.insync.replicas, replication factor)` (Kafka 3.7+, KAFKA-15583).
/// - A replica joins the ISR when its LEO is at or past the HW *and* at or past the leader epoch start offset
///   (KAFKA-7128: otherwise it might lack committed records between the old HW and the new leader's LEO).
/// - An ISR member leaves when it has not been caught up for `replica.lag.time.max.ms`.
/// - Both changes are proposed to the controller (AlterPartition), one at a time; the leader never writes the ISR.
///   Proposals never drop the leader and are never empty.
///
/// Invariants (checked with `precondition`): the leader is not one of ``followers``; `highWatermark <=
/// leaderLogEndOffset`; `leaderEpochStartOffset <= leaderLogEndOffset`.
///
/// Ownership: a value inside the ``Partition`` shell, under its lock.
public struct PartitionReplicaState: Sendable {
    public let localBrokerID: BrokerID
    public let replicaLagTimeMaxMs: Int64
    public internal(set) var leaderEpoch: LeaderEpoch
    public internal(set) var leaderEpochStartOffset: Offset
    /// The version of the partition state znode this leader last knew (compare-and-set for AlterPartition).
    public internal(set) var partitionEpoch: Int32
    public internal(set) var replicas: [BrokerID]
    public internal(set) var isr: IsrState
    public internal(set) var followers: [BrokerID: FollowerReplicaState]
    public internal(set) var highWatermark: Offset
    public internal(set) var leaderLogEndOffset: Offset
    /// The partition's `min.insync.replicas`.
    public var minInsyncReplicas: Int
    /// Replicas the controller refused to add to the ISR (INELIGIBLE_REPLICA: dead or shutting down), with the broker
    /// epoch they fetched with then. Such a replica is not waited for by the HW nor proposed again until it fetches
    /// with another broker epoch (it restarted), so a broker on its way down cannot pin the HW (Kafka's
    /// `isReplicaIsrEligible`).
    public internal(set) var ineligibleReplicas: [BrokerID: BrokerEpoch?] = [:]
    /// Replicas the broker's metadata shows as not live (no registration): like refused ones, they are neither
    /// proposed for the ISR nor waited for by the HW unless already in the (maximal) ISR. Refreshed by the shell.
    public internal(set) var deadReplicas: Set<BrokerID> = []

    /// The leadership a LeaderAndIsr request hands this replica.
    public struct Leadership: Hashable, Sendable {
        public var leaderEpoch: LeaderEpoch
        public var partitionEpoch: Int32
        public var isr: [BrokerID]
        public var replicas: [BrokerID]

        public init(leaderEpoch: LeaderEpoch, partitionEpoch: Int32, isr: [BrokerID], replicas: [BrokerID]) {
            self.leaderEpoch = leaderEpoch
            self.partitionEpoch = partitionEpoch
            self.isr = isr
            self.replicas = replicas
        }
    }

    /// The state of a replica becoming leader at `nowMs` with its log at `leaderLogEndOffset` and
    /// `highWatermark` (the checkpointed or follower high watermark). The new epoch starts at the log end offset.
    ///
    /// - Parameter previous: the state of this replica's previous leadership of the partition, if it was leader
    ///   just before (a re-election keeps what it learned of the followers' LEOs).
    public init(
        becomingLeader leadership: Leadership, localBrokerID: BrokerID, leaderLogEndOffset: Offset,
        highWatermark: Offset, nowMs: Int64, replicaLagTimeMaxMs: Int64, minInsyncReplicas: Int,
        previous: PartitionReplicaState? = nil
    ) {
        self.localBrokerID = localBrokerID
        self.replicaLagTimeMaxMs = replicaLagTimeMaxMs
        self.leaderEpoch = leadership.leaderEpoch
        self.leaderEpochStartOffset = leaderLogEndOffset
        self.partitionEpoch = leadership.partitionEpoch
        self.replicas = leadership.replicas
        self.isr = IsrState(committed: Set(leadership.isr))
        self.highWatermark = min(highWatermark, leaderLogEndOffset)
        self.leaderLogEndOffset = leaderLogEndOffset
        self.minInsyncReplicas = minInsyncReplicas
        var followers: [BrokerID: FollowerReplicaState] = [:]
        for id in leadership.replicas where id != localBrokerID {
            var follower = previous?.followers[id] ?? FollowerReplicaState(brokerID: id)
            follower.reset(
                nowMs: nowMs, leaderLogEndOffset: leaderLogEndOffset, isNewLeader: previous == nil,
                inSync: leadership.isr.contains(id))
            followers[id] = follower
        }
        self.followers = followers
        _ = maybeIncrementHighWatermark(nowMs: nowMs)
    }

    // MARK: Queries

    /// `min(min.insync.replicas, replication factor)`: a setting above the replica count cannot be met, so Kafka
    /// caps it.
    public var effectiveMinIsr: Int { max(1, min(minInsyncReplicas, replicas.count)) }

    /// The committed ISR is smaller than the effective `min.insync.replicas`: acks=all produce is refused and the
    /// high watermark does not advance.
    public var isUnderMinIsr: Bool { isr.committed.count < effectiveMinIsr }

    public var isUnderReplicated: Bool { isr.committed.count < replicas.count }

    public func isFollower(_ id: BrokerID) -> Bool { followers[id] != nil }

    /// Whether an acks=all append ending just before `requiredOffset` is committed: `(false, .noError)` while the HW
    /// is below it; once it is reached, `.noError` if the maximal ISR still has `min.insync.replicas` members, else
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND (the ISR shrank after the append was accepted).
    public func checkEnoughReplicasReachOffset(_ requiredOffset: Offset) -> (done: Bool, error: ErrorCode) {
        guard highWatermark >= requiredOffset else { return (false, .noError) }
        return (true, isr.maximal.count >= effectiveMinIsr ? .noError : .notEnoughReplicasAfterAppend)
    }

    // MARK: Events

    /// The leader appended: its log end offset is now `logEndOffset`. Returns the new HW if it advanced (an ISR of
    /// the leader alone commits at once).
    public mutating func leaderAppended(logEndOffset: Offset, nowMs: Int64) -> Offset? {
        precondition(
            logEndOffset >= leaderLogEndOffset, "leader LEO went back from \(leaderLogEndOffset) to \(logEndOffset)")
        leaderLogEndOffset = logEndOffset
        return maybeIncrementHighWatermark(nowMs: nowMs)
    }

    /// What a follower fetch changed.
    public struct FetchUpdate: Hashable, Sendable {
        /// The new HW when it advanced.
        public var highWatermark: Offset?
        /// An ISR expansion to send to the controller.
        public var proposal: IsrProposal?
    }

    /// Follower `id` fetched from `fetchOffset` (so its LEO is `fetchOffset`) at `nowMs`. Updates its state, may
    /// propose adding it to the ISR, and may advance the HW. A replica that is not a follower of this partition
    /// changes nothing (the shell refuses its fetch).
    public mutating func followerFetched(
        _ id: BrokerID, fetchOffset: Offset, logStartOffset: Offset, brokerEpoch: BrokerEpoch, nowMs: Int64
    ) -> FetchUpdate {
        guard followers[id] != nil else { return FetchUpdate() }
        let previousEnd = followers[id]!.logEndOffset
        followers[id]!.recordFetch(
            fetchOffset: fetchOffset, logStartOffset: logStartOffset, fetchTimeMs: nowMs,
            leaderLogEndOffset: leaderLogEndOffset, brokerEpoch: brokerEpoch)
        var update = FetchUpdate()
        update.proposal = maybeProposeExpansion(of: id)
        if previousEnd != fetchOffset || update.proposal != nil {
            update.highWatermark = maybeIncrementHighWatermark(nowMs: nowMs)
        }
        return update
    }

    /// The periodic ISR check: proposes removing the ISR members that have not been caught up for
    /// `replica.lag.time.max.ms`, unless a change is already pending.
    public mutating func checkIsrShrink(nowMs: Int64) -> IsrProposal? {
        guard !isr.isInflight else { return nil }
        let outOfSync = outOfSyncReplicas(nowMs: nowMs)
        guard !outOfSync.isEmpty else { return nil }
        let proposal = makeProposal(isr.committed.subtracting(outOfSync))
        isr.pending = PendingIsrChange(kind: .shrink(outOfSync), proposal: proposal, status: .inFlight)
        return proposal
    }

    /// The ISR members (leader excluded) not caught up at `nowMs`; a member with no follower state (not in the
    /// replica list) counts as out of sync.
    public func outOfSyncReplicas(nowMs: Int64) -> Set<BrokerID> {
        isr.committed.filter { id in
            guard id != localBrokerID else { return false }
            guard let follower = followers[id] else { return true }
            return !follower.isCaughtUp(
                leaderLogEndOffset: leaderLogEndOffset, nowMs: nowMs, replicaLagTimeMaxMs: replicaLagTimeMaxMs)
        }
    }

    // MARK: HW

    /// Recomputes the HW; returns it if it advanced.
    mutating func maybeIncrementHighWatermark(nowMs: Int64) -> Offset? {
        guard !isUnderMinIsr else { return nil }
        var candidate = leaderLogEndOffset
        let maximal = isr.maximal
        for (id, follower) in followers where follower.logEndOffset < candidate {
            let waitForJoin = follower.isCaughtUp(
                leaderLogEndOffset: leaderLogEndOffset, nowMs: nowMs, replicaLagTimeMaxMs: replicaLagTimeMaxMs)
            if maximal.contains(id) || (waitForJoin && isEligible(id)) { candidate = follower.logEndOffset }
        }
        guard candidate > highWatermark else { return nil }
        precondition(candidate <= leaderLogEndOffset, "HW \(candidate) beyond the leader LEO \(leaderLogEndOffset)")
        highWatermark = candidate
        return candidate
    }

    // MARK: ISR proposals

    private mutating func maybeProposeExpansion(of id: BrokerID) -> IsrProposal? {
        guard !isr.isInflight, !isr.committed.contains(id), isEligible(id), let follower = followers[id] else {
            return nil
        }
        // KAFKA-7128: caught up to the HW *and* to the start of this leader epoch.
        guard follower.logEndOffset >= highWatermark, follower.logEndOffset >= leaderEpochStartOffset else {
            return nil
        }
        let proposal = makeProposal(isr.committed.union([id]))
        isr.pending = PendingIsrChange(kind: .expand(id), proposal: proposal, status: .inFlight)
        return proposal
    }

    /// Whether `id` may join the ISR: it is live, and the controller has not refused it in its current broker epoch.
    func isEligible(_ id: BrokerID) -> Bool {
        guard !deadReplicas.contains(id) else { return false }
        guard let refusedEpoch = ineligibleReplicas[id] else { return true }
        return followers[id]?.brokerEpoch != refusedEpoch
    }

    /// Re-reads which followers are live. Allocates nothing while every follower is live.
    public mutating func refreshLiveness(_ isLive: (BrokerID) -> Bool) {
        var dead: Set<BrokerID> = []
        for id in followers.keys where !isLive(id) { dead.insert(id) }
        if dead != deadReplicas { deadReplicas = dead }
    }

    private func makeProposal(_ members: Set<BrokerID>) -> IsrProposal {
        // Never without the leader, hence never empty.
        let newIsr = members.union([localBrokerID]).sorted()
        return IsrProposal(leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch, newIsr: newIsr)
    }
}
