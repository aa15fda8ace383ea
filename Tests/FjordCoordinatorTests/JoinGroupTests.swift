import FjordCoordinator
import FjordModel
import Testing

@Suite struct JoinGroupTests {
    @Test func firstJoinRequiresMemberID() {
        var h = GroupHarness()
        let first = h.join(GroupHarness.joinInput(client: "consumer-1"))
        let required = h.joinOutcome(first)!
        #expect(required.error == .memberIDRequired)
        #expect(required.memberID == "consumer-1-i-1")
        #expect(required.generation == .none && required.leader == .unknown && required.members.isEmpty)
        // The group exists but has only a pending member, whose id expires with its session timeout.
        #expect(h.state == .empty && h.machine.group!.pendingMembers == ["consumer-1-i-1"])
        #expect(h.armed[.pendingMember("consumer-1-i-1")] == TimestampMs(h.now.rawValue + 10_000))

        let second = h.join(GroupHarness.joinInput(required.memberID, client: "consumer-1"))
        #expect(h.joinOutcome(second) == nil, "parked until the initial delay ends")
        #expect(h.state == .preparingRebalance)
        #expect(h.armed[.pendingMember("consumer-1-i-1")] == nil)
        h.advance(byMs: 3_000)
        let joined = h.joinOutcome(second)!
        #expect(joined.error == .none && joined.generation == GenerationID(1))
        #expect(joined.memberID == required.memberID && joined.leader == required.memberID)
        #expect(joined.protocolType == "consumer" && joined.protocolName == "range")
        #expect(joined.members.map(\.memberID) == [required.memberID])
        #expect(h.state == .completingRebalance)
    }

    @Test func oldClientsJoinWithoutMemberIDRequired() {
        var h = GroupHarness()
        let token = h.join(GroupHarness.joinInput(requireKnownMemberID: false))
        #expect(h.joinOutcome(token) == nil)
        h.advance(byMs: 3_000)
        #expect(h.joinOutcome(token)?.error == GroupErrorCode.none)
        #expect(h.joinOutcome(token)?.memberID == "c-i-1")
    }

    @Test func delayedInitialRebalanceGathersThreeMembers() {
        var h = GroupHarness()
        let start = h.now
        let (m1, t1) = h.joinNewDynamicMember(client: "a")
        h.advance(byMs: 1_000)
        let (m2, t2) = h.joinNewDynamicMember(client: "b")
        h.advance(byMs: 1_000)
        let (m3, t3) = h.joinNewDynamicMember(client: "c")
        // At 3 s the delay is extended once (members joined during it), by another 3 s.
        h.advance(byMs: 1_000)
        #expect(h.state == .preparingRebalance && h.armed[.join] == TimestampMs(start.rawValue + 6_000))
        #expect([t1, t2, t3].allSatisfy { h.joinOutcome($0) == nil })
        h.advance(byMs: 3_000)

        let outcomes = [t1, t2, t3].map { h.joinOutcome($0)! }
        #expect(outcomes.allSatisfy { $0.error == .none && $0.generation == GenerationID(1) && $0.leader == m1 })
        #expect(outcomes.map(\.memberID) == [m1, m2, m3])
        #expect(outcomes[0].members.map(\.memberID) == [m1, m2, m3], "the leader gets every member")
        #expect(outcomes[0].members.allSatisfy { $0.metadata == GroupHarness.subscription(["t"]) })
        #expect(outcomes[1].members.isEmpty && outcomes[2].members.isEmpty)
        #expect(h.transitions == [.preparingRebalance, .completingRebalance])
        #expect(h.armed[.sync] != nil && h.armed[.join] == nil)
        #expect(h.machine.group!.pendingSyncMembers == [m1, m2, m3])
    }

    @Test func initialDelayIsCappedByRebalanceTimeout() {
        // Rebalance timeout 5 s, delay 3 s: the second wait is only what is left of the timeout (2 s).
        var h = GroupHarness()
        let start = h.now
        let first = h.join(GroupHarness.joinInput(rebalanceTimeoutMs: 5_000, requireKnownMemberID: false))
        h.advance(byMs: 2_000)
        h.join(GroupHarness.joinInput(client: "d", rebalanceTimeoutMs: 5_000, requireKnownMemberID: false))
        h.advance(byMs: 1_000)
        #expect(h.armed[.join] == TimestampMs(start.rawValue + 5_000))
        h.advance(byMs: 1_000)
        h.join(GroupHarness.joinInput(client: "e", rebalanceTimeoutMs: 5_000, requireKnownMemberID: false))
        h.advance(byMs: 1_000)
        #expect(h.joinOutcome(first)?.generation == GenerationID(1))
        #expect(h.machine.group!.size == 3)
    }

