import FjordModel

/// All committed offsets of one group, and the rules that read and expire them.
///
/// Only offsets whose write reached ZooKeeper are here (Kafka's "materialized" offsets); commits still being written
/// are tracked by ``GroupStateMachine`` so that an OffsetFetch never returns an offset that might not survive a
/// coordinator failover. Value type; owned by the group's state machine.
public struct CommittedOffsets: Hashable, Sendable {
    public private(set) var byPartition: [TopicPartition: CommittedOffset]

    public init(_ byPartition: [TopicPartition: CommittedOffset] = [:]) {
        self.byPartition = byPartition
    }

    public var isEmpty: Bool { byPartition.isEmpty }
    public var count: Int { byPartition.count }
    public subscript(partition: TopicPartition) -> CommittedOffset? { byPartition[partition] }

    public mutating func apply(_ updates: [TopicPartition: CommittedOffset]) {
        byPartition.merge(updates) { _, new in new }
    }

    public mutating func remove(_ partitions: some Sequence<TopicPartition>) {
        for partition in partitions { byPartition[partition] = nil }
    }

    public mutating func removeAll() { byPartition = [:] }

    /// OffsetFetch over these offsets: the requested partitions in request order, or every committed partition
    /// (sorted) when `partitions` is nil (OffsetFetch v2+ with null topics). Partitions without an offset get -1
    /// and "", and partitions in `unstable` (a commit still being written) get UNSTABLE_OFFSET_COMMIT when
    /// `requireStable` is set (OffsetFetch v7+).
    public func fetch(
        _ partitions: [TopicPartition]?, requireStable: Bool = false, unstable: Set<TopicPartition> = []
    ) -> [FetchedOffset] {
        let wanted = partitions ?? byPartition.keys.sorted()
        return wanted.map { partition in
            if requireStable && unstable.contains(partition) {
                return .missing(partition, error: .unstableOffsetCommit)
            }
            guard let committed = byPartition[partition] else { return .missing(partition) }
            return FetchedOffset(
                partition: partition, offset: committed.offset, leaderEpoch: committed.leaderEpoch,
                metadata: committed.metadata, error: .none)
        }
    }
}

/// What the retention rule needs to know about a group (Kafka's `GroupMetadata.removeExpiredOffsets`).
public struct OffsetRetentionContext: Hashable, Sendable {
    public var state: GroupState
    /// nil for a group only used to store offsets (a simple consumer's).
    public var protocolType: String?
    /// For a Stable "consumer" group, the topics its members subscribe to (nil when unknown).
    public var subscribedTopics: Set<String>?
    /// When the group entered its current state.
    public var stateTimestamp: TimestampMs?

    public init(
        state: GroupState, protocolType: String?, subscribedTopics: Set<String>?, stateTimestamp: TimestampMs?
    ) {
        self.state = state
        self.protocolType = protocolType
        self.subscribedTopics = subscribedTopics
        self.stateTimestamp = stateTimestamp
    }
}

extension CommittedOffsets {
    /// The partitions whose offsets have expired at `now`, sorted. Pure; the caller removes and persists them.
    ///
    /// Kafka 3.9's rule (KIP-211):
    /// - a group with a protocol type and no members (Empty): every offset expires `retentionMs` after the group
    ///   became Empty (or after its commit, when that time is unknown);
    /// - a Stable "consumer" group whose subscriptions are known: offsets of topics no member subscribes to expire
    ///   `retentionMs` after their commit;
    /// - a group without protocol type (offsets only): each offset expires `retentionMs` after its commit;
    /// - otherwise (rebalancing, or a non-consumer protocol in use) nothing expires.
    /// An offset committed with an explicit retention (OffsetCommit v2–v4) expires at its own expire timestamp
    /// instead. Offsets with a commit in flight (`pending`) never expire.
    public func expiredPartitions(
        context: OffsetRetentionContext, pending: Set<TopicPartition>, now: TimestampMs, retentionMs: Int64
    ) -> [TopicPartition] {
        let protectedTopics: Set<String>
        let base: (CommittedOffset) -> TimestampMs
        switch (context.protocolType, context.state) {
        case (.some, .empty):
            protectedTopics = []
            base = { context.stateTimestamp ?? $0.commitTimestamp }
        case (.some("consumer"), .stable) where context.subscribedTopics != nil:
            protectedTopics = context.subscribedTopics ?? []
            base = { $0.commitTimestamp }
        case (.none, _):
            protectedTopics = []
            base = { $0.commitTimestamp }
        default:
            return []
        }
        return byPartition.compactMap { partition, committed -> TopicPartition? in
            guard !protectedTopics.contains(partition.topic.rawValue), !pending.contains(partition) else { return nil }
            if let expire = committed.expireTimestamp {
                return now >= expire ? partition : nil
            }
            return now.rawValue - base(committed).rawValue >= retentionMs ? partition : nil
        }.sorted()
    }
}
