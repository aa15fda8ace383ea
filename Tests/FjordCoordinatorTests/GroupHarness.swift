import FjordCoordinator
import FjordModel
import Testing

/// Drives one ``GroupStateMachine`` the way a shell would: hands out tokens, keeps the armed timers and fires them
/// in deadline order as simulated time advances, completes writes on request, and records every directive.
///
/// After each event it checks that the shell's view of the timers equals the machine's and that no token was
/// answered twice.
struct GroupHarness {
    var machine: GroupStateMachine
    var now: TimestampMs
    var armed: [GroupTimerKey: TimestampMs] = [:]
    var pendingWrites: [GroupWrite] = []
    var log: [GroupDirective] = []
    var issued: Set<RequestToken> = []
    var answers: [RequestToken: GroupDirective] = [:]
    private var nextToken: UInt64 = 1

    init(
        config: GroupCoordinatorConfig = GroupHarness.defaultConfig, group: GroupID = "g",
        start: TimestampMs = TimestampMs(1_000_000)
    ) {
        machine = GroupStateMachine(groupID: group, config: config, memberIDIncarnation: "i")
        now = start
    }

    static var defaultConfig: GroupCoordinatorConfig {
        var config = GroupCoordinatorConfig()
        config.initialRebalanceDelayMs = 3_000
        return config
    }

    mutating func token() -> RequestToken {
        defer { nextToken += 1 }
        let token = RequestToken(nextToken)
        issued.insert(token)
        return token
    }

    /// Records directives, mirrors timers and writes, and checks the invariants.
    @discardableResult
    mutating func absorb(_ directives: [GroupDirective]) -> [GroupDirective] {
        for directive in directives {
            log.append(directive)
            switch directive {
            case .scheduleTimer(let key, let deadline): armed[key] = deadline
            case .cancelTimer(let key): armed[key] = nil
            case .persist(let write): pendingWrites.append(write)
            default: break
            }
            if let token = directive.respondedToken {
                #expect(answers[token] == nil, "token \(token) answered twice: \(directive)")
                #expect(issued.contains(token), "unknown token \(token)")
                answers[token] = directive
            }
        }
        #expect(armed == machine.timers, "shell timers \(armed) != machine timers \(machine.timers)")
        return directives
    }

    // MARK: Requests

