import FjordModel

/// The timers a group's state machine keeps. At most one of each key is armed at a time.
public enum GroupTimerKey: Hashable, Sendable, CustomStringConvertible {
    /// The join phase: the initial rebalance delay of a formerly Empty group, or the rebalance timeout.
    case join
    /// The sync phase: members of a new generation must send SyncGroup within the rebalance timeout.
    case sync
    /// A member's session: it must heartbeat (or otherwise show life) before this fires.
    case heartbeat(MemberID)
    /// A member id handed out with MEMBER_ID_REQUIRED must be used within the session timeout.
    case pendingMember(MemberID)

    public var description: String {
        switch self {
        case .join: "join"
        case .sync: "sync"
        case .heartbeat(let id): "heartbeat(\(id))"
        case .pendingMember(let id): "pending(\(id))"
        }
    }
}

/// A change to one znode: replace its content (creating it if absent) or delete it.
public enum ZNodeChange<Record: Hashable & Sendable>: Hashable, Sendable {
    case set(Record)
    case delete
}

/// A write of the group's state the machine needs before it can answer some request.
///
/// The shell turns it into ONE ZooKeeper `multi`: `check(epoch, claimedVersion)` plus, for each present change, a
/// compare-and-set on that node's last known version (or a create/delete). Writes must reach ZooKeeper in ticket
/// order; the shell then reports each with ``GroupStateMachine/writeCompleted(_:error:now:)``.
public struct GroupWrite: Hashable, Sendable {
    public var ticket: WriteTicket
    public var metadata: ZNodeChange<GroupMetadataRecord>?
    public var offsets: ZNodeChange<GroupOffsetsRecord>?

    public init(
        ticket: WriteTicket, metadata: ZNodeChange<GroupMetadataRecord>?, offsets: ZNodeChange<GroupOffsetsRecord>?
    ) {
        self.ticket = ticket
        self.metadata = metadata
        self.offsets = offsets
    }
}

/// What the state machine asks its shell to do, in order.
public enum GroupDirective: Hashable, Sendable {
    case respondJoin(RequestToken, JoinGroupOutcome)
    case respondSync(RequestToken, SyncGroupOutcome)
    case respondHeartbeat(RequestToken, GroupErrorCode)
    case respondLeave(RequestToken, LeaveGroupOutcome)
    /// Per partition, in request order.
    case respondOffsetCommit(RequestToken, [PartitionResult])
    case respondDeleteGroup(RequestToken, GroupErrorCode)
    /// Persist and report back with the ticket.
    case persist(GroupWrite)
    /// Arm (or re-arm, replacing the previous deadline) a timer; report it with
    /// ``GroupStateMachine/timerFired(_:now:)`` once the wall clock reaches `deadline`.
    case scheduleTimer(GroupTimerKey, deadline: TimestampMs)
    case cancelTimer(GroupTimerKey)
    /// The group changed state (for logs and metrics; Empty and Dead matter to the shell).
    case stateChanged(from: GroupState, to: GroupState)
    /// The group no longer exists on this coordinator (deleted, or expired while Empty without offsets). The
    /// machine stays usable: a later JoinGroup or simple-consumer commit creates the group afresh.
    case groupRemoved

    /// The token this directive answers, if it is a response.
    public var respondedToken: RequestToken? {
        switch self {
        case .respondJoin(let t, _), .respondSync(let t, _), .respondHeartbeat(let t, _), .respondLeave(let t, _),
            .respondOffsetCommit(let t, _), .respondDeleteGroup(let t, _):
            t
        case .persist, .scheduleTimer, .cancelTimer, .stateChanged, .groupRemoved: nil
        }
    }
}
