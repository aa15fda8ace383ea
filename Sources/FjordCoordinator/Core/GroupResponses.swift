import FjordModel

/// One member as the leader sees it in its JoinGroup response: id, instance id, and its metadata for the chosen
/// protocol.
public struct JoinGroupMember: Hashable, Sendable {
    public var memberID: MemberID
    public var groupInstanceID: GroupInstanceID?
    public var metadata: [UInt8]

    public init(memberID: MemberID, groupInstanceID: GroupInstanceID?, metadata: [UInt8]) {
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.metadata = metadata
    }
}

/// A JoinGroup response. Only the leader gets `members`; everyone else gets an empty list.
public struct JoinGroupOutcome: Hashable, Sendable {
    public var error: GroupErrorCode
    public var generation: GenerationID
    public var protocolType: String?
    public var protocolName: String?
    /// The leader's member id, or "" when there is none (errors).
    public var leader: MemberID
    /// The member's id: the newly assigned one for MEMBER_ID_REQUIRED and for a successful first join.
    public var memberID: MemberID
    public var members: [JoinGroupMember]
    /// JoinGroup v9+ static-leader hint; Fjord serves JoinGroup ≤ v5, so always false.
    public var skipAssignment: Bool

    public init(
        error: GroupErrorCode, generation: GenerationID, protocolType: String?, protocolName: String?,
        leader: MemberID, memberID: MemberID, members: [JoinGroupMember], skipAssignment: Bool = false
    ) {
        self.error = error
        self.generation = generation
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.leader = leader
        self.memberID = memberID
        self.members = members
        self.skipAssignment = skipAssignment
    }

    /// An error response: no generation, protocol or leader (Kafka's `JoinGroupResult(memberId, error)`).
    public static func failure(_ error: GroupErrorCode, memberID: MemberID) -> JoinGroupOutcome {
        JoinGroupOutcome(
            error: error, generation: .none, protocolType: nil, protocolName: nil, leader: .unknown,
            memberID: memberID, members: [])
    }
}

/// A SyncGroup response: the member's assignment, or an error (then protocol type and name are nil).
public struct SyncGroupOutcome: Hashable, Sendable {
    public var error: GroupErrorCode
    public var protocolType: String?
    public var protocolName: String?
    public var assignment: [UInt8]

    public init(error: GroupErrorCode, protocolType: String?, protocolName: String?, assignment: [UInt8]) {
        self.error = error
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignment = assignment
    }

    public static func failure(_ error: GroupErrorCode) -> SyncGroupOutcome {
        SyncGroupOutcome(error: error, protocolType: nil, protocolName: nil, assignment: [])
    }
}

/// The result for one member of a LeaveGroup request.
public struct LeftMember: Hashable, Sendable {
    public var memberID: MemberID
    public var groupInstanceID: GroupInstanceID?
    public var error: GroupErrorCode

    public init(memberID: MemberID, groupInstanceID: GroupInstanceID?, error: GroupErrorCode) {
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.error = error
    }
}

/// A LeaveGroup response. v0–v2 carry only one error: use the top-level one, else the single member's.
public struct LeaveGroupOutcome: Hashable, Sendable {
    public var error: GroupErrorCode
    public var members: [LeftMember]

    public init(error: GroupErrorCode, members: [LeftMember]) {
        self.error = error
        self.members = members
    }
}

/// The result for one partition of an OffsetCommit request.
public struct PartitionResult: Hashable, Sendable {
    public var partition: TopicPartition
    public var error: GroupErrorCode

    public init(_ partition: TopicPartition, _ error: GroupErrorCode) {
        self.partition = partition
        self.error = error
    }
}

/// One partition of an OffsetFetch response. A partition without a committed offset has offset -1, leader epoch
/// -1, metadata "" and no error (Kafka 3.9).
public struct FetchedOffset: Hashable, Sendable {
    public var partition: TopicPartition
    public var offset: Offset
    public var leaderEpoch: LeaderEpoch
    public var metadata: String
    public var error: GroupErrorCode

    public init(
        partition: TopicPartition, offset: Offset, leaderEpoch: LeaderEpoch, metadata: String, error: GroupErrorCode
    ) {
        self.partition = partition
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.error = error
    }

    /// The entry for a partition without a committed offset.
    public static func missing(_ partition: TopicPartition, error: GroupErrorCode = .none) -> FetchedOffset {
        FetchedOffset(partition: partition, offset: .none, leaderEpoch: .none, metadata: "", error: error)
    }
}

/// An OffsetFetch response for one group: a group-level error (v2+) and the partitions.
public struct OffsetFetchOutcome: Hashable, Sendable {
    public var error: GroupErrorCode
    public var partitions: [FetchedOffset]

    public init(error: GroupErrorCode, partitions: [FetchedOffset]) {
        self.error = error
        self.partitions = partitions
    }
}

/// One member in DescribeGroups. Metadata and assignment are only filled for a Stable group (Kafka's rule).
public struct DescribedMember: Hashable, Sendable {
    public var memberID: MemberID
    public var groupInstanceID: GroupInstanceID?
    public var clientID: String
    public var clientHost: String
    public var metadata: [UInt8]
    public var assignment: [UInt8]

    public init(
        memberID: MemberID, groupInstanceID: GroupInstanceID?, clientID: String, clientHost: String,
        metadata: [UInt8], assignment: [UInt8]
    ) {
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.clientID = clientID
        self.clientHost = clientHost
        self.metadata = metadata
        self.assignment = assignment
    }
}

/// A group as DescribeGroups reports it. A group this coordinator does not know is reported Dead with no members.
public struct GroupDescription: Hashable, Sendable {
    public var groupID: GroupID
    public var error: GroupErrorCode
    public var state: String
    public var protocolType: String
    /// The chosen protocol; "" unless the group is Stable.
    public var protocolName: String
    public var members: [DescribedMember]

    public init(
        groupID: GroupID, error: GroupErrorCode, state: String, protocolType: String, protocolName: String,
        members: [DescribedMember]
    ) {
        self.groupID = groupID
        self.error = error
        self.state = state
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.members = members
    }
}

/// A group as ListGroups reports it.
public struct GroupOverview: Hashable, Sendable {
    public var groupID: GroupID
    public var protocolType: String
    public var state: GroupState
    /// Always "classic": Fjord implements only the classic protocol.
    public var groupType: String

    public init(groupID: GroupID, protocolType: String, state: GroupState, groupType: String = "classic") {
        self.groupID = groupID
        self.protocolType = protocolType
        self.state = state
        self.groupType = groupType
    }
}