    static func subscription(_ topics: [String]) -> [UInt8] {
        var bytes: [UInt8] = [0, 1]  // version 1
        let count = UInt32(topics.count)
        bytes += [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
        for topic in topics {
            let utf8 = Array(topic.utf8)
            bytes += [UInt8(utf8.count >> 8), UInt8(utf8.count & 0xFF)] + utf8
        }
        return bytes + [0xFF, 0xFF, 0xFF, 0xFF]  // null user data
    }

    static func joinInput(
        _ memberID: MemberID = .unknown, client: String = "c", instance: GroupInstanceID? = nil,
        protocols: [GroupProtocol] = [GroupProtocol(name: "range", metadata: subscription(["t"]))],
        sessionTimeoutMs: Int32 = 10_000, rebalanceTimeoutMs: Int32 = 30_000, requireKnownMemberID: Bool = true,
        protocolType: String = "consumer"
    ) -> JoinGroupInput {
        JoinGroupInput(
            memberID: memberID, groupInstanceID: instance, clientID: client, clientHost: "/127.0.0.1",
            sessionTimeoutMs: sessionTimeoutMs, rebalanceTimeoutMs: rebalanceTimeoutMs, protocolType: protocolType,
            protocols: protocols, requireKnownMemberID: requireKnownMemberID)
    }

    @discardableResult
    mutating func join(_ input: JoinGroupInput) -> RequestToken {
        let token = token()
        absorb(machine.joinGroup(input, token: token, now: now))
        return token
    }

    @discardableResult
    mutating func sync(
        _ memberID: MemberID, generation: GenerationID, assignments: [MemberID: [UInt8]] = [:],
        instance: GroupInstanceID? = nil
    ) -> RequestToken {
        let token = token()
        absorb(
            machine.syncGroup(
                SyncGroupInput(
                    memberID: memberID, generation: generation, groupInstanceID: instance, assignments: assignments),
                token: token, now: now))
        return token
    }

    mutating func heartbeat(_ memberID: MemberID, generation: GenerationID, instance: GroupInstanceID? = nil)
        -> GroupErrorCode
    {
        let token = token()
        absorb(
            machine.heartbeat(
                HeartbeatInput(memberID: memberID, generation: generation, groupInstanceID: instance), token: token,
                now: now))
        guard case .respondHeartbeat(_, let error) = answers[token] else {
            Issue.record("heartbeat not answered")
            return .unknownServerError
        }
        return error
    }

    mutating func leave(_ members: [LeavingMember]) -> LeaveGroupOutcome? {
        let token = token()
        absorb(machine.leaveGroup(members, token: token, now: now))
        guard case .respondLeave(_, let outcome) = answers[token] else { return nil }
        return outcome
    }

    @discardableResult
    mutating func commit(_ input: OffsetCommitInput) -> RequestToken {
        let token = token()
        absorb(machine.commitOffsets(input, token: token, now: now))
        return token
    }

    @discardableResult
    mutating func delete() -> RequestToken {
        let token = token()
        absorb(machine.deleteGroup(token: token, now: now))
        return token
    }

    // MARK: Time and writes

    /// Advances simulated time by `ms`, firing due timers in deadline order (as a shell would).
    mutating func advance(byMs ms: Int64) {
        let target = TimestampMs(now.rawValue + ms)
        while let (key, deadline) = armed.filter({ $0.value <= target }).min(by: { $0.value < $1.value }) {
            now = deadline
            armed[key] = nil
            absorb(machine.timerFired(key, now: now))
        }
        now = target
    }

    /// Advances time in 100 ms steps until the join phase is over (at most a minute).
    mutating func finishJoinPhase() {
        for _ in 0..<600 where state == .preparingRebalance { advance(byMs: 100) }
        #expect(state != .preparingRebalance)
    }

    /// Completes every write issued so far, in ticket order, with `error`.
    mutating func completeWrites(error: GroupErrorCode = .none) {
        while !pendingWrites.isEmpty {
            let write = pendingWrites.removeFirst()
            absorb(machine.writeCompleted(write.ticket, error: error, now: now))
        }
    }

    // MARK: Answers

    func joinOutcome(_ token: RequestToken) -> JoinGroupOutcome? {
        if case .respondJoin(_, let outcome) = answers[token] { return outcome }
        return nil
    }

    func syncOutcome(_ token: RequestToken) -> SyncGroupOutcome? {
        if case .respondSync(_, let outcome) = answers[token] { return outcome }
        return nil
    }

    func commitOutcome(_ token: RequestToken) -> [PartitionResult]? {
        if case .respondOffsetCommit(_, let results) = answers[token] { return results }
        return nil
    }

    func deleteOutcome(_ token: RequestToken) -> GroupErrorCode? {
        if case .respondDeleteGroup(_, let error) = answers[token] { return error }
        return nil
    }

    var state: GroupState? { machine.state }
    var generation: GenerationID? { machine.group?.generation }

    /// The states the group went through, in order.
    var transitions: [GroupState] {
        log.compactMap { if case .stateChanged(_, let to) = $0 { return to } else { return nil } }
    }

    // MARK: Scenarios

    /// A dynamic member's full first join: MEMBER_ID_REQUIRED, then the rejoin with the given id (parked).
    /// Returns the member id and the token of the parked JoinGroup.
    mutating func joinNewDynamicMember(client: String = "c", protocols: [GroupProtocol]? = nil)
        -> (MemberID, RequestToken)
    {
        let first =
            protocols.map { join(Self.joinInput(client: client, protocols: $0)) }
            ?? join(Self.joinInput(client: client))
        let memberID = joinOutcome(first)!.memberID
        #expect(joinOutcome(first)!.error == .memberIDRequired)
        let second =
            protocols.map { join(Self.joinInput(memberID, client: client, protocols: $0)) }
            ?? join(Self.joinInput(memberID, client: client))
        return (memberID, second)
    }

    /// Forms a Stable group of `count` members (initial delay elapsed, leader synced, writes done). Returns the
    /// member ids in join order (the first is the leader).
    mutating func stableGroup(count: Int) -> [MemberID] {
        var members: [MemberID] = []
        for index in 0..<count { members.append(joinNewDynamicMember(client: "c\(index)").0) }
        finishJoinPhase()
        #expect(state == .completingRebalance)
        let generation = self.generation!
        var assignments: [MemberID: [UInt8]] = [:]
        for (index, member) in members.enumerated() { assignments[member] = [UInt8(index)] }
        for member in members.reversed() {
            sync(member, generation: generation, assignments: member == members[0] ? assignments : [:])
        }
        completeWrites()
        #expect(state == .stable)
        return members
    }
}
