import FjordModel

/// One group's membership and offsets (Kafka's `GroupMetadata`): the data the state machine works on.
///
/// A plain value with no timers, tokens of its own or I/O; ``GroupStateMachine`` owns it and is the only writer.
/// Invariants (checked by ``checkInvariants()`` in debug builds):
/// - `members` keeps join order; `leader` is a member whenever there are members, nil otherwise;
/// - `staticMembers` maps each static member's instance id to its current member id, and nothing else;
/// - `pendingMembers` (MEMBER_ID_REQUIRED issued, not rejoined yet) never overlaps the members;
/// - `pendingSyncMembers` ⊆ members; `protocolVotes[p]` counts the members supporting protocol `p`;
/// - every member has `protocolType`, and in any state but Empty all support some common protocol.
public struct ConsumerGroup: Hashable, Sendable {
    public let groupID: GroupID
    public private(set) var state: GroupState
    /// When the group entered `state` (nil for a group loaded without that information).
    public private(set) var stateTimestamp: TimestampMs?
    /// The members' protocol type ("consumer", "connect", …); nil for a group only used to store offsets.
    public internal(set) var protocolType: String?
    /// The protocol chosen for the current generation; nil when Empty.
    public internal(set) var protocolName: String?
    public internal(set) var generation: GenerationID
    public private(set) var leader: MemberID?
    private var memberOrder: [MemberID] = []
    private var membersByID: [MemberID: GroupMember] = [:]
    public private(set) var staticMembers: [GroupInstanceID: MemberID] = [:]
    /// Member ids handed out with MEMBER_ID_REQUIRED whose owners have not joined with them yet.
    public internal(set) var pendingMembers: Set<MemberID> = []
    /// Members of the current generation that have not sent SyncGroup yet.
    public internal(set) var pendingSyncMembers: Set<MemberID> = []
    private var protocolVotes: [String: Int] = [:]
    /// Set when a new member joins the very first rebalance (generation 0), so the initial delay is extended.
    var newMemberAdded = false
    /// For a "consumer" group, the union of its members' subscribed topics, when known.
    public internal(set) var subscribedTopics: Set<String>?
    public internal(set) var offsets = CommittedOffsets()

    init(groupID: GroupID, state: GroupState, now: TimestampMs?) {
        self.groupID = groupID
        self.state = state
        self.stateTimestamp = now
        self.generation = GenerationID(0)
    }

    /// A group as loaded from ZooKeeper: Stable with its members if it has any, otherwise Empty (Kafka's
    /// `GroupMetadata.loadGroup`). Loaded members have one protocol: the chosen one, with their subscription.
    static func loaded(
        groupID: GroupID, generation: GenerationID, protocolType: String?, protocolName: String?, leader: MemberID?,
        stateTimestamp: TimestampMs?, members: [GroupMember], offsets: CommittedOffsets
    ) -> ConsumerGroup {
        var group = ConsumerGroup(groupID: groupID, state: members.isEmpty ? .empty : .stable, now: stateTimestamp)
        group.generation = generation
        group.protocolType = protocolType
        group.protocolName = members.isEmpty ? nil : protocolName
        for member in members { group.add(member) }
        if let leader, group.has(leader) { group.leader = leader }
        group.protocolType = protocolType
        group.subscribedTopics = group.computeSubscribedTopics()
        group.offsets = offsets
        return group
    }

    // MARK: Members

    /// The members in the order they joined.
    public var members: [GroupMember] { memberOrder.map { membersByID[$0]! } }
    public var memberIDs: [MemberID] { memberOrder }
    public var size: Int { memberOrder.count }
    public func has(_ memberID: MemberID) -> Bool { membersByID[memberID] != nil }
    public func member(_ memberID: MemberID) -> GroupMember? { membersByID[memberID] }
    public func isLeader(_ memberID: MemberID) -> Bool { leader == memberID }
    public func isPending(_ memberID: MemberID) -> Bool { pendingMembers.contains(memberID) }
    public func staticMemberID(_ instanceID: GroupInstanceID) -> MemberID? { staticMembers[instanceID] }
    public var awaitingJoinCount: Int { membersByID.values.count { $0.isAwaitingJoin } }
    public var hasAllMembersJoined: Bool { awaitingJoinCount == size && pendingMembers.isEmpty }
    /// The longest rebalance timeout among the members (0 without members).
    public var rebalanceTimeoutMs: Int32 { membersByID.values.map(\.rebalanceTimeoutMs).max() ?? 0 }

