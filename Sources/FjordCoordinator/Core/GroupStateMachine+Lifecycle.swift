import FjordCluster
import FjordModel

extension GroupStateMachine {
    /// Takes over a group from its ZooKeeper records (either may be absent). Members must heartbeat within their
    /// session timeout from `now`; an oversized group rebalances (Kafka's `onGroupLoaded`).
    public mutating func load(metadata: GroupMetadataRecord?, offsets: GroupOffsetsRecord?, now: TimestampMs)
        throws(ClusterStateError) -> [GroupDirective]
    {
        precondition(group == nil && !isUnloaded && pendingWrites.isEmpty, "group \(groupID): loaded twice")
        let paths = GroupZNodePaths(groupID)
        let committed = try offsets?.committedOffsets(path: paths.offsets) ?? CommittedOffsets()
        if let metadata {
            group = try metadata.makeGroup(groupID, offsets: committed, path: paths.metadata)
        } else if !committed.isEmpty {
            var group = ConsumerGroup(groupID: groupID, state: .empty, now: nil)
            group.offsets = committed
            self.group = group
        }
        return handle(now: now) { machine in
            guard let group = machine.group else { return }
            for member in group.members {
                machine.scheduleSessionTimer(member.memberID, timeoutMs: Int64(member.sessionTimeoutMs))
            }
            if group.size > machine.config.maxGroupSize { machine.prepareRebalance() }
        }
    }

    /// Gives the group up (another broker coordinates it now, or this broker lost its ZooKeeper session or a
    /// write): every parked request is answered NOT_COORDINATOR, timers are cancelled, and the group is Dead here.
    /// Writes still in flight are forgotten; their completions are ignored.
    public mutating func unload(now: TimestampMs) -> [GroupDirective] {
        handle(now: now) { machine in
            guard !machine.isUnloaded else { return }
            machine.isUnloaded = true
            if let group = machine.group {
                for member in group.members {
                    if let token = member.awaitingJoin {
                        machine.respondJoin(token, .failure(.notCoordinator, memberID: member.memberID))
                    }
                    if let token = member.awaitingSync { machine.respondSync(token, .failure(.notCoordinator)) }
                    machine.group!.modifyMember(member.memberID) {
                        $0.awaitingJoin = nil
                        $0.awaitingSync = nil
                    }
                }
                if group.state != .dead { machine.transition(to: .dead) }
            }
            for ticket in machine.pendingWrites.keys.sorted() {
                switch machine.pendingWrites[ticket]! {
                case .offsets(.some(let token), _, let results):
                    machine.emit(
                        .respondOffsetCommit(token, results.map { PartitionResult($0.partition, .notCoordinator) }))
                case .deletion(.some(let token)):
                    machine.emit(.respondDeleteGroup(token, .notCoordinator))
                default:
                    break
                }
            }
            machine.pendingWrites = [:]
            for key in machine.timers.keys.sorted(by: { $0.description < $1.description }) { machine.cancel(key) }
            machine.joinPhase = .none
        }
    }

    /// The shell finished a ``GroupWrite``: `error` is `.none` on success, else the Kafka error to report
    /// (NOT_COORDINATOR when fenced, COORDINATOR_NOT_AVAILABLE when ZooKeeper could not be reached, …). After a
    /// failed write the shell should unload the group: its view of the znode versions is no longer reliable.
    public mutating func writeCompleted(_ ticket: WriteTicket, error: GroupErrorCode, now: TimestampMs)
        -> [GroupDirective]
    {
        handle(now: now) { machine in
            guard let purpose = machine.pendingWrites.removeValue(forKey: ticket) else { return }
            switch purpose {
            case .assignment(let generation, let assignments):
                machine.assignmentWritten(generation: generation, assignments: assignments, error: error)
            case .staticRejoin(let rejoin):
                machine.staticRejoinWritten(rejoin, error: error)
            case .offsets(let token, let updates, let results):
                machine.offsetsWritten(ticket: ticket, token: token, updates: updates, results: results, error: error)
            case .emptyGroup:
                break
            case .deletion(let token):
                if let token { machine.emit(.respondDeleteGroup(token, error)) }
            }
        }
    }

    /// DeleteGroups for this group (Kafka's `handleDeleteGroups`): only an Empty group can be deleted; its
    /// metadata and offsets are removed from ZooKeeper before the answer.
    public mutating func deleteGroup(token: RequestToken, now: TimestampMs) -> [GroupDirective] {
        handle(now: now) { machine in
            if machine.isUnloaded { return machine.emit(.respondDeleteGroup(token, .notCoordinator)) }
            guard let group = machine.group, group.state != .dead else {
                return machine.emit(.respondDeleteGroup(token, .groupIDNotFound))
            }
            guard group.state == .empty else { return machine.emit(.respondDeleteGroup(token, .nonEmptyGroup)) }
            machine.transition(to: .dead)
            machine.removeGroup(deletionToken: token)
        }
    }

    /// Forgets a Dead group and deletes its znodes. Offsets written before this point are superseded by the
    /// deletion; the machine can host a new incarnation of the group afterwards.
    mutating func removeGroup(deletionToken: RequestToken?) {
        precondition(group?.state == .dead, "group \(groupID): removed while \(String(describing: group?.state))")
        for key in timers.keys.sorted(by: { $0.description < $1.description }) { cancel(key) }
        joinPhase = .none
        group = nil
        persist(.deletion(token: deletionToken), metadata: .delete, offsets: .delete)
        offsetsBaseTicket = WriteTicket(nextTicket - 1)
        emit(.groupRemoved)
    }

    /// DescribeGroups: a group this coordinator does not know is Dead with no members.
    public func describe() -> GroupDescription {
        if isUnloaded {
            return GroupDescription(
                groupID: groupID, error: .notCoordinator, state: "", protocolType: "", protocolName: "", members: [])
        }
        guard let group else {
            return GroupDescription(
                groupID: groupID, error: .none, state: GroupState.dead.kafkaName, protocolType: "", protocolName: "",
                members: [])
        }
        return group.describe()
    }

    /// ListGroups' entry for this group, or nil when there is no group here.
    public var overview: GroupOverview? { isUnloaded ? nil : group?.overview }
}
