import FjordModel

extension GroupStateMachine {
    /// JoinGroup (Kafka's `handleJoinGroup`). The answer is often parked until the join phase ends.
    public mutating func joinGroup(_ request: JoinGroupInput, token: RequestToken, now: TimestampMs)
        -> [GroupDirective]
    {
        handle(now: now) { $0.doJoinGroup(request, token: token) }
    }

    private mutating func doJoinGroup(_ request: JoinGroupInput, token: RequestToken) {
        if isUnloaded { return respondJoin(token, .failure(.notCoordinator, memberID: request.memberID)) }
        if request.sessionTimeoutMs < config.minSessionTimeoutMs
            || request.sessionTimeoutMs > config.maxSessionTimeoutMs
        {
            return respondJoin(token, .failure(.invalidSessionTimeout, memberID: request.memberID))
        }
        let isUnknownMember = request.memberID.isUnknown
        if group == nil {
            // Only a first join creates the group; a member id for a group we do not know is stale.
            guard isUnknownMember else {
                return respondJoin(token, .failure(.unknownMemberID, memberID: request.memberID))
            }
            group = ConsumerGroup(groupID: groupID, state: .empty, now: now)
        }
        if !acceptJoiningMember(request.memberID) {
            removeMemberSilently(request.memberID)
            respondJoin(token, .failure(.groupMaxSizeReached, memberID: .unknown))
        } else if isUnknownMember {
            joinNewMember(request, token: token)
        } else {
            joinCurrentMember(request, token: token)
        }
        if group?.state == .preparingRebalance { tryCompleteJoin() }
    }

    /// Kafka's `acceptJoiningMember`: the group-size limit, counted so that the last rejoining members of an
    /// oversized group are the ones turned away.
    private func acceptJoiningMember(_ memberID: MemberID) -> Bool {
        guard let group else { return true }
        switch group.state {
        case .empty, .dead:
            return true
        case .preparingRebalance:
            return (group.member(memberID)?.isAwaitingJoin ?? false) || group.awaitingJoinCount < config.maxGroupSize
        case .completingRebalance, .stable:
            return group.has(memberID) || group.size < config.maxGroupSize
        }
    }

    private mutating func joinNewMember(_ request: JoinGroupInput, token: RequestToken) {
        let group = self.group!
        if group.state == .dead {
            return respondJoin(token, .failure(.coordinatorNotAvailable, memberID: .unknown))
        }
        guard group.supportsProtocols(type: request.protocolType, names: Set(request.protocols.map(\.name))) else {
            return respondJoin(token, .failure(.inconsistentGroupProtocol, memberID: .unknown))
        }
        let newMemberID = generateMemberID(clientID: request.clientID, instanceID: request.groupInstanceID)
        if let instanceID = request.groupInstanceID {
            if let oldMemberID = group.staticMemberID(instanceID) {
                replaceStaticMember(instanceID, old: oldMemberID, new: newMemberID, request: request, token: token)
            } else {
                addMemberAndRebalance(newMemberID, request: request, token: token)
            }
        } else if request.requireKnownMemberID {
            // JoinGroup v4+: hand out the id and wait for the member to come back with it (KIP-394).
            self.group!.pendingMembers.insert(newMemberID)
            schedule(.pendingMember(newMemberID), afterMs: Int64(request.sessionTimeoutMs))
            respondJoin(token, .failure(.memberIDRequired, memberID: newMemberID))
        } else {
            addMemberAndRebalance(newMemberID, request: request, token: token)
        }
    }

    private mutating func joinCurrentMember(_ request: JoinGroupInput, token: RequestToken) {
        let group = self.group!
        let memberID = request.memberID
        if group.state == .dead {
            return respondJoin(token, .failure(.coordinatorNotAvailable, memberID: memberID))
        }
        guard group.supportsProtocols(type: request.protocolType, names: Set(request.protocols.map(\.name))) else {
            return respondJoin(token, .failure(.inconsistentGroupProtocol, memberID: memberID))
        }
        if group.isPending(memberID) {
            // A pending member is never static; Kafka fails such a request with an internal error.
            guard request.groupInstanceID == nil else {
                return respondJoin(token, .failure(.unknownServerError, memberID: memberID))
            }
            cancel(.pendingMember(memberID))
            return addMemberAndRebalance(memberID, request: request, token: token)
        }
        if let error = validateCurrentMember(memberID, instanceID: request.groupInstanceID) {
            return respondJoin(token, .failure(error, memberID: memberID))
        }
        let member = group.member(memberID)!
        switch group.state {
        case .preparingRebalance:
            updateMemberAndRebalance(memberID, request: request, token: token)
        case .completingRebalance:
            if member.matches(request.protocols) {
                // Probably a retry of a lost JoinGroup response: answer with the current generation.
                respondJoin(token, currentGenerationOutcome(for: memberID, includeMembers: group.isLeader(memberID)))
            } else {
                updateMemberAndRebalance(memberID, request: request, token: token)
            }
        case .stable:
            if group.isLeader(memberID) || !member.matches(request.protocols) {
                // A leader's JoinGroup always rebalances: it may have seen metadata changes the others have not.
                updateMemberAndRebalance(memberID, request: request, token: token)
            } else {
                respondJoin(token, currentGenerationOutcome(for: memberID, includeMembers: false))
            }
        case .empty, .dead:
            respondJoin(token, .failure(.unknownMemberID, memberID: memberID))
        }
    }

