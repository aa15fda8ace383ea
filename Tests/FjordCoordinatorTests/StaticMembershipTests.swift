import FjordCoordinator
import FjordModel
import Testing

@Suite struct StaticMembershipTests {
    /// Two static members form a Stable group; returns their member ids.
    private func stableStaticGroup(_ h: inout GroupHarness) -> (MemberID, MemberID) {
        let a = h.join(GroupHarness.joinInput(client: "ca", instance: "ia"))
        let b = h.join(GroupHarness.joinInput(client: "cb", instance: "ib"))
        h.finishJoinPhase()
        let ma = h.joinOutcome(a)!.memberID
        let mb = h.joinOutcome(b)!.memberID
        #expect(ma == "ia-i-1" && mb == "ib-i-2", "static members skip MEMBER_ID_REQUIRED")
        h.sync(ma, generation: h.generation!, assignments: [ma: [1], mb: [2]], instance: "ia")
        h.sync(mb, generation: h.generation!, instance: "ib")
        h.completeWrites()
        #expect(h.state == .stable)
        return (ma, mb)
    }

    @Test func restartedStaticMemberTakesOverWithoutRebalance() {
        var h = GroupHarness()
        let (leader, follower) = stableStaticGroup(&h)
        let generation = h.generation!
        let rejoin = h.join(GroupHarness.joinInput(client: "cb", instance: "ib"))
        #expect(h.state == .stable && h.generation == generation, "no rebalance")
        #expect(h.joinOutcome(rejoin) == nil, "answered once the new member id is written")
        guard case .set(let record)? = h.pendingWrites.last?.metadata else {
            Issue.record("the replacement is persisted")
            return
        }
        let newID = MemberID("ib-i-3")
        #expect(record.members.map(\.memberID) == [leader.rawValue, newID.rawValue])
        #expect(record.members.map { Array($0.assignment) } == [[1], [2]], "assignments are kept")
        h.completeWrites()
        let outcome = h.joinOutcome(rejoin)!
        #expect(outcome.error == .none && outcome.memberID == newID && outcome.generation == generation)
        #expect(outcome.leader == leader && outcome.members.isEmpty)
        // The old incarnation is fenced; the new one syncs into the current assignment.
        #expect(h.heartbeat(follower, generation: generation, instance: "ib") == .fencedInstanceID)
        #expect(h.heartbeat(newID, generation: generation, instance: "ib") == GroupErrorCode.none)
        let sync = h.sync(newID, generation: generation, instance: "ib")
        #expect(h.syncOutcome(sync)?.assignment == [2])
        let zombieCommit = h.commit(
            OffsetCommitInput(
                memberID: follower, generation: generation, groupInstanceID: "ib",
                entries: [OffsetCommitEntry(partition: TopicPartition(topic: "t", partition: 0), offset: Offset(5))]))
        #expect(h.commitOutcome(zombieCommit)?.map(\.error) == [.fencedInstanceID])
    }

    @Test func restartedStaticLeaderKeepsOldLeaderIDInAnswer() {
        var h = GroupHarness()
        let (leader, _) = stableStaticGroup(&h)
        let rejoin = h.join(GroupHarness.joinInput(client: "ca", instance: "ia"))
        h.completeWrites()
        let outcome = h.joinOutcome(rejoin)!
        // The answer names the previous leader id, so the restarted leader does not run an assignment the Stable
        // group would ignore; the group itself now knows the new id as leader.
        #expect(outcome.leader == leader && outcome.memberID != leader)
        #expect(h.machine.group!.leader == outcome.memberID)
    }

    @Test func failedReplacementWriteRevertsToOldMemberID() {
        var h = GroupHarness()
        let (_, follower) = stableStaticGroup(&h)
        let generation = h.generation!
        let rejoin = h.join(GroupHarness.joinInput(client: "cb", instance: "ib"))
        h.completeWrites(error: .coordinatorNotAvailable)
        #expect(h.joinOutcome(rejoin)?.error == .coordinatorNotAvailable)
        #expect(h.joinOutcome(rejoin)?.memberID == .unknown)
        #expect(h.machine.group!.staticMemberID("ib") == follower)
        #expect(h.heartbeat(follower, generation: generation, instance: "ib") == GroupErrorCode.none)
    }