    /// Changes one member in place.
    mutating func modifyMember<T>(_ memberID: MemberID, _ body: (inout GroupMember) -> T) -> T {
        guard var member = membersByID[memberID] else {
            preconditionFailure("group \(groupID): member \(memberID) is not in \(memberOrder)")
        }
        defer { membersByID[memberID] = member }
        return body(&member)
    }

    /// Adds a member (its first JoinGroup); the first member sets the group's protocol type and becomes leader.
    mutating func add(_ member: GroupMember) {
        precondition(!has(member.memberID), "group \(groupID): member \(member.memberID) added twice")
        if let instanceID = member.groupInstanceID {
            precondition(staticMembers[instanceID] == nil, "group \(groupID): instance \(instanceID) added twice")
            staticMembers[instanceID] = member.memberID
        }
        if memberOrder.isEmpty { protocolType = member.protocolType }
        precondition(protocolType == member.protocolType, "group \(groupID): protocol type mismatch on add")
        if leader == nil { leader = member.memberID }
        memberOrder.append(member.memberID)
        membersByID[member.memberID] = member
        countVotes(member.protocols, by: 1)
        pendingMembers.remove(member.memberID)
    }

    /// Removes a member or pending member; returns the removed member (its parked tokens are the caller's to
    /// answer). A leader that leaves is replaced by the earliest remaining member.
    @discardableResult
    mutating func remove(_ memberID: MemberID) -> GroupMember? {
        let removed = membersByID.removeValue(forKey: memberID)
        if let removed {
            memberOrder.removeAll { $0 == memberID }
            countVotes(removed.protocols, by: -1)
            if let instanceID = removed.groupInstanceID { staticMembers[instanceID] = nil }
        }
        if leader == memberID { leader = memberOrder.first }
        pendingMembers.remove(memberID)
        pendingSyncMembers.remove(memberID)
        return removed
    }

    /// Replaces a member's protocols and timeouts and parks its JoinGroup `token`. Returns the token of an earlier
    /// JoinGroup of the same member that this one supersedes, if any.
    mutating func updateMember(
        _ memberID: MemberID, protocols: [GroupProtocol], rebalanceTimeoutMs: Int32, sessionTimeoutMs: Int32,
        awaitingJoin token: RequestToken?
    ) -> RequestToken? {
        let old = member(memberID)!.protocols
        countVotes(old, by: -1)
        countVotes(protocols, by: 1)
        return modifyMember(memberID) { member in
            member.protocols = protocols
            member.rebalanceTimeoutMs = rebalanceTimeoutMs
            member.sessionTimeoutMs = sessionTimeoutMs
            let superseded = member.awaitingJoin
            member.awaitingJoin = token
            return superseded
        }
    }

    /// Gives a static member's entry a new member id (a restarted static member). Returns the member and the
    /// tokens parked under the old id, which the caller answers with FENCED_INSTANCE_ID.
    mutating func replaceStaticMember(_ instanceID: GroupInstanceID, old: MemberID, new: MemberID)
        -> (member: GroupMember, fencedJoin: RequestToken?, fencedSync: RequestToken?)
    {
        guard var member = membersByID.removeValue(forKey: old) else {
            preconditionFailure("group \(groupID): cannot replace unknown member \(old)")
        }
        let fenced = (member.awaitingJoin, member.awaitingSync)
        member.awaitingJoin = nil
        member.awaitingSync = nil
        member.memberID = new
        membersByID[new] = member
        memberOrder = memberOrder.map { $0 == old ? new : $0 }
        if leader == old { leader = new }
        if pendingSyncMembers.remove(old) != nil { pendingSyncMembers.insert(new) }
        staticMembers[instanceID] = new
        return (member, fenced.0, fenced.1)
    }

    /// If the leader has not rejoined, makes the earliest member that has the leader. False when no member
    /// rejoined (or there is no leader at all).
    mutating func maybeElectNewJoinedLeader() -> Bool {
        guard let current = leader, let currentMember = membersByID[current] else { return false }
        if currentMember.isAwaitingJoin { return true }
        guard let joined = memberOrder.first(where: { membersByID[$0]!.isAwaitingJoin }) else { return false }
        leader = joined
        return true
    }

    // MARK: Protocols

    private mutating func countVotes(_ protocols: [GroupProtocol], by delta: Int) {
        for name in Set(protocols.map(\.name)) {
            protocolVotes[name, default: 0] += delta
            if protocolVotes[name] == 0 { protocolVotes[name] = nil }
        }
    }

    /// Whether a member with these protocols may join: any non-empty offer while Empty; otherwise the same
    /// protocol type and at least one protocol every current member supports.
    public func supportsProtocols(type: String, names: Set<String>) -> Bool {
        if state == .empty { return !type.isEmpty && !names.isEmpty }
        return protocolType == type && names.contains { protocolVotes[$0] == size }
    }