    /// The JoinGroup answer for the current generation; the leader also gets every member's metadata.
    func currentGenerationOutcome(for memberID: MemberID, includeMembers: Bool, leader: MemberID? = nil)
        -> JoinGroupOutcome
    {
        let group = self.group!
        return JoinGroupOutcome(
            error: .none, generation: group.generation, protocolType: group.protocolType,
            protocolName: group.protocolName, leader: leader ?? group.leader ?? .unknown, memberID: memberID,
            members: includeMembers ? group.currentMemberMetadata() : [])
    }

    private mutating func addMemberAndRebalance(_ memberID: MemberID, request: JoinGroupInput, token: RequestToken) {
        var member = GroupMember(
            memberID: memberID, groupInstanceID: request.groupInstanceID, clientID: request.clientID,
            clientHost: request.clientHost, rebalanceTimeoutMs: request.rebalanceTimeoutMs,
            sessionTimeoutMs: request.sessionTimeoutMs, protocolType: request.protocolType,
            protocols: request.protocols)
        member.isNew = true
        member.awaitingJoin = token
        if group!.state == .preparingRebalance && group!.generation == GenerationID(0) {
            group!.newMemberAdded = true
        }
        group!.add(member)
        // A new member cannot heartbeat before it has its first generation, so its JoinGroup gets a long but
        // finite wait: a client that gave up and rejoined under a new id must not stay in the group forever.
        scheduleSessionTimer(memberID, timeoutMs: config.newMemberJoinTimeoutMs)
        maybePrepareRebalance()
    }

    private mutating func updateMemberAndRebalance(
        _ memberID: MemberID, request: JoinGroupInput, token: RequestToken
    ) {
        let superseded = group!.updateMember(
            memberID, protocols: request.protocols, rebalanceTimeoutMs: request.rebalanceTimeoutMs,
            sessionTimeoutMs: request.sessionTimeoutMs, awaitingJoin: token)
        if let superseded { respondJoin(superseded, .failure(.rebalanceInProgress, memberID: memberID)) }
        maybePrepareRebalance()
    }

    /// A static member rejoining with an unknown member id (it restarted): it takes over its old entry under a
    /// new id, and the old id is fenced. In a Stable group whose protocol choice stays the same this needs no
    /// rebalance, only a write (Kafka's `updateStaticMemberAndRebalance`).
    private mutating func replaceStaticMember(
        _ instanceID: GroupInstanceID, old: MemberID, new: MemberID, request: JoinGroupInput, token: RequestToken
    ) {
        let previousLeader = group!.leader
        let replaced = group!.replaceStaticMember(instanceID, old: old, new: new)
        if let fenced = replaced.fencedJoin { respondJoin(fenced, .failure(.fencedInstanceID, memberID: old)) }
        if let fenced = replaced.fencedSync { respondSync(fenced, .failure(.fencedInstanceID)) }
        cancel(.heartbeat(old))
        scheduleSessionTimer(new, timeoutMs: Int64(replaced.member.sessionTimeoutMs))
        let revert = StaticRejoin(
            instanceID: instanceID, oldMemberID: old, newMemberID: new, oldProtocols: replaced.member.protocols,
            oldRebalanceTimeoutMs: replaced.member.rebalanceTimeoutMs,
            oldSessionTimeoutMs: replaced.member.sessionTimeoutMs, previousLeader: previousLeader)
        _ = group!.updateMember(
            new, protocols: request.protocols, rebalanceTimeoutMs: request.rebalanceTimeoutMs,
            sessionTimeoutMs: request.sessionTimeoutMs, awaitingJoin: token)
        switch group!.state {
        case .stable:
            if group!.selectProtocol() == group!.protocolName {
                persist(.staticRejoin(revert), metadata: .set(GroupMetadataRecord(group!, state: .stable)))
            } else {
                maybePrepareRebalance()
            }
        case .completingRebalance:
            // The leader may already be assigning to the old id: start over.
            prepareRebalance()
        case .preparingRebalance:
            break
        case .empty, .dead:
            preconditionFailure("group \(groupID): static member \(instanceID) known while \(group!.state)")
        }
    }

    /// The outcome of persisting a static member's replacement.
    mutating func staticRejoinWritten(_ rejoin: StaticRejoin, error: GroupErrorCode) {
        guard let group, let member = group.member(rejoin.newMemberID) else { return }
        let token = member.awaitingJoin
        if token != nil { self.group!.modifyMember(rejoin.newMemberID) { $0.awaitingJoin = nil } }
        // Both answers keep the old leader id, so a pre-v9 client does not run an assignment a Stable group
        // would ignore.
        let leader = rejoin.previousLeader ?? .unknown
        if error == .none {
            if let token {
                respondJoin(
                    token, currentGenerationOutcome(for: rejoin.newMemberID, includeMembers: false, leader: leader))
            }
            return
        }
        if group.state == .stable && group.staticMemberID(rejoin.instanceID) == rejoin.newMemberID {
            // Undo: the old id stays valid, as the write never happened.
            _ = self.group!.updateMember(
                rejoin.newMemberID, protocols: rejoin.oldProtocols, rebalanceTimeoutMs: rejoin.oldRebalanceTimeoutMs,
                sessionTimeoutMs: rejoin.oldSessionTimeoutMs, awaitingJoin: nil)
            _ = self.group!.replaceStaticMember(rejoin.instanceID, old: rejoin.newMemberID, new: rejoin.oldMemberID)
            cancel(.heartbeat(rejoin.newMemberID))
            scheduleSessionTimer(rejoin.oldMemberID, timeoutMs: Int64(rejoin.oldSessionTimeoutMs))
        }
        if let token {
            var outcome = currentGenerationOutcome(for: .unknown, includeMembers: false, leader: leader)
            outcome.error = error
            respondJoin(token, outcome)
        }
    }
}