    @Test func staticRejoinWithNewProtocolRebalances() {
        var h = GroupHarness()
        _ = stableStaticGroup(&h)
        let offer = [GroupProtocol(name: "roundrobin", metadata: []), GroupProtocol(name: "range", metadata: [])]
        // roundrobin is not supported by the other member, so the choice stays "range": no rebalance.
        h.join(GroupHarness.joinInput(client: "cb", instance: "ib", protocols: offer))
        #expect(h.state == .stable)
        h.completeWrites()
        // A replacement that changes the vote (both now prefer roundrobin) does rebalance.
        h.join(GroupHarness.joinInput(client: "ca", instance: "ia", protocols: offer))
        #expect(h.state == .preparingRebalance)
    }

    @Test func replacementDuringCompletingRebalanceRestartsIt() {
        var h = GroupHarness()
        let (leader, follower) = stableStaticGroup(&h)
        // The leader rejoins (rebalance); the follower rejoins with its id, then its restarted incarnation arrives.
        h.join(GroupHarness.joinInput(leader, client: "ca", instance: "ia"))
        let oldJoin = h.join(GroupHarness.joinInput(follower, client: "cb", instance: "ib"))
        #expect(h.state == .completingRebalance)
        let newJoin = h.join(GroupHarness.joinInput(client: "cb", instance: "ib"))
        // Replacing a member during CompletingRebalance restarts the rebalance.
        #expect(h.state == .preparingRebalance)
        #expect(h.joinOutcome(oldJoin)?.error == GroupErrorCode.none)
        #expect(h.joinOutcome(newJoin) == nil)
        #expect(h.heartbeat(follower, generation: h.generation!, instance: "ib") == .fencedInstanceID)
    }

    @Test func parkedJoinOfOldIncarnationIsFenced() {
        var h = GroupHarness()
        let (_, follower) = stableStaticGroup(&h)
        // The follower rejoins with new metadata (rebalance; parked: the leader has not rejoined yet) …
        let changed = [GroupProtocol(name: "range", metadata: GroupHarness.subscription(["t", "u"]))]
        let oldJoin = h.join(GroupHarness.joinInput(follower, client: "cb", instance: "ib", protocols: changed))
        #expect(h.state == .preparingRebalance && h.joinOutcome(oldJoin) == nil)
        // … then a restarted incarnation with the same instance id arrives.
        let newJoin = h.join(GroupHarness.joinInput(client: "cb", instance: "ib"))
        #expect(h.joinOutcome(oldJoin)?.error == .fencedInstanceID)
        #expect(h.joinOutcome(oldJoin)?.memberID == follower)
        #expect(h.joinOutcome(newJoin) == nil)
        #expect(h.machine.group!.staticMemberID("ib") == "ib-i-3")
    }

    @Test func staticMemberRemovedByInstanceID() {
        var h = GroupHarness()
        let (_, follower) = stableStaticGroup(&h)
        let outcome = h.leave([LeavingMember(memberID: .unknown, groupInstanceID: "ib")])
        #expect(outcome?.members == [LeftMember(memberID: .unknown, groupInstanceID: "ib", error: .none)])
        #expect(!h.machine.group!.has(follower) && h.state == .preparingRebalance)
        let fenced = h.leave([LeavingMember(memberID: "other", groupInstanceID: "ia")])
        #expect(fenced?.members.map(\.error) == [.fencedInstanceID])
    }

    @Test func staticMembersThatDoNotRejoinStayInGroup() {
        var h = GroupHarness()
        let (leader, follower) = stableStaticGroup(&h)
        let generation = h.generation!
        let leaderJoin = h.join(GroupHarness.joinInput(leader, client: "ca", instance: "ia"))
        for _ in 0..<6 {
            h.advance(byMs: 5_000)
            _ = h.heartbeat(follower, generation: generation, instance: "ib")
        }
        // Unlike dynamic members, a static member that misses the rebalance is kept (it must sync in time).
        #expect(h.state == .completingRebalance)
        #expect(h.joinOutcome(leaderJoin)?.members.map(\.memberID) == [leader, follower])
    }
}