    /// The protocol for the next generation: among those all members support, the one most members prefer.
    ///
    /// Kafka breaks ties arbitrarily (hash-map order); Fjord picks the tied protocol whose first vote came from the
    /// earliest-joined member, so the choice is deterministic.
    public func selectProtocol() -> String? {
        let candidates = Set(protocolVotes.filter { $0.value == size }.keys)
        guard size > 0, !candidates.isEmpty else { return nil }
        var votes: [String: Int] = [:]
        var firstVote: [String: Int] = [:]
        for (index, member) in members.enumerated() {
            guard let choice = member.vote(among: candidates) else { continue }
            votes[choice, default: 0] += 1
            if firstVote[choice] == nil { firstVote[choice] = index }
        }
        return votes.max { a, b in
            a.value != b.value ? a.value < b.value : firstVote[a.key]! > firstVote[b.key]!
        }?.key
    }

    /// The subscribed topics of a "consumer" group, or nil when not a consumer group, the protocol is not chosen
    /// yet, or some member's metadata does not parse.
    func computeSubscribedTopics() -> Set<String>? {
        guard protocolType == ConsumerProtocolSubscription.protocolType else { return nil }
        if memberOrder.isEmpty { return [] }
        guard let protocolName else { return nil }
        var topics = Set<String>()
        for member in members {
            guard let metadata = member.metadata(for: protocolName),
                let memberTopics = ConsumerProtocolSubscription.topics(from: metadata)
            else { return nil }
            topics.formUnion(memberTopics)
        }
        return topics
    }

    // MARK: State

    /// Moves to `target`; the move must be one Kafka allows.
    mutating func transition(to target: GroupState, now: TimestampMs) {
        precondition(
            target.validPreviousStates.contains(state),
            "group \(groupID): illegal transition \(state) -> \(target)")
        state = target
        stateTimestamp = now
    }

    /// Starts the next generation once the join phase is over: CompletingRebalance with a chosen protocol, or
    /// Empty when no member is left.
    mutating func initNextGeneration(now: TimestampMs) {
        generation = generation.next()
        if memberOrder.isEmpty {
            protocolName = nil
            subscribedTopics = computeSubscribedTopics()
            transition(to: .empty, now: now)
        } else {
            protocolName = selectProtocol()
            precondition(protocolName != nil, "group \(groupID): no common protocol among \(memberOrder)")
            subscribedTopics = computeSubscribedTopics()
            transition(to: .completingRebalance, now: now)
        }
        pendingSyncMembers = []
    }

    /// What the leader receives in its JoinGroup response: every member with its metadata for the chosen protocol.
    func currentMemberMetadata() -> [JoinGroupMember] {
        guard let protocolName else { return [] }
        return members.map {
            JoinGroupMember(
                memberID: $0.memberID, groupInstanceID: $0.groupInstanceID,
                metadata: $0.metadata(for: protocolName) ?? [])
        }
    }

    /// DescribeGroups' view: metadata and assignments only when Stable.
    public func describe() -> GroupDescription {
        let stable = state == .stable
        let protocolName = stable ? (self.protocolName ?? "") : ""
        return GroupDescription(
            groupID: groupID, error: .none, state: state.kafkaName, protocolType: protocolType ?? "",
            protocolName: protocolName,
            members: members.map {
                DescribedMember(
                    memberID: $0.memberID, groupInstanceID: $0.groupInstanceID, clientID: $0.clientID,
                    clientHost: $0.clientHost, metadata: stable ? ($0.metadata(for: protocolName) ?? []) : [],
                    assignment: stable ? $0.assignment : [])
            })
    }

    public var overview: GroupOverview {
        GroupOverview(groupID: groupID, protocolType: protocolType ?? "", state: state)
    }

    /// Checks the invariants listed on the type; a violation is a bug in the state machine.
    func checkInvariants() {
        precondition(Set(memberOrder) == Set(membersByID.keys) && memberOrder.count == membersByID.count)
        precondition(memberOrder.isEmpty ? leader == nil : leader.map(has) == true, "group \(groupID): bad leader")
        precondition(pendingMembers.isDisjoint(with: memberOrder), "group \(groupID): pending member is a member")
        precondition(pendingSyncMembers.isSubset(of: memberOrder), "group \(groupID): pending sync of non-member")
        for (instanceID, memberID) in staticMembers {
            precondition(membersByID[memberID]?.groupInstanceID == instanceID, "group \(groupID): bad static map")
        }
        precondition(membersByID.values.allSatisfy { !($0.isAwaitingJoin && $0.isAwaitingSync) })
    }
}
