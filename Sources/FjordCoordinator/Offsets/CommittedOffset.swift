import FjordModel

/// A committed position of a group in one partition (Kafka's `OffsetAndMetadata`).
public struct CommittedOffset: Hashable, Sendable, CustomStringConvertible {
    /// The next offset the group will consume.
    public var offset: Offset
    /// The leader epoch of the last consumed record, or ``LeaderEpoch/none``.
    public var leaderEpoch: LeaderEpoch
    /// The client's opaque string (never nil; a null commit is stored as "").
    public var metadata: String
    /// When the commit was made (broker time, or the client's for OffsetCommit v1).
    public var commitTimestamp: TimestampMs
    /// Set only by OffsetCommit v2–v4 with an explicit retention: the offset expires at this time, whatever the
    /// group's state (Kafka's old per-commit retention).
    public var expireTimestamp: TimestampMs?

    public init(
        offset: Offset, leaderEpoch: LeaderEpoch = .none, metadata: String = "", commitTimestamp: TimestampMs,
        expireTimestamp: TimestampMs? = nil
    ) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestamp = commitTimestamp
        self.expireTimestamp = expireTimestamp
    }

    /// The value stored for one entry of an OffsetCommit received at `now` (Kafka's `createOffsetAndMetadata`).
    public init(entry: OffsetCommitEntry, retentionTimeMs: Int64, now: TimestampMs) {
        self.offset = entry.offset
        self.leaderEpoch = entry.leaderEpoch.rawValue < 0 ? .none : entry.leaderEpoch
        self.metadata = entry.metadata ?? ""
        self.commitTimestamp = entry.commitTimestamp == .none ? now : entry.commitTimestamp
        self.expireTimestamp = retentionTimeMs == -1 ? nil : TimestampMs(now.rawValue &+ retentionTimeMs)
    }

    public var description: String {
        "offset=\(offset) epoch=\(leaderEpoch) committed=\(commitTimestamp)"
            + (expireTimestamp.map { " expires=\($0)" } ?? "")
    }
}
