/// The states of a classic consumer group, exactly Kafka's (`GroupMetadata.scala`).
///
/// ```
///            join              all joined / rebalance timeout      leader's SyncGroup persisted
///   Empty ─────────▶ PreparingRebalance ───────────────▶ CompletingRebalance ─────────────▶ Stable
///     ▲                 │    ▲                                 │                              │
///     └── no members ───┘    └──── join, leave, member failure, sync timeout ─────────────────┘
///   any state ──(group deleted, offsets expired, coordinator unloaded)──▶ Dead
/// ```
public enum GroupState: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// No members; the group may still hold committed offsets (also every group used for offsets only).
    case empty = "Empty"
    /// Waiting for members to (re)join; JoinGroup responses are held, heartbeats get REBALANCE_IN_PROGRESS.
    case preparingRebalance = "PreparingRebalance"
    /// A generation is formed; waiting for the leader's assignment in SyncGroup. Commits get REBALANCE_IN_PROGRESS.
    case completingRebalance = "CompletingRebalance"
    /// Every member has its assignment.
    case stable = "Stable"
    /// The group is gone from this coordinator (deleted, expired, or moved to another coordinator).
    case dead = "Dead"

    /// Kafka's name, as DescribeGroups and ListGroups report it.
    public var kafkaName: String { rawValue }
    public var description: String { rawValue }

    /// The states a group may move to this one from (Kafka's `validPreviousStates`).
    public var validPreviousStates: Set<GroupState> {
        switch self {
        case .preparingRebalance: [.stable, .completingRebalance, .empty]
        case .completingRebalance: [.preparingRebalance]
        case .stable: [.completingRebalance]
        case .dead: [.stable, .preparingRebalance, .completingRebalance, .empty, .dead]
        case .empty: [.preparingRebalance]
        }
    }

    /// Whether a rebalance may start from this state.
    public var canRebalance: Bool { GroupState.preparingRebalance.validPreviousStates.contains(self) }
}

/// The group APIs, for the group-id validity rule (``GroupID/isValid(for:)``).
public enum GroupAPI: Hashable, Sendable {
    case joinGroup, syncGroup, heartbeat, leaveGroup, offsetCommit, offsetFetch, describeGroups, deleteGroups

    /// Kafka allows the empty group id for the offset APIs, DescribeGroups and DeleteGroups (old clients commit
    /// offsets under ""); group membership needs a real id.
    public var allowsEmptyGroupID: Bool {
        switch self {
        case .offsetCommit, .offsetFetch, .describeGroups, .deleteGroups: true
        case .joinGroup, .syncGroup, .heartbeat, .leaveGroup: false
        }
    }
}

extension GroupID {
    /// Whether the id is acceptable for `api`; when not, the request fails with INVALID_GROUP_ID.
    public func isValid(for api: GroupAPI) -> Bool { api.allowsEmptyGroupID || !rawValue.isEmpty }
}
