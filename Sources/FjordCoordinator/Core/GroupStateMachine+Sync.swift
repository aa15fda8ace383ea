import FjordModel

extension GroupStateMachine {
    /// SyncGroup (Kafka's `handleSyncGroup`): members collect their assignment; the leader brings it.
    public mutating func syncGroup(_ request: SyncGroupInput, token: RequestToken, now: TimestampMs)
        -> [GroupDirective]
    {
        handle(now: now) { $0.doSyncGroup(request, token: token) }
    }

    private mutating func doSyncGroup(_ request: SyncGroupInput, token: RequestToken) {
        if let error = validateSyncGroup(request) { return respondSync(token, .failure(error)) }
        let memberID = request.memberID
        switch group!.state {
        case .empty:
            respondSync(token, .failure(.unknownMemberID))
        case .preparingRebalance:
            respondSync(token, .failure(.rebalanceInProgress))
        case .completingRebalance:
            let superseded = group!.modifyMember(memberID) { member -> RequestToken? in
                defer { member.awaitingSync = token }
                return member.awaitingSync
            }
            if let superseded { respondSync(superseded, .failure(.rebalanceInProgress)) }
            removePendingSyncMember(memberID)
            if group!.isLeader(memberID) {
                // The assignment takes effect once written; members the leader left out get an empty one.
                var assignments: [MemberID: [UInt8]] = [:]
                for id in group!.memberIDs { assignments[id] = request.assignments[id] ?? [] }
                persist(
                    .assignment(generation: group!.generation, assignments: assignments),
                    metadata: .set(GroupMetadataRecord(group!, assignments: assignments, state: .stable)))
            }
        case .stable:
            removePendingSyncMember(memberID)
            let member = group!.member(memberID)!
            respondSync(
                token,
                SyncGroupOutcome(
                    error: .none, protocolType: group!.protocolType, protocolName: group!.protocolName,
                    assignment: member.assignment))
            scheduleSessionTimer(memberID, timeoutMs: Int64(member.sessionTimeoutMs))
        case .dead:
            respondSync(token, .failure(.coordinatorNotAvailable))
        }
    }

    private func validateSyncGroup(_ request: SyncGroupInput) -> GroupErrorCode? {
        if isUnloaded { return .notCoordinator }
        guard let group else { return .unknownMemberID }
        if group.state == .dead { return .coordinatorNotAvailable }
        if let error = validateCurrentMember(request.memberID, instanceID: request.groupInstanceID) { return error }
        if request.generation != group.generation { return .illegalGeneration }
        if let type = request.protocolType, group.protocolType != type { return .inconsistentGroupProtocol }
        if let name = request.protocolName, group.protocolName != name { return .inconsistentGroupProtocol }
        return nil
    }
}
