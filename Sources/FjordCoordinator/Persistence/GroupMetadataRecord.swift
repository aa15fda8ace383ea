import FjordCluster
import FjordModel
import Foundation

/// The content of `/consumer_groups/<g>/metadata`: what a new coordinator needs to take the group over.
///
/// Written when a generation's assignment is stored (the leader's SyncGroup), when a static member is replaced,
/// and when the group becomes Empty — the moments Kafka writes its group metadata record. A group is loaded
/// Stable if `members` is non-empty, else Empty; `state` is informational. Member subscriptions (for the chosen
/// protocol) and assignments are base64 in JSON.
public struct GroupMetadataRecord: Codable, Hashable, Sendable {
    public var version: Int = 1
    public var generation: Int32
    public var protocolType: String?
    public var protocolName: String?
    public var leader: String?
    public var state: String
    public var currentStateTimestamp: Int64?
    public var members: [GroupMemberRecord]

    enum CodingKeys: String, CodingKey {
        case version, generation, leader, state, members
        case protocolType = "protocol_type"
        case protocolName = "protocol"
        case currentStateTimestamp = "current_state_timestamp"
    }

    public init(
        generation: Int32, protocolType: String?, protocolName: String?, leader: String?, state: String,
        currentStateTimestamp: Int64?, members: [GroupMemberRecord]
    ) {
        self.generation = generation
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.leader = leader
        self.state = state
        self.currentStateTimestamp = currentStateTimestamp
        self.members = members
    }
}

/// One member in ``GroupMetadataRecord``.
public struct GroupMemberRecord: Codable, Hashable, Sendable {
    public var memberID: String
    public var groupInstanceID: String?
    public var clientID: String
    public var clientHost: String
    public var sessionTimeoutMs: Int32
    public var rebalanceTimeoutMs: Int32
    /// The member's metadata for the group's protocol (base64 in JSON).
    public var subscription: Data
    /// The member's assignment (base64 in JSON).
    public var assignment: Data

    enum CodingKeys: String, CodingKey {
        case subscription, assignment
        case memberID = "member_id"
        case groupInstanceID = "group_instance_id"
        case clientID = "client_id"
        case clientHost = "client_host"
        case sessionTimeoutMs = "session_timeout_ms"
        case rebalanceTimeoutMs = "rebalance_timeout_ms"
    }

    public init(
        memberID: String, groupInstanceID: String?, clientID: String, clientHost: String, sessionTimeoutMs: Int32,
        rebalanceTimeoutMs: Int32, subscription: [UInt8], assignment: [UInt8]
    ) {
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.clientID = clientID
        self.clientHost = clientHost
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.subscription = Data(subscription)
        self.assignment = Data(assignment)
    }
}

extension GroupMetadataRecord {
    /// The record for `group`, with `assignments` in place of the members' current ones where given (the leader's
    /// assignment is written before it takes effect).
    init(_ group: ConsumerGroup, assignments: [MemberID: [UInt8]]? = nil, state: GroupState) {
        let protocolName = group.protocolName
        self.init(
            generation: group.generation.rawValue, protocolType: group.protocolType, protocolName: protocolName,
            leader: group.leader?.rawValue, state: state.kafkaName,
            currentStateTimestamp: group.stateTimestamp?.rawValue,
            members: group.members.map { member in
                GroupMemberRecord(
                    memberID: member.memberID.rawValue, groupInstanceID: member.groupInstanceID?.rawValue,
                    clientID: member.clientID, clientHost: member.clientHost,
                    sessionTimeoutMs: member.sessionTimeoutMs, rebalanceTimeoutMs: member.rebalanceTimeoutMs,
                    subscription: protocolName.flatMap { member.metadata(for: $0) } ?? [],
                    assignment: assignments?[member.memberID] ?? member.assignment)
            })
    }

    /// Rebuilds the group; throws if the record contradicts itself (members without a protocol, duplicate ids).
    func makeGroup(_ groupID: GroupID, offsets: CommittedOffsets, path: String) throws(ClusterStateError)
        -> ConsumerGroup
    {
        let protocolType = self.protocolType.flatMap { $0.isEmpty ? nil : $0 }
        if !members.isEmpty {
            guard protocolType != nil, let protocolName, !protocolName.isEmpty else {
                throw ClusterStateError("\(path): members without protocol type or protocol")
            }
            let ids = members.map(\.memberID)
            let instances = members.compactMap(\.groupInstanceID)
            guard Set(ids).count == ids.count, Set(instances).count == instances.count, !ids.contains("") else {
                throw ClusterStateError("\(path): duplicate or empty member ids or instance ids")
            }
        }
        let members = members.map { record in
            GroupMember(
                memberID: MemberID(record.memberID),
                groupInstanceID: record.groupInstanceID.map { GroupInstanceID($0) },
                clientID: record.clientID, clientHost: record.clientHost,
                rebalanceTimeoutMs: record.rebalanceTimeoutMs, sessionTimeoutMs: record.sessionTimeoutMs,
                protocolType: protocolType ?? "",
                protocols: [GroupProtocol(name: protocolName ?? "", metadata: Array(record.subscription))],
                assignment: Array(record.assignment))
        }
        return ConsumerGroup.loaded(
            groupID: groupID, generation: GenerationID(generation), protocolType: protocolType,
            protocolName: protocolName, leader: leader.map { MemberID($0) },
            stateTimestamp: currentStateTimestamp.map { TimestampMs($0) }, members: members, offsets: offsets)
    }
}
