import FjordModel

/// What a leader knows of one follower of one partition, learned from the follower's fetches (Kafka's
/// `ReplicaState`). Pure value, owned by ``PartitionReplicaState``.
///
/// *Caught up* (``isCaughtUp(leaderLogEndOffset:nowMs:replicaLagTimeMaxMs:)``): the follower's log end offset equals
/// the leader's, or it last was level with the leader no longer than `replica.lag.time.max.ms` ago.
/// ``lastCaughtUpTimeMs`` is the latest time `t` at which a fetch showed the follower at or past the leader's log end
/// offset as of `t`; a follower that keeps up with a busy leader (always one produce behind at each fetch) still
/// counts as caught up because each fetch reaches the leader's end offset as of the *previous* fetch.
///
/// Invariant: `lastCaughtUpTimeMs` is never later than the last fetch or reset; offsets are `.none` until the first
/// fetch after this replica became leader.
public struct FollowerReplicaState: Hashable, Sendable, CustomStringConvertible {
    public let brokerID: BrokerID
    /// The follower's log start offset, as its last fetch said.
    public internal(set) var logStartOffset: Offset = .none
    /// The follower's log end offset: the fetch offset of its last fetch (`.none` before the first).
    public internal(set) var logEndOffset: Offset = .none
    /// The leader's log end offset when the follower's last fetch arrived.
    public internal(set) var lastFetchLeaderLogEndOffset: Offset = .none
    /// When the last fetch arrived (`nil`: none since this replica became leader, or the follower was not in the
    /// ISR at a re-election).
    public internal(set) var lastFetchTimeMs: Int64?
    /// `nil`: never caught up as far as this leadership knows (Kafka uses 0 with a wall clock; a monotonic clock
    /// needs an explicit "never").
    public internal(set) var lastCaughtUpTimeMs: Int64?
    /// The broker epoch the follower's last fetch carried.
    public internal(set) var brokerEpoch: BrokerEpoch?

    public init(brokerID: BrokerID) { self.brokerID = brokerID }

    public func isCaughtUp(leaderLogEndOffset: Offset, nowMs: Int64, replicaLagTimeMaxMs: Int64) -> Bool {
        if leaderLogEndOffset == logEndOffset { return true }
        guard let lastCaughtUpTimeMs else { return false }
        return nowMs - lastCaughtUpTimeMs <= replicaLagTimeMaxMs
    }

    /// A fetch from the follower at `fetchOffset` (its log end offset) arrived at `fetchTimeMs`, when the leader's
    /// log end offset was `leaderLogEndOffset`.
    mutating func recordFetch(
        fetchOffset: Offset, logStartOffset: Offset, fetchTimeMs: Int64, leaderLogEndOffset: Offset,
        brokerEpoch: BrokerEpoch
    ) {
        if fetchOffset >= leaderLogEndOffset {
            lastCaughtUpTimeMs = max(lastCaughtUpTimeMs ?? fetchTimeMs, fetchTimeMs)
        } else if fetchOffset >= lastFetchLeaderLogEndOffset, let lastFetchTimeMs {
            lastCaughtUpTimeMs = max(lastCaughtUpTimeMs ?? lastFetchTimeMs, lastFetchTimeMs)
        }
        self.logStartOffset = logStartOffset
        self.logEndOffset = fetchOffset
        self.lastFetchLeaderLogEndOffset = max(leaderLogEndOffset, lastFetchLeaderLogEndOffset)
        self.lastFetchTimeMs = fetchTimeMs
        self.brokerEpoch = brokerEpoch
    }

    /// This replica was (re-)elected leader at `nowMs` with log end offset `leaderLogEndOffset`. ISR members count
    /// as caught up now (else the new leader would shrink its ISR at once); others as never caught up, so that they
    /// do not hold the high watermark back. A new leader forgets what an earlier leadership learned.
    mutating func reset(nowMs: Int64, leaderLogEndOffset: Offset, isNewLeader: Bool, inSync: Bool) {
        lastCaughtUpTimeMs = inSync ? nowMs : nil
        if isNewLeader {
            logStartOffset = .none
            logEndOffset = .none
            lastFetchLeaderLogEndOffset = .none
            lastFetchTimeMs = nil
            brokerEpoch = nil
        } else {
            lastFetchLeaderLogEndOffset = leaderLogEndOffset
            lastFetchTimeMs = inSync ? nowMs : nil
        }
    }

    public var description: String {
        "replica \(brokerID): LEO \(logEndOffset), LSO \(logStartOffset), caught up at "
            + "\(lastCaughtUpTimeMs.map(String.init) ?? "never"), fetched at \(lastFetchTimeMs.map(String.init) ?? "never")"
    }
}
