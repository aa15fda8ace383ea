import FjordModel

extension GroupStateMachine {
    /// Heartbeat (Kafka's `handleHeartbeat`): keeps the member's session alive and tells it about a rebalance.
    public mutating func heartbeat(_ request: HeartbeatInput, token: RequestToken, now: TimestampMs)
        -> [GroupDirective]
    {
        handle(now: now) { machine in
            machine.emit(.respondHeartbeat(token, machine.doHeartbeat(request)))
        }
    }

    private mutating func doHeartbeat(_ request: HeartbeatInput) -> GroupErrorCode {
        if isUnloaded { return .notCoordinator }
        guard let group else { return .unknownMemberID }
        if group.state == .dead { return .coordinatorNotAvailable }
        if let error = validateCurrentMember(request.memberID, instanceID: request.groupInstanceID) { return error }
        if request.generation != group.generation { return .illegalGeneration }
        let sessionTimeoutMs = Int64(group.member(request.memberID)!.sessionTimeoutMs)
        switch group.state {
        case .empty, .dead:
            return .unknownMemberID
        case .completingRebalance, .stable:
            // In CompletingRebalance a member may heartbeat between its JoinGroup and SyncGroup.
            scheduleSessionTimer(request.memberID, timeoutMs: sessionTimeoutMs)
            return .none
        case .preparingRebalance:
            scheduleSessionTimer(request.memberID, timeoutMs: sessionTimeoutMs)
            return .rebalanceInProgress
        }
    }

    /// LeaveGroup (Kafka's `handleLeaveGroup`): each named member leaves, by member id or by instance id.
    public mutating func leaveGroup(_ members: [LeavingMember], token: RequestToken, now: TimestampMs)
        -> [GroupDirective]
    {
        handle(now: now) { machine in
            machine.emit(.respondLeave(token, machine.doLeaveGroup(members)))
        }
    }

    private mutating func doLeaveGroup(_ leaving: [LeavingMember]) -> LeaveGroupOutcome {
        if isUnloaded { return LeaveGroupOutcome(error: .notCoordinator, members: []) }
        guard let group else {
            return LeaveGroupOutcome(
                error: .none,
                members: leaving.map {
                    LeftMember(memberID: $0.memberID, groupInstanceID: $0.groupInstanceID, error: .unknownMemberID)
                })
        }
        if group.state == .dead { return LeaveGroupOutcome(error: .coordinatorNotAvailable, members: []) }
        let results = leaving.map { member in
            LeftMember(
                memberID: member.memberID, groupInstanceID: member.groupInstanceID, error: leaveOne(member))
        }
        return LeaveGroupOutcome(error: .none, members: results)
    }

    private mutating func leaveOne(_ leaving: LeavingMember) -> GroupErrorCode {
        if leaving.memberID.isUnknown {
            // Administrative removal of a static member by instance id (KIP-345).
            guard let instanceID = leaving.groupInstanceID, let current = group!.staticMemberID(instanceID) else {
                return .unknownMemberID
            }
            removeMemberAndUpdateGroup(current)
            return .none
        }
        if group!.isPending(leaving.memberID) {
            removePendingMember(leaving.memberID)
            return .none
        }
        if let error = validateCurrentMember(leaving.memberID, instanceID: leaving.groupInstanceID) { return error }
        removeMemberAndUpdateGroup(leaving.memberID)
        return .none
    }

    // MARK: Removal

    /// Removes a member that left or failed and reacts as Kafka's `removeMemberAndUpdateGroup` does: a rebalance
    /// from Stable or CompletingRebalance, or an earlier end of the join phase.
    mutating func removeMemberAndUpdateGroup(_ memberID: MemberID) {
        removeMemberSilently(memberID)
        switch group!.state {
        case .dead, .empty: break
        case .stable, .completingRebalance: maybePrepareRebalance()
        case .preparingRebalance: tryCompleteJoin()
        }
    }

    /// Removes a member or pending member, its timers, and answers its parked requests with UNKNOWN_MEMBER_ID
    /// (so that a client still waiting rejoins).
    mutating func removeMemberSilently(_ memberID: MemberID) {
        guard let removed = group?.remove(memberID) else {
            cancel(.pendingMember(memberID))
            return
        }
        cancel(.heartbeat(memberID))
        if let token = removed.awaitingJoin { respondJoin(token, .failure(.unknownMemberID, memberID: .unknown)) }
        if let token = removed.awaitingSync { respondSync(token, .failure(.unknownMemberID)) }
    }

    /// Drops a member id handed out with MEMBER_ID_REQUIRED (it left, or never came back).
    mutating func removePendingMember(_ memberID: MemberID) {
        group!.pendingMembers.remove(memberID)
        cancel(.pendingMember(memberID))
        if group!.state == .preparingRebalance { tryCompleteJoin() }
    }

    // MARK: Sessions

    /// Arms the member's session timer — unless the member is parked in a JoinGroup or SyncGroup (then the
    /// rebalance and sync timeouts bound it; Kafka completes the heartbeat at once), or is new (always armed).
    mutating func scheduleSessionTimer(_ memberID: MemberID, timeoutMs: Int64) {
        let member = group!.member(memberID)!
        if !member.isNew && (member.isAwaitingJoin || member.isAwaitingSync) {
            cancel(.heartbeat(memberID))
        } else {
            schedule(.heartbeat(memberID), afterMs: timeoutMs)
        }
    }

    // MARK: Timers

    /// A timer the shell armed reached its deadline. Stale firings (cancelled or re-armed timers) are ignored; an
    /// early one is re-armed.
    public mutating func timerFired(_ key: GroupTimerKey, now: TimestampMs) -> [GroupDirective] {
        handle(now: now) { machine in
            guard let deadline = machine.timers[key], !machine.isUnloaded else { return }
            guard now >= deadline else { return machine.emit(.scheduleTimer(key, deadline: deadline)) }
            machine.timers[key] = nil
            guard machine.group != nil else { return }
            switch key {
            case .join: machine.joinTimerFired()
            case .sync: machine.syncTimerFired()
            case .heartbeat(let memberID): machine.sessionExpired(memberID)
            case .pendingMember(let memberID):
                if machine.group!.isPending(memberID) { machine.removePendingMember(memberID) }
            }
        }
    }

    /// Kafka's `onExpireHeartbeat`: the member did not heartbeat within its session timeout.
    private mutating func sessionExpired(_ memberID: MemberID) {
        guard let member = group!.member(memberID), group!.state != .dead else { return }
        if !member.survivesSessionExpiry { removeMemberAndUpdateGroup(memberID) }
    }

    // MARK: Answers

    mutating func respondJoin(_ token: RequestToken, _ outcome: JoinGroupOutcome) {
        emit(.respondJoin(token, outcome))
    }

    mutating func respondSync(_ token: RequestToken, _ outcome: SyncGroupOutcome) {
        emit(.respondSync(token, outcome))
    }
}
