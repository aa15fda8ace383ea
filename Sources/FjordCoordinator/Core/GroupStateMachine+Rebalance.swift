import FjordModel

extension GroupStateMachine {
    /// Starts a rebalance if the group's state allows one.
    mutating func maybePrepareRebalance() {
        if group?.state.canRebalance == true { prepareRebalance() }
    }

    /// Kafka's `prepareRebalance`: fails parked SyncGroups, stops the sync timer, and opens the join phase — with
    /// the initial delay when the group was Empty, else bounded by the rebalance timeout.
    mutating func prepareRebalance() {
        if group!.state == .completingRebalance { resetAndPropagateAssignmentError(.rebalanceInProgress) }
        removeSyncExpiration()
        let rebalanceTimeoutMs = Int64(group!.rebalanceTimeoutMs)
        if group!.state == .empty {
            let delayMs = Int64(config.initialRebalanceDelayMs)
            joinPhase = .initialDelay(
                configuredMs: delayMs, delayMs: delayMs, remainingMs: max(rebalanceTimeoutMs - delayMs, 0))
            schedule(.join, afterMs: delayMs)
            transition(to: .preparingRebalance)
        } else {
            joinPhase = .awaitingMembers
            schedule(.join, afterMs: rebalanceTimeoutMs)
            transition(to: .preparingRebalance)
            tryCompleteJoin()
        }
    }

    /// Ends the join phase early once every known member has rejoined (never during the initial delay).
    mutating func tryCompleteJoin() {
        guard let group, group.state == .preparingRebalance, joinPhase == .awaitingMembers, group.hasAllMembersJoined
        else { return }
        cancel(.join)
        completeJoin()
    }

    /// The `.join` timer fired.
    mutating func joinTimerFired() {
        switch joinPhase {
        case .none:
            return
        case .initialDelay(let configuredMs, let delayMs, let remainingMs):
            if group!.newMemberAdded && remainingMs != 0 {
                // Members are still arriving: wait again, within what is left of the rebalance timeout.
                group!.newMemberAdded = false
                let nextDelayMs = min(configuredMs, remainingMs)
                joinPhase = .initialDelay(
                    configuredMs: configuredMs, delayMs: nextDelayMs, remainingMs: max(remainingMs - delayMs, 0))
                schedule(.join, afterMs: nextDelayMs)
            } else {
                completeJoin()
            }
        case .awaitingMembers:
            completeJoin()
        }
    }

    /// Kafka's `onCompleteJoin`: drops dynamic members that did not rejoin, then forms the next generation and
    /// answers every parked JoinGroup — the leader with all members' metadata.
    mutating func completeJoin() {
        joinPhase = .none
        for member in group!.members where !member.isAwaitingJoin && !member.isStatic {
            removeMemberSilently(member.memberID)
        }
        if group!.state == .dead { return }
        if !group!.maybeElectNewJoinedLeader() && group!.size > 0 {
            // Only static members that did not rejoin are left: wait another rebalance timeout for them.
            joinPhase = .awaitingMembers
            schedule(.join, afterMs: Int64(group!.rebalanceTimeoutMs))
            return
        }
        group!.initNextGeneration(now: now)
        emit(.stateChanged(from: .preparingRebalance, to: group!.state))
        if group!.state == .empty {
            persist(.emptyGroup, metadata: .set(GroupMetadataRecord(group!, state: .empty)))
            return
        }
        for memberID in group!.memberIDs {
            let member = group!.member(memberID)!
            if let token = member.awaitingJoin {
                group!.modifyMember(memberID) { $0.awaitingJoin = nil }
                respondJoin(token, currentGenerationOutcome(for: memberID, includeMembers: group!.isLeader(memberID)))
            }
            scheduleSessionTimer(memberID, timeoutMs: Int64(member.sessionTimeoutMs))
            group!.modifyMember(memberID) { $0.isNew = false }
            group!.pendingSyncMembers.insert(memberID)
        }
        syncGeneration = group!.generation
        schedule(.sync, afterMs: Int64(group!.rebalanceTimeoutMs))
    }

    /// A member of the current generation sent SyncGroup; stop the sync timer once all have.
    mutating func removePendingSyncMember(_ memberID: MemberID) {
        group!.pendingSyncMembers.remove(memberID)
        if group!.pendingSyncMembers.isEmpty { cancel(.sync) }
    }

    mutating func removeSyncExpiration() {
        group!.pendingSyncMembers = []
        cancel(.sync)
    }

    /// The `.sync` timer fired: members that never sent SyncGroup are removed and the group rebalances.
    mutating func syncTimerFired() {
        guard let group, syncGeneration == group.generation,
            group.state == .completingRebalance || group.state == .stable, !group.pendingSyncMembers.isEmpty
        else { return }
        for memberID in group.memberIDs where group.pendingSyncMembers.contains(memberID) {
            removeMemberSilently(memberID)
        }
        prepareRebalance()
    }

    /// Gives every member its assignment and answers the parked SyncGroups (Kafka's `setAndPropagateAssignment`).
    mutating func setAndPropagateAssignment(_ assignments: [MemberID: [UInt8]]) {
        precondition(group!.state == .completingRebalance, "group \(groupID): assignment while \(group!.state)")
        for memberID in group!.memberIDs {
            group!.modifyMember(memberID) { $0.assignment = assignments[memberID] ?? [] }
        }
        propagateAssignment(error: .none)
    }

    /// Clears assignments and fails the parked SyncGroups with `error`.
    mutating func resetAndPropagateAssignmentError(_ error: GroupErrorCode) {
        precondition(group!.state == .completingRebalance, "group \(groupID): assignment reset while \(group!.state)")
        for memberID in group!.memberIDs { group!.modifyMember(memberID) { $0.assignment = [] } }
        propagateAssignment(error: error)
    }

    private mutating func propagateAssignment(error: GroupErrorCode) {
        for memberID in group!.memberIDs {
            let member = group!.member(memberID)!
            guard let token = member.awaitingSync else { continue }
            group!.modifyMember(memberID) { $0.awaitingSync = nil }
            if error == .none {
                respondSync(
                    token,
                    SyncGroupOutcome(
                        error: .none, protocolType: group!.protocolType, protocolName: group!.protocolName,
                        assignment: member.assignment))
            } else {
                respondSync(token, .failure(error))
            }
            // Its session may have lapsed while it waited; give it a full one from now.
            scheduleSessionTimer(memberID, timeoutMs: Int64(member.sessionTimeoutMs))
        }
    }

    /// The outcome of persisting the leader's assignment (Kafka's `storeGroup` callback in `doSyncGroup`).
    mutating func assignmentWritten(
        generation: GenerationID, assignments: [MemberID: [UInt8]], error: GroupErrorCode
    ) {
        // A member may have joined meanwhile; then this generation is over and the result is moot.
        guard let group, group.state == .completingRebalance, group.generation == generation else { return }
        if error != .none {
            resetAndPropagateAssignmentError(error)
            maybePrepareRebalance()
        } else {
            setAndPropagateAssignment(assignments)
            transition(to: .stable)
        }
    }
}