    @Test func joinedMembersDoNotEndTheInitialDelayEarly() {
        var h = GroupHarness()
        let (_, token) = h.joinNewDynamicMember()
        h.advance(byMs: 2_999)
        #expect(h.joinOutcome(token) == nil)
        h.advance(byMs: 1)
        #expect(h.joinOutcome(token)?.error == GroupErrorCode.none)
    }

    @Test func sessionTimeoutOutsideBoundsIsRejected() {
        var config = GroupHarness.defaultConfig
        config.minSessionTimeoutMs = 100
        config.maxSessionTimeoutMs = 1_000
        var h = GroupHarness(config: config)
        let low = h.join(GroupHarness.joinInput(sessionTimeoutMs: 99))
        let high = h.join(GroupHarness.joinInput(sessionTimeoutMs: 1_001))
        let ok = h.join(GroupHarness.joinInput(sessionTimeoutMs: 100))
        #expect(h.joinOutcome(low)?.error == .invalidSessionTimeout)
        #expect(h.joinOutcome(high)?.error == .invalidSessionTimeout)
        #expect(h.joinOutcome(ok)?.error == .memberIDRequired)
    }

    @Test func knownMemberIDForUnknownGroupIsRejected() {
        var h = GroupHarness()
        let token = h.join(GroupHarness.joinInput("stale-member"))
        #expect(h.joinOutcome(token)?.error == .unknownMemberID)
        #expect(h.machine.group == nil, "only a first join creates the group")
    }

    @Test func inconsistentProtocolsAreRejected() {
        var h = GroupHarness()
        _ = h.joinNewDynamicMember(protocols: [GroupProtocol(name: "range", metadata: [])])
        let otherType = h.join(GroupHarness.joinInput(protocolType: "connect"))
        let noCommon = h.join(
            GroupHarness.joinInput(protocols: [GroupProtocol(name: "roundrobin", metadata: [])]))
        let empty = h.join(GroupHarness.joinInput(protocols: []))
        #expect(h.joinOutcome(otherType)?.error == .inconsistentGroupProtocol)
        #expect(h.joinOutcome(noCommon)?.error == .inconsistentGroupProtocol)
        #expect(h.joinOutcome(empty)?.error == .inconsistentGroupProtocol)
        var fresh = GroupHarness()
        let emptyType = fresh.join(GroupHarness.joinInput(protocolType: ""))
        #expect(fresh.joinOutcome(emptyType)?.error == .inconsistentGroupProtocol)
    }

    @Test func protocolIsChosenByVotesAmongCommonOnes() {
        var h = GroupHarness()
        func offer(_ names: [String]) -> [GroupProtocol] {
            names.map { GroupProtocol(name: $0, metadata: Array($0.utf8)) }
        }
        // "sticky" is not supported by everyone; of the common ones, "roundrobin" has two first choices.
        let (leader, token) = h.joinNewDynamicMember(client: "a", protocols: offer(["sticky", "range", "roundrobin"]))
        _ = h.joinNewDynamicMember(client: "b", protocols: offer(["roundrobin", "range"]))
        _ = h.joinNewDynamicMember(client: "c", protocols: offer(["roundrobin", "range", "sticky"]))
        h.finishJoinPhase()
        let outcome = h.joinOutcome(token)!
        #expect(outcome.memberID == leader && outcome.protocolName == "roundrobin")
        #expect(outcome.members.map(\.metadata) == Array(repeating: Array("roundrobin".utf8), count: 3))
    }

    @Test func protocolVoteTieGoesToEarliestMember() {
        var h = GroupHarness()
        let offerA = [GroupProtocol(name: "a", metadata: []), GroupProtocol(name: "b", metadata: [])]
        let offerB = [GroupProtocol(name: "b", metadata: []), GroupProtocol(name: "a", metadata: [])]
        let (_, token) = h.joinNewDynamicMember(client: "x", protocols: offerB)
        _ = h.joinNewDynamicMember(client: "y", protocols: offerA)
        h.finishJoinPhase()
        #expect(h.joinOutcome(token)?.protocolName == "b")
    }

    @Test func groupMaxSizeTurnsAwayExtraMembers() {
        var config = GroupHarness.defaultConfig
        config.maxGroupSize = 2
        var h = GroupHarness(config: config)
        _ = h.joinNewDynamicMember(client: "a")
        _ = h.joinNewDynamicMember(client: "b")
        let third = h.join(GroupHarness.joinInput(client: "c", requireKnownMemberID: false))
        #expect(h.joinOutcome(third)?.error == .groupMaxSizeReached)
        #expect(h.joinOutcome(third)?.memberID == .unknown)
        #expect(h.machine.group!.size == 2)
    }

