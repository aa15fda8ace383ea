import FjordModel

/// The coordinator of one consumer group, as a pure state machine: Kafka 3.9's classic group protocol
/// (`GroupCoordinator.scala`) with the I/O cut out.
///
/// **Vocabulary.** This is the *instance* (protocol logic, no I/O); the *shell* (``GroupCoordinator``) feeds it
/// *events* — requests with an opaque ``RequestToken``, timer firings, write completions — each with the current
/// wall-clock time, and performs the *directives* it returns: answer a token, persist a ``GroupWrite``, arm or
/// cancel a timer. Nothing here reads a clock, touches ZooKeeper or a socket.
///
/// **Deferred answers.** A JoinGroup is parked on its member until the join phase ends (all known members rejoined,
/// or the rebalance timeout); a SyncGroup is parked until the leader's assignment is persisted; an OffsetCommit
/// until its offsets are persisted. Invariant: every token handed in is answered exactly once — including the
/// tokens of members removed while parked and, on ``unload(now:)``, every parked token (NOT_COORDINATOR).
///
/// **Timers** (``GroupTimerKey``) replace Kafka's purgatories. The machine remembers each armed deadline and ignores
/// a firing for a timer it no longer has (cancelled or re-armed) — so a late or duplicate firing from the shell is
/// harmless — and re-arms one that fires early.
///
/// **Writes.** Kafka appends group metadata and offset commits to `__consumer_offsets`; Fjord persists the same
/// facts in ZooKeeper (docs/group-coordinator.md). The moments and the reactions to failure are Kafka's: the
/// leader's assignment takes effect only once written; a failed write of it fails the SyncGroups and restarts the
/// rebalance; a commit is answered after its write. OffsetFetch returns only written offsets.
///
/// **Deviations from Kafka**, each small and on purpose:
/// - a JoinGroup or SyncGroup superseded by a newer one from the same member is answered (REBALANCE_IN_PROGRESS)
///   rather than dropped, and a member removed while its SyncGroup is parked gets UNKNOWN_MEMBER_ID — a shell must
///   never hold a continuation forever;
/// - ties in protocol selection and the choice of a new leader follow join order instead of hash-map order;
/// - member ids are `<client id or instance id>-<incarnation>-<n>` rather than `…-<UUID>`: the shell passes a fresh
///   random incarnation each time it loads the group, which keeps ids unique across coordinators.
///
/// Not thread-safe (a value type): the shell serializes all events of a group.
public struct GroupStateMachine: Sendable {
    public let groupID: GroupID
    public let config: GroupCoordinatorConfig
    /// The group, or nil when this coordinator has no such group (never created, deleted, or expired).
    public internal(set) var group: ConsumerGroup?
    /// Armed timers and their deadlines.
    public internal(set) var timers: [GroupTimerKey: TimestampMs] = [:]
    /// True after ``unload(now:)``: the group moved to another coordinator; every request gets NOT_COORDINATOR.
    public internal(set) var isUnloaded = false

    var joinPhase = JoinPhase.none
    /// The generation the armed `.sync` timer belongs to.
    var syncGeneration = GenerationID.none
    var pendingWrites: [WriteTicket: PendingWrite] = [:]
    var nextTicket: UInt64 = 1
    /// The ticket of the last deletion of the group: offset writes up to it belong to a deleted incarnation.
    var offsetsBaseTicket = WriteTicket(0)
    let memberIDIncarnation: String
    var memberIDCounter: UInt64 = 0
    /// The time of the event being handled.
    var now = TimestampMs(0)
    /// Directives produced by the event being handled.
    var outbox: [GroupDirective] = []

    /// - Parameters:
    ///   - memberIDIncarnation: a string unique to this load of the group (a random UUID in production), part of
    ///     every member id this machine hands out.
    public init(groupID: GroupID, config: GroupCoordinatorConfig, memberIDIncarnation: String) {
        self.groupID = groupID
        self.config = config
        self.memberIDIncarnation = memberIDIncarnation
    }

    /// The group's state; nil when the group does not exist here.
    public var state: GroupState? { group?.state }

