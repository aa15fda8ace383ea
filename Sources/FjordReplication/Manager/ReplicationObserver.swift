import FjordModel

/// What the replica manager reports as it works, for the broker's metrics: plain callbacks, so replication does not
/// depend on a metrics library. Each runs on the thread that saw the event (an event loop, a fetcher task or the
/// AlterPartition task) and must be quick and non-blocking (an atomic add).
public struct ReplicationObserver: Sendable {
    /// The controller committed an ISR change this broker proposed as leader; `shrunk` tells a shrink (a replica
    /// left) from an expansion (one joined). Called once per partition change.
    public var isrChanged: @Sendable (_ topicPartition: TopicPartition, _ shrunk: Bool) -> Void
    /// As a follower, this broker appended `bytes` of record batches fetched from a leader.
    public var followerFetched: @Sendable (_ bytes: Int) -> Void
    /// As a leader, this broker answered a replica fetch carrying `bytes` of record batches.
    public var servedFollower: @Sendable (_ bytes: Int) -> Void

    public init(
        isrChanged: @escaping @Sendable (_ topicPartition: TopicPartition, _ shrunk: Bool) -> Void = { _, _ in },
        followerFetched: @escaping @Sendable (_ bytes: Int) -> Void = { _ in },
        servedFollower: @escaping @Sendable (_ bytes: Int) -> Void = { _ in }
    ) {
        self.isrChanged = isrChanged
        self.followerFetched = followerFetched
        self.servedFollower = servedFollower
    }

    /// Reports nothing.
    public static let none = ReplicationObserver()
}