    @Test func stableFollowerRejoiningWithSameMetadataGetsCurrentGeneration() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 2)
        let token = h.join(GroupHarness.joinInput(members[1], client: "c1"))
        let outcome = h.joinOutcome(token)!
        #expect(outcome.error == .none && outcome.generation == h.generation && outcome.leader == members[0])
        #expect(outcome.members.isEmpty && h.state == .stable)
    }

    @Test func stableLeaderRejoiningStartsRebalance() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 2)
        let generation = h.generation!
        let leaderJoin = h.join(GroupHarness.joinInput(members[0], client: "c0"))
        #expect(h.state == .preparingRebalance && h.joinOutcome(leaderJoin) == nil)
        #expect(h.heartbeat(members[1], generation: generation) == .rebalanceInProgress)
        let followerJoin = h.join(GroupHarness.joinInput(members[1], client: "c1"))
        // Everyone rejoined: the join phase ends at once, without waiting for the rebalance timeout.
        #expect(h.state == .completingRebalance && h.generation == generation.next())
        #expect(h.joinOutcome(leaderJoin)?.members.count == 2 && h.joinOutcome(followerJoin)?.members == [])
    }

    @Test func followerWithNewMetadataStartsRebalance() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 2)
        let changed = [GroupProtocol(name: "range", metadata: GroupHarness.subscription(["t", "u"]))]
        let token = h.join(GroupHarness.joinInput(members[1], client: "c1", protocols: changed))
        #expect(h.joinOutcome(token) == nil && h.state == .preparingRebalance)
    }

    @Test func retriedJoinDuringCompletingRebalanceIsAnsweredFromCurrentGeneration() {
        var h = GroupHarness()
        let (leader, _) = h.joinNewDynamicMember(client: "a")
        let (follower, _) = h.joinNewDynamicMember(client: "b")
        h.finishJoinPhase()
        #expect(h.state == .completingRebalance)
        let retryLeader = h.join(GroupHarness.joinInput(leader, client: "a"))
        let retryFollower = h.join(GroupHarness.joinInput(follower, client: "b"))
        #expect(h.joinOutcome(retryLeader)?.members.count == 2)
        #expect(h.joinOutcome(retryFollower)?.members == [])
        #expect(h.state == .completingRebalance && h.generation == GenerationID(1))
    }

    @Test func supersededJoinIsAnswered() {
        var h = GroupHarness()
        let (member, first) = h.joinNewDynamicMember()
        let second = h.join(GroupHarness.joinInput(member))
        #expect(h.joinOutcome(first)?.error == .rebalanceInProgress)
        h.advance(byMs: 3_000)
        #expect(h.joinOutcome(second)?.error == GroupErrorCode.none)
    }

    @Test func pendingMemberExpiresAfterSessionTimeout() {
        var h = GroupHarness()
        let first = h.join(GroupHarness.joinInput())
        let pending = h.joinOutcome(first)!.memberID
        h.advance(byMs: 10_000)
        #expect(h.machine.group!.pendingMembers.isEmpty)
        let late = h.join(GroupHarness.joinInput(pending))
        #expect(h.joinOutcome(late)?.error == .unknownMemberID, "the group is Empty: a stale id is unknown")
    }

    @Test func pendingMemberHoldsBackRebalanceCompletionUntilItJoinsOrExpires() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 1)
        // A newcomer got its id but has not rejoined; the leader rejoins. The join phase waits for the pending one.
        let first = h.join(GroupHarness.joinInput(client: "new"))
        let pending = h.joinOutcome(first)!.memberID
        let leaderJoin = h.join(GroupHarness.joinInput(members[0], client: "c0"))
        #expect(h.state == .preparingRebalance && h.joinOutcome(leaderJoin) == nil)
        h.advance(byMs: 10_000)
        #expect(h.machine.group!.pendingMembers.isEmpty)
        #expect(h.joinOutcome(leaderJoin)?.members.map(\.memberID) == [members[0]])
        #expect(pending != members[0])
    }

    @Test func newMemberThatNeverCompletesItsJoinIsDropped() {
        var config = GroupHarness.defaultConfig
        config.newMemberJoinTimeoutMs = 20_000
        var h = GroupHarness(config: config)
        let members = h.stableGroup(count: 1)
        // The leader keeps heartbeating but never rejoins, so the rebalance would take its full 30 s timeout; the
        // new member's JoinGroup may only wait 20 s.
        let generation = h.generation!
        let (newcomer, token) = h.joinNewDynamicMember(client: "new")
        #expect(h.state == .preparingRebalance)
        for _ in 0..<4 {
            h.advance(byMs: 5_000)
            #expect(h.heartbeat(members[0], generation: generation) == .rebalanceInProgress)
        }
        #expect(h.joinOutcome(token)?.error == .unknownMemberID)
        #expect(!h.machine.group!.has(newcomer) && h.state == .preparingRebalance)
    }
}
