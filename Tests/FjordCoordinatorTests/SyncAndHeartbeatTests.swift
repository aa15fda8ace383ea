import FjordCoordinator
import FjordModel
import Testing

@Suite struct SyncAndHeartbeatTests {
    @Test func leaderAssignmentReachesEveryMemberOnceWritten() {
        var h = GroupHarness()
        let (m1, _) = h.joinNewDynamicMember(client: "a")
        let (m2, _) = h.joinNewDynamicMember(client: "b")
        let (m3, _) = h.joinNewDynamicMember(client: "c")
        h.finishJoinPhase()
        let generation = h.generation!
        let followerSync = h.sync(m2, generation: generation)
        #expect(h.syncOutcome(followerSync) == nil, "followers wait for the leader")
        // The leader omits m3: it gets an empty assignment.
        let leaderSync = h.sync(m1, generation: generation, assignments: [m1: [1], m2: [2]])
        #expect(h.pendingWrites.count == 1 && h.state == .completingRebalance)
        guard case .set(let record)? = h.pendingWrites.first?.metadata else {
            Issue.record("the assignment is persisted as group metadata")
            return
        }
        #expect(record.generation == generation.rawValue && record.leader == m1.rawValue)
        #expect(record.protocolName == "range" && record.state == "Stable")
        #expect(record.members.map { Array($0.assignment) } == [[1], [2], []])
        #expect(h.syncOutcome(leaderSync) == nil, "the assignment takes effect only once written")
        h.completeWrites()
        #expect(h.state == .stable)
        #expect(
            h.syncOutcome(leaderSync)
                == SyncGroupOutcome(error: .none, protocolType: "consumer", protocolName: "range", assignment: [1]))
        #expect(h.syncOutcome(followerSync)?.assignment == [2])
        // A late follower gets its assignment at once.
        let lateSync = h.sync(m3, generation: generation)
        #expect(
            h.syncOutcome(lateSync)
                == SyncGroupOutcome(error: .none, protocolType: "consumer", protocolName: "range", assignment: []))
        #expect(h.armed[.sync] == nil, "every member synced")
        #expect(h.machine.describe().members.map(\.assignment) == [[1], [2], []])
    }

    @Test func syncValidation() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 1)
        let generation = h.generation!
        let wrongGeneration = h.sync(members[0], generation: generation.next())
        let unknown = h.sync("nobody", generation: generation)
        #expect(h.syncOutcome(wrongGeneration)?.error == .illegalGeneration)
        #expect(h.syncOutcome(unknown)?.error == .unknownMemberID)
        let token = h.token()
        h.absorb(
            h.machine.syncGroup(
                SyncGroupInput(memberID: members[0], generation: generation, protocolName: "roundrobin"), token: token,
                now: h.now))
        #expect(h.syncOutcome(token)?.error == .inconsistentGroupProtocol)
        var empty = GroupHarness()
        let noGroup = empty.sync("m", generation: GenerationID(1))
        #expect(empty.syncOutcome(noGroup)?.error == .unknownMemberID)
    }

    @Test func syncDuringPreparingRebalanceAsksToRejoin() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 2)
        let generation = h.generation!
        h.join(GroupHarness.joinInput(members[0], client: "c0"))
        let sync = h.sync(members[1], generation: generation)
        #expect(h.syncOutcome(sync)?.error == .rebalanceInProgress)
    }

    @Test func failedAssignmentWriteFailsSyncsAndRestartsRebalance() {
        var h = GroupHarness()
        let (m1, _) = h.joinNewDynamicMember(client: "a")
        let (m2, _) = h.joinNewDynamicMember(client: "b")
        h.finishJoinPhase()
        let generation = h.generation!
        let s2 = h.sync(m2, generation: generation)
        let s1 = h.sync(m1, generation: generation, assignments: [m1: [1], m2: [2]])
        h.completeWrites(error: .coordinatorNotAvailable)
        #expect(h.syncOutcome(s1) == .failure(.coordinatorNotAvailable))
        #expect(h.syncOutcome(s2) == .failure(.coordinatorNotAvailable))
        #expect(h.state == .preparingRebalance)
        #expect(h.machine.group!.members.allSatisfy { $0.assignment.isEmpty })
    }

    @Test func heartbeatAnswersFollowTheState() {
        var h = GroupHarness()
        let (m1, _) = h.joinNewDynamicMember(client: "a")
        #expect(h.heartbeat(m1, generation: GenerationID(0)) == .rebalanceInProgress)
        h.finishJoinPhase()
        #expect(h.heartbeat(m1, generation: GenerationID(1)) == GroupErrorCode.none, "CompletingRebalance")
        #expect(h.heartbeat(m1, generation: GenerationID(0)) == .illegalGeneration)
        #expect(h.heartbeat("ghost", generation: GenerationID(1)) == .unknownMemberID)
        h.sync(m1, generation: GenerationID(1), assignments: [m1: [9]])
        h.completeWrites()
        #expect(h.heartbeat(m1, generation: GenerationID(1)) == GroupErrorCode.none)
        // A new member's arrival puts the group into a rebalance: heartbeats say so.
        h.join(GroupHarness.joinInput(client: "b", requireKnownMemberID: false))
        #expect(h.state == .preparingRebalance)
        #expect(h.heartbeat(m1, generation: GenerationID(1)) == .rebalanceInProgress)
        var none = GroupHarness()
        #expect(none.heartbeat("m", generation: GenerationID(1)) == .unknownMemberID)
    }

    @Test func heartbeatsKeepSessionAlive() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 1)
        for _ in 0..<10 {
            h.advance(byMs: 9_000)
            #expect(h.heartbeat(members[0], generation: h.generation!) == GroupErrorCode.none)
        }
        #expect(h.state == .stable)
    }

    @Test func sessionExpiryTriggersRebalance() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 2)
        let generation = h.generation!
        // members[1] stops heartbeating; members[0] keeps going and rejoins when told.
        h.advance(byMs: 6_000)
        #expect(h.heartbeat(members[0], generation: generation) == GroupErrorCode.none)
        h.advance(byMs: 4_000)
        #expect(!h.machine.group!.has(members[1]))
        #expect(h.state == .preparingRebalance)
        #expect(h.heartbeat(members[0], generation: generation) == .rebalanceInProgress)
        let rejoin = h.join(GroupHarness.joinInput(members[0], client: "c0"))
        #expect(h.state == .completingRebalance, "the only member rejoined: no need to wait")
        #expect(h.joinOutcome(rejoin)?.generation == generation.next())
        #expect(h.joinOutcome(rejoin)?.members.map(\.memberID) == [members[0]])
    }

    @Test func leaderSessionExpiryElectsNewLeader() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 2)
        let generation = h.generation!
        h.advance(byMs: 6_000)
        #expect(h.heartbeat(members[1], generation: generation) == GroupErrorCode.none)
        h.advance(byMs: 4_000)
        #expect(h.machine.group!.leader == members[1])
        let rejoin = h.join(GroupHarness.joinInput(members[1], client: "c1"))
        #expect(h.joinOutcome(rejoin)?.leader == members[1])
    }

    @Test func memberLeavingTriggersRebalance() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 2)
        let outcome = h.leave([LeavingMember(memberID: members[1])])
        #expect(
            outcome
                == LeaveGroupOutcome(
                    error: .none, members: [LeftMember(memberID: members[1], groupInstanceID: nil, error: .none)]))
        #expect(h.state == .preparingRebalance && !h.machine.group!.has(members[1]))
        #expect(h.armed[.heartbeat(members[1])] == nil)
        let unknown = h.leave([
            LeavingMember(memberID: "ghost"), LeavingMember(memberID: .unknown, groupInstanceID: "nope"),
        ])
        #expect(unknown?.members.map(\.error) == [.unknownMemberID, .unknownMemberID])
        var none = GroupHarness()
        #expect(none.leave([LeavingMember(memberID: "m")])?.members.map(\.error) == [.unknownMemberID])
    }

    @Test func lastMemberLeavingEmptiesGroup() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 1)
        let generation = h.generation!
        _ = h.leave([LeavingMember(memberID: members[0])])
        // PreparingRebalance with nobody left: the join phase completes at once and the group is Empty.
        #expect(h.state == .empty && h.generation == generation.next())
        #expect(h.transitions.suffix(2) == [.preparingRebalance, .empty])
        guard case .set(let record)? = h.pendingWrites.last?.metadata else {
            Issue.record("the empty generation is written")
            return
        }
        #expect(record.members.isEmpty && record.state == "Empty" && record.protocolName == nil)
        #expect(h.armed.isEmpty)
    }

    @Test func pendingMemberMayLeave() {
        var h = GroupHarness()
        let first = h.join(GroupHarness.joinInput())
        let pending = h.joinOutcome(first)!.memberID
        #expect(h.leave([LeavingMember(memberID: pending)])?.members.map(\.error) == [GroupErrorCode.none])
        #expect(h.machine.group!.pendingMembers.isEmpty && h.armed.isEmpty)
    }

    @Test func rebalanceTimeoutRemovesMembersThatDidNotRejoin() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 3)
        let generation = h.generation!
        // The leader rejoins; the other two stay alive with heartbeats but never rejoin.
        let leaderJoin = h.join(GroupHarness.joinInput(members[0], client: "c0"))
        for _ in 0..<5 {
            h.advance(byMs: 5_000)
            #expect(h.heartbeat(members[1], generation: generation) == .rebalanceInProgress)
            #expect(h.heartbeat(members[2], generation: generation) == .rebalanceInProgress)
        }
        #expect(h.state == .preparingRebalance)
        h.advance(byMs: 5_000)
        // 30 s rebalance timeout: the two that never rejoined are out.
        #expect(h.state == .completingRebalance)
        #expect(h.joinOutcome(leaderJoin)?.members.map(\.memberID) == [members[0]])
        #expect(h.heartbeat(members[1], generation: generation) == .unknownMemberID)
        #expect(h.heartbeat(members[2], generation: generation.next()) == .unknownMemberID)
    }

    @Test func membersThatNeverSyncAreRemoved() {
        var h = GroupHarness()
        let (m1, _) = h.joinNewDynamicMember(client: "a")
        let (m2, _) = h.joinNewDynamicMember(client: "b")
        h.finishJoinPhase()
        let generation = h.generation!
        // Only the follower syncs, and keeps heartbeating; the leader never sends SyncGroup.
        let followerSync = h.sync(m2, generation: generation)
        for _ in 0..<5 {
            h.advance(byMs: 5_000)
            _ = h.heartbeat(m2, generation: generation)
        }
        h.advance(byMs: 5_000)
        #expect(!h.machine.group!.has(m1), "the leader never synced within the rebalance timeout")
        #expect(h.syncOutcome(followerSync)?.error == .rebalanceInProgress)
        #expect(h.state == .preparingRebalance)
    }

    @Test func staleTimerFiringIsIgnored() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 1)
        let deadline = h.armed[.heartbeat(members[0])]!
        h.advance(byMs: 5_000)
        _ = h.heartbeat(members[0], generation: h.generation!)
        // The shell's timer for the old deadline fires late: it was re-armed, so nothing happens.
        #expect(
            h.machine.timerFired(.heartbeat(members[0]), now: deadline) == [
                .scheduleTimer(.heartbeat(members[0]), deadline: h.armed[.heartbeat(members[0])]!)
            ])
        #expect(h.machine.timerFired(.join, now: h.now) == [])
        #expect(h.state == .stable && h.machine.group!.has(members[0]))
    }
}
