import FjordModel

/// One protocol a member supports in JoinGroup (for consumers: an assignor name and the serialized subscription),
/// in the member's order of preference.
public struct GroupProtocol: Hashable, Sendable {
    public var name: String
    public var metadata: [UInt8]
    public init(name: String, metadata: [UInt8]) {
        self.name = name
        self.metadata = metadata
    }
}

/// A JoinGroup request, version-independent. The handler fills the fields older versions lack: v0 has no
/// rebalance timeout (use the session timeout), v0–v3 do not require a known member id, v0–v4 have no instance id.
public struct JoinGroupInput: Hashable, Sendable {
    public var memberID: MemberID
    public var groupInstanceID: GroupInstanceID?
    public var clientID: String
    public var clientHost: String
    public var sessionTimeoutMs: Int32
    public var rebalanceTimeoutMs: Int32
    public var protocolType: String
    public var protocols: [GroupProtocol]
    /// JoinGroup v4+: a first join with an empty member id is answered MEMBER_ID_REQUIRED with a fresh id.
    public var requireKnownMemberID: Bool
    /// JoinGroup v8+: why the client (re)joins; for logs only.
    public var reason: String?

    public init(
        memberID: MemberID = .unknown, groupInstanceID: GroupInstanceID? = nil, clientID: String,
        clientHost: String, sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32, protocolType: String,
        protocols: [GroupProtocol], requireKnownMemberID: Bool, reason: String? = nil
    ) {
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.clientID = clientID
        self.clientHost = clientHost
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.protocolType = protocolType
        self.protocols = protocols
        self.requireKnownMemberID = requireKnownMemberID
        self.reason = reason
    }
}

/// A SyncGroup request. Only the leader sends assignments; protocol type and name are v5+ (nil when absent).
public struct SyncGroupInput: Hashable, Sendable {
    public var memberID: MemberID
    public var generation: GenerationID
    public var groupInstanceID: GroupInstanceID?
    public var protocolType: String?
    public var protocolName: String?
    /// Per member, the serialized assignment (the leader's result). Members the leader omits get an empty one.
    public var assignments: [MemberID: [UInt8]]

    public init(
        memberID: MemberID, generation: GenerationID, groupInstanceID: GroupInstanceID? = nil,
        protocolType: String? = nil, protocolName: String? = nil, assignments: [MemberID: [UInt8]] = [:]
    ) {
        self.memberID = memberID
        self.generation = generation
        self.groupInstanceID = groupInstanceID
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignments = assignments
    }
}

/// A Heartbeat request.
public struct HeartbeatInput: Hashable, Sendable {
    public var memberID: MemberID
    public var generation: GenerationID
    public var groupInstanceID: GroupInstanceID?

    public init(memberID: MemberID, generation: GenerationID, groupInstanceID: GroupInstanceID? = nil) {
        self.memberID = memberID
        self.generation = generation
        self.groupInstanceID = groupInstanceID
    }
}

/// One member named by a LeaveGroup request: by member id, or (v3+, administrative removal) by instance id with an
/// empty member id. LeaveGroup v0–v2 name exactly one member by id.
public struct LeavingMember: Hashable, Sendable {
    public var memberID: MemberID
    public var groupInstanceID: GroupInstanceID?
    public var reason: String?

    public init(memberID: MemberID, groupInstanceID: GroupInstanceID? = nil, reason: String? = nil) {
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.reason = reason
    }
}

/// One partition of an OffsetCommit request.
public struct OffsetCommitEntry: Hashable, Sendable {
    public var partition: TopicPartition
    public var offset: Offset
    /// v6+; ``LeaderEpoch/none`` when absent.
    public var leaderEpoch: LeaderEpoch
    /// nil (a null string on the wire) is stored as "".
    public var metadata: String?
    /// v1 only: the client's commit time; ``TimestampMs/none`` means "now".
    public var commitTimestamp: TimestampMs

    public init(
        partition: TopicPartition, offset: Offset, leaderEpoch: LeaderEpoch = .none, metadata: String? = nil,
        commitTimestamp: TimestampMs = .none
    ) {
        self.partition = partition
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestamp = commitTimestamp
    }
}

/// An OffsetCommit request. A simple consumer (no group management) sends generation -1 and an empty member id.
public struct OffsetCommitInput: Hashable, Sendable {
    public var memberID: MemberID
    public var generation: GenerationID
    public var groupInstanceID: GroupInstanceID?
    /// v2–v4: per-request retention; -1 (the default and every other version) means the broker's retention.
    public var retentionTimeMs: Int64
    public var entries: [OffsetCommitEntry]

    public init(
        memberID: MemberID = .unknown, generation: GenerationID = .none, groupInstanceID: GroupInstanceID? = nil,
        retentionTimeMs: Int64 = -1, entries: [OffsetCommitEntry]
    ) {
        self.memberID = memberID
        self.generation = generation
        self.groupInstanceID = groupInstanceID
        self.retentionTimeMs = retentionTimeMs
        self.entries = entries
    }
}
