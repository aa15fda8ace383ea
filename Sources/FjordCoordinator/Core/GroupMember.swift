/// A member of a group as the coordinator tracks it (Kafka's `MemberMetadata`).
///
/// Besides what the member told us in JoinGroup, it holds the tokens of its parked requests: `awaitingJoin` while
/// its JoinGroup waits for the rebalance to complete, `awaitingSync` while its SyncGroup waits for the leader's
/// assignment. Invariant: the two are never both set (a SyncGroup is only parked in CompletingRebalance, and every
/// move to PreparingRebalance answers all parked SyncGroups first).
public struct GroupMember: Hashable, Sendable {
    /// Changes only when a static member rejoins with an unknown member id (its id is replaced).
    public internal(set) var memberID: MemberID
    public let groupInstanceID: GroupInstanceID?
    public let clientID: String
    public let clientHost: String
    public internal(set) var rebalanceTimeoutMs: Int32
    public internal(set) var sessionTimeoutMs: Int32
    public let protocolType: String
    /// In the member's order of preference.
    public internal(set) var protocols: [GroupProtocol]
    /// The member's assignment in the current generation (empty until the leader's SyncGroup is persisted).
    public internal(set) var assignment: [UInt8]
    var awaitingJoin: RequestToken?
    var awaitingSync: RequestToken?
    /// True from the member's first JoinGroup until that rebalance completes: such a member is dropped if the
    /// rebalance takes longer than ``GroupCoordinatorConfig/newMemberJoinTimeoutMs``.
    var isNew: Bool

    init(
        memberID: MemberID, groupInstanceID: GroupInstanceID?, clientID: String, clientHost: String,
        rebalanceTimeoutMs: Int32, sessionTimeoutMs: Int32, protocolType: String, protocols: [GroupProtocol],
        assignment: [UInt8] = []
    ) {
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.clientID = clientID
        self.clientHost = clientHost
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.sessionTimeoutMs = sessionTimeoutMs
        self.protocolType = protocolType
        self.protocols = protocols
        self.assignment = assignment
        self.isNew = false
    }

    public var isStatic: Bool { groupInstanceID != nil }
    public var isAwaitingJoin: Bool { awaitingJoin != nil }
    public var isAwaitingSync: Bool { awaitingSync != nil }

    /// The member's metadata for `protocol`, or nil if it does not support it.
    public func metadata(for protocolName: String) -> [UInt8]? {
        protocols.first { $0.name == protocolName }?.metadata
    }

    /// Whether `protocols` is exactly what the member last sent (names, order and metadata bytes).
    public func matches(_ protocols: [GroupProtocol]) -> Bool { self.protocols == protocols }

    /// The member's preferred protocol among `candidates`.
    func vote(among candidates: Set<String>) -> String? {
        protocols.first { candidates.contains($0.name) }?.name
    }

    /// Whether the member has shown it is alive since its session timer was last armed, when that timer fires.
    ///
    /// Kafka's rule: a new member must complete its first join in time; a member with a parked JoinGroup or
    /// SyncGroup is alive (the rebalance and sync timeouts bound it instead); anyone else needed a heartbeat,
    /// which would have re-armed the timer.
    var survivesSessionExpiry: Bool {
        if isNew { return false }
        return isAwaitingJoin || isAwaitingSync
    }
}
