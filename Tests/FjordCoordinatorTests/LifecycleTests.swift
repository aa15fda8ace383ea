import FjordCoordinator
import FjordModel
import Testing

@Suite struct LifecycleTests {
    let t0 = TopicPartition(topic: "t", partition: 0)

    @Test func groupBecomesEmptyThenDeadOnDeletion() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 1)
        h.commit(
            OffsetCommitInput(
                memberID: members[0], generation: h.generation!,
                entries: [OffsetCommitEntry(partition: t0, offset: Offset(4))]))
        h.completeWrites()
        let busy = h.delete()
        #expect(h.deleteOutcome(busy) == .nonEmptyGroup)
        _ = h.leave([LeavingMember(memberID: members[0])])
        #expect(h.state == .empty)
        h.completeWrites()
        let token = h.delete()
        #expect(h.transitions.suffix(2) == [.empty, .dead] && h.log.last == .groupRemoved)
        #expect(h.machine.group == nil)
        #expect(h.pendingWrites.last?.metadata == .delete && h.pendingWrites.last?.offsets == .delete)
        #expect(h.deleteOutcome(token) == nil, "answered once the znodes are gone")
        h.completeWrites()
        #expect(h.deleteOutcome(token) == GroupErrorCode.none)
        #expect(h.machine.fetchOffsets([t0]).partitions == [.missing(t0)])
        #expect(h.machine.describe().state == "Dead")
        let again = h.delete()
        #expect(h.deleteOutcome(again) == .groupIDNotFound)
        // The machine can host a new incarnation of the group.
        let commit = h.commit(
            OffsetCommitInput(entries: [
                OffsetCommitEntry(partition: TopicPartition(topic: "v", partition: 0), offset: Offset(1))
            ]))
        guard case .set(let record)? = h.pendingWrites.last?.offsets else {
            Issue.record("offsets write")
            return
        }
        #expect(record.offsets.keys.sorted() == ["v"], "nothing of the deleted incarnation is written back")
        h.completeWrites()
        #expect(h.commitOutcome(commit)?.map(\.error) == [GroupErrorCode.none])
    }

    @Test func describeAndOverview() {
        var h = GroupHarness()
        #expect(
            h.machine.describe()
                == GroupDescription(
                    groupID: "g", error: .none, state: "Dead", protocolType: "", protocolName: "", members: []))
        #expect(h.machine.overview == nil)
        let (member, _) = h.joinNewDynamicMember(client: "cl")
        let preparing = h.machine.describe()
        #expect(preparing.state == "PreparingRebalance" && preparing.protocolName == "")
        #expect(preparing.members.map(\.metadata) == [[]], "metadata only when Stable")
        h.finishJoinPhase()
        h.sync(member, generation: h.generation!, assignments: [member: [7]])
        h.completeWrites()
        let stable = h.machine.describe()
        #expect(stable.state == "Stable" && stable.protocolType == "consumer" && stable.protocolName == "range")
        #expect(
            stable.members == [
                DescribedMember(
                    memberID: member, groupInstanceID: nil, clientID: "cl", clientHost: "/127.0.0.1",
                    metadata: GroupHarness.subscription(["t"]), assignment: [7])
            ])
        #expect(h.machine.overview == GroupOverview(groupID: "g", protocolType: "consumer", state: .stable))
    }

    @Test func unloadAnswersEveryParkedRequest() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 3)
        let generation = h.generation!
        // Parked: the leader's JoinGroup (rebalance), then an offset commit in flight.
        let join = h.join(GroupHarness.joinInput(members[0], client: "c0"))
        let commit = h.commit(
            OffsetCommitInput(
                memberID: members[1], generation: generation,
                entries: [OffsetCommitEntry(partition: t0, offset: Offset(1))]))
        h.absorb(h.machine.unload(now: h.now))
        #expect(h.joinOutcome(join)?.error == .notCoordinator)
        #expect(h.commitOutcome(commit)?.map(\.error) == [.notCoordinator])
        #expect(h.armed.isEmpty && h.state == .dead && h.machine.isUnloaded)
        #expect(Set(h.answers.keys) == h.issued, "every token answered")
        // Late completions and requests after unload.
        h.completeWrites()
        #expect(h.heartbeat(members[1], generation: generation) == .notCoordinator)
        let late = h.join(GroupHarness.joinInput(client: "x"))
        #expect(h.joinOutcome(late)?.error == .notCoordinator)
        #expect(h.machine.fetchOffsets([t0]).error == .notCoordinator)
    }

    @Test func unloadDuringCompletingRebalanceFailsParkedSyncs() {
        var h = GroupHarness()
        let (m1, _) = h.joinNewDynamicMember(client: "a")
        let (m2, _) = h.joinNewDynamicMember(client: "b")
        h.finishJoinPhase()
        let s2 = h.sync(m2, generation: h.generation!)
        let s1 = h.sync(m1, generation: h.generation!, assignments: [m1: [1]])
        h.absorb(h.machine.unload(now: h.now))
        #expect(h.syncOutcome(s1) == .failure(.notCoordinator) && h.syncOutcome(s2) == .failure(.notCoordinator))
        h.completeWrites()
        #expect(h.state == .dead)
    }

    @Test func loadRestoresStableGroupAndExpectsHeartbeats() throws {
        var original = GroupHarness()
        let members = original.stableGroup(count: 2)
        original.commit(
            OffsetCommitInput(
                memberID: members[0], generation: original.generation!,
                entries: [OffsetCommitEntry(partition: t0, offset: Offset(42), metadata: "md")]))
        guard
            case .set(let metadata)? = original.log.compactMap({ directive -> GroupWrite? in
                if case .persist(let write) = directive, write.metadata != nil { return write }
                return nil
            }).last?.metadata, case .set(let offsets)? = original.pendingWrites.last?.offsets
        else {
            Issue.record("records written")
            return
        }
        // Through JSON, as ZooKeeper would hold them.
        let metadataBack = try ZNodeJSONRoundTrip.roundTrip(metadata)
        let offsetsBack = try ZNodeJSONRoundTrip.roundTrip(offsets)

        var h = GroupHarness()
        h.absorb(try h.machine.load(metadata: metadataBack, offsets: offsetsBack, now: h.now))
        #expect(h.state == .stable && h.generation == original.generation)
        #expect(h.machine.group!.leader == members[0] && h.machine.group!.memberIDs == members)
        #expect(h.machine.group!.subscribedTopics == ["t"])
        #expect(h.machine.fetchOffsets([t0]).partitions.first?.metadata == "md")
        #expect(Set(h.armed.keys) == Set(members.map { GroupTimerKey.heartbeat($0) }))
        // Members sync into their stored assignment; a member that never heartbeats is dropped.
        let sync = h.sync(members[1], generation: h.generation!)
        #expect(h.syncOutcome(sync)?.assignment == [1])
        h.advance(byMs: 5_000)
        #expect(h.heartbeat(members[1], generation: h.generation!) == GroupErrorCode.none)
        h.advance(byMs: 5_000)
        #expect(h.state == .preparingRebalance && !h.machine.group!.has(members[0]))
    }

    @Test func loadOfEmptyRecordsHasNoGroup() throws {
        var h = GroupHarness()
        h.absorb(try h.machine.load(metadata: nil, offsets: nil, now: h.now))
        #expect(h.machine.group == nil)
        var offsetsOnly = GroupHarness()
        let record = GroupOffsetsRecord([t0: CommittedOffset(offset: Offset(3), commitTimestamp: TimestampMs(1))])
        offsetsOnly.absorb(try offsetsOnly.machine.load(metadata: nil, offsets: record, now: offsetsOnly.now))
        #expect(offsetsOnly.state == .empty && offsetsOnly.machine.group?.protocolType == nil)
        #expect(offsetsOnly.machine.fetchOffsets(nil).partitions.map(\.offset) == [Offset(3)])
    }

    /// A seeded random walk over every event, checking after each step (in the harness) that timers agree and no
    /// token is answered twice, and at the end that unloading answers everything still parked.
    @Test(arguments: 0..<40) func randomEventsKeepInvariants(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var config = GroupHarness.defaultConfig
        config.maxGroupSize = 4
        var h = GroupHarness(config: config)
        var known: [MemberID] = []
        let instances: [GroupInstanceID?] = [nil, nil, "s1", "s2"]
        for _ in 0..<300 {
            let generation = h.generation ?? GenerationID(0)
            let member = known.isEmpty ? MemberID.unknown : known[Int(random.next() % UInt64(known.count))]
            switch random.next() % 11 {
            case 0, 1:
                let instance = instances[Int(random.next() % 4)]
                let token = h.join(GroupHarness.joinInput(client: "c", instance: instance))
                if let id = h.joinOutcome(token)?.memberID, !id.isUnknown { known.append(id) }
            case 2:
                let token = h.join(
                    GroupHarness.joinInput(
                        member,
                        protocols: random.next() % 4 == 0
                            ? [GroupProtocol(name: "range", metadata: [1])]
                            : [GroupProtocol(name: "range", metadata: GroupHarness.subscription(["t"]))]))
                if let id = h.joinOutcome(token)?.memberID, !id.isUnknown { known.append(id) }
            case 3:
                let leader = h.machine.group?.leader
                let syncing = leader != nil && random.next() % 2 == 0 ? leader! : member
                h.sync(syncing, generation: generation, assignments: leader == syncing ? [syncing: [1]] : [:])
            case 4: for id in h.machine.group?.memberIDs ?? [] { _ = h.heartbeat(id, generation: generation) }
            case 5: if random.next() % 4 == 0 { _ = h.leave([LeavingMember(memberID: member)]) }
            case 6:
                h.commit(
                    OffsetCommitInput(
                        memberID: random.next() % 3 == 0 ? .unknown : member,
                        generation: random.next() % 3 == 0 ? .none : generation,
                        entries: [OffsetCommitEntry(partition: t0, offset: Offset(Int64(random.next() % 100)))]))
            case 7: h.advance(byMs: Int64(random.next() % (random.next() % 5 == 0 ? 40_000 : 4_000)))
            case 8: h.completeWrites(error: random.next() % 8 == 0 ? .coordinatorNotAvailable : .none)
            case 9: if random.next() % 10 == 0 { h.delete() }
            default: h.absorb(h.machine.expireOffsets(now: h.now))
            }
        }
        h.completeWrites()
        h.absorb(h.machine.unload(now: h.now))
        #expect(Set(h.answers.keys) == h.issued, "every token answered exactly once")
        #expect(h.armed.isEmpty)
    }
}

/// Encodes and decodes a record as JSON, as it travels through ZooKeeper.
enum ZNodeJSONRoundTrip {
    static func roundTrip<T: Codable>(_ value: T) throws -> T {
        try ZNodeJSONBridge.decode(T.self, ZNodeJSONBridge.encode(value))
    }
}

/// A tiny deterministic generator for the random walk.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