    /// The join phase's timer semantics (Kafka's `InitialDelayedJoin` and `DelayedJoin`).
    enum JoinPhase: Hashable, Sendable {
        case none
        /// Waiting `delayMs` for more members; while members keep joining, wait again (at most `configuredMs`)
        /// until `remainingMs` of the rebalance timeout is used up. Never completes early.
        case initialDelay(configuredMs: Int64, delayMs: Int64, remainingMs: Int64)
        /// Waiting for every known member to rejoin, at most the rebalance timeout.
        case awaitingMembers
    }

    /// A write in flight and what to do when it completes.
    enum PendingWrite: Hashable, Sendable {
        /// The leader's assignment for `generation`.
        case assignment(generation: GenerationID, assignments: [MemberID: [UInt8]])
        /// A static member's new id, persisted without a rebalance.
        case staticRejoin(StaticRejoin)
        /// Offsets of one OffsetCommit (`token`), or a rewrite after expiry (no token). `results` holds the answer
        /// for each requested partition; those with `.none` take the write's outcome.
        case offsets(token: RequestToken?, updates: [TopicPartition: CommittedOffset], results: [PartitionResult])
        /// The group became Empty: its new generation without members.
        case emptyGroup
        /// The group was deleted (DeleteGroups, or expiry).
        case deletion(token: RequestToken?)
    }

    /// What reverting a static member's replacement needs.
    struct StaticRejoin: Hashable, Sendable {
        var instanceID: GroupInstanceID
        var oldMemberID: MemberID
        var newMemberID: MemberID
        var oldProtocols: [GroupProtocol]
        var oldRebalanceTimeoutMs: Int32
        var oldSessionTimeoutMs: Int32
        var previousLeader: MemberID?
    }

    // MARK: Event plumbing

    /// Runs one event: sets the time, runs `body`, checks invariants, returns the directives in order.
    mutating func handle(now: TimestampMs, _ body: (inout GroupStateMachine) -> Void) -> [GroupDirective] {
        precondition(outbox.isEmpty, "group \(groupID): re-entrant event")
        self.now = now
        body(&self)
        #if DEBUG
            group?.checkInvariants()
        #endif
        defer { outbox = [] }
        return outbox
    }

    mutating func emit(_ directive: GroupDirective) { outbox.append(directive) }

    mutating func schedule(_ key: GroupTimerKey, afterMs delayMs: Int64) {
        let deadline = TimestampMs(now.rawValue &+ delayMs)
        timers[key] = deadline
        emit(.scheduleTimer(key, deadline: deadline))
    }

    mutating func cancel(_ key: GroupTimerKey) {
        if timers.removeValue(forKey: key) != nil { emit(.cancelTimer(key)) }
    }

    mutating func transition(to target: GroupState) {
        guard let from = group?.state else { preconditionFailure("group \(groupID): transition without a group") }
        group!.transition(to: target, now: now)
        emit(.stateChanged(from: from, to: target))
    }

    mutating func persist(
        _ purpose: PendingWrite, metadata: ZNodeChange<GroupMetadataRecord>? = nil,
        offsets: ZNodeChange<GroupOffsetsRecord>? = nil
    ) {
        let ticket = WriteTicket(nextTicket)
        nextTicket += 1
        pendingWrites[ticket] = purpose
        emit(.persist(GroupWrite(ticket: ticket, metadata: metadata, offsets: offsets)))
    }

    /// A fresh member id: `<instance id or client id>-<incarnation>-<n>`.
    mutating func generateMemberID(clientID: String, instanceID: GroupInstanceID?) -> MemberID {
        memberIDCounter += 1
        return MemberID("\(instanceID?.rawValue ?? clientID)-\(memberIDIncarnation)-\(memberIDCounter)")
    }

    /// Kafka's `validateCurrentMember`: a static member must be the current holder of its instance id, and the
    /// member id must be known.
    func validateCurrentMember(_ memberID: MemberID, instanceID: GroupInstanceID?) -> GroupErrorCode? {
        guard let group else { return .unknownMemberID }
        if let instanceID {
            guard let current = group.staticMemberID(instanceID) else { return .unknownMemberID }
            return current == memberID ? nil : .fencedInstanceID
        }
        return group.has(memberID) ? nil : .unknownMemberID
    }
}
