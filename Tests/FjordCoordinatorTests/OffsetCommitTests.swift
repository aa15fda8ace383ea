import FjordCoordinator
import FjordModel
import Testing

@Suite struct OffsetCommitTests {
    let t0 = TopicPartition(topic: "t", partition: 0)
    let t1 = TopicPartition(topic: "t", partition: 1)
    let u0 = TopicPartition(topic: "u", partition: 0)

    func entries(_ offsets: [(TopicPartition, Int64)], metadata: String? = nil) -> [OffsetCommitEntry] {
        offsets.map {
            OffsetCommitEntry(partition: $0.0, offset: Offset($0.1), leaderEpoch: LeaderEpoch(3), metadata: metadata)
        }
    }

    @Test func simpleConsumerCommitCreatesEmptyGroup() {
        var h = GroupHarness()
        let token = h.commit(OffsetCommitInput(entries: entries([(t0, 10), (t1, 20)], metadata: "m")))
        #expect(h.state == .empty && h.machine.group!.protocolType == nil)
        #expect(h.commitOutcome(token) == nil, "answered once written")
        guard case .set(let record)? = h.pendingWrites.first?.offsets, h.pendingWrites.first?.metadata == nil else {
            Issue.record("one offsets write, nothing else")
            return
        }
        #expect(record.offsets["t"]?["0"]?.offset == 10 && record.offsets["t"]?["1"]?.metadata == "m")
        #expect(record.offsets["t"]?["0"]?.commitTimestamp == h.now.rawValue)
        // Not visible before the write completes.
        #expect(h.machine.fetchOffsets([t0]).partitions == [.missing(t0)])
        h.completeWrites()
        #expect(h.commitOutcome(token) == [PartitionResult(t0, .none), PartitionResult(t1, .none)])
        #expect(
            h.machine.fetchOffsets([t0, u0]).partitions == [
                FetchedOffset(
                    partition: t0, offset: Offset(10), leaderEpoch: LeaderEpoch(3), metadata: "m", error: .none),
                .missing(u0),
            ])
    }

    @Test func zombieCommitsAfterRebalanceAreFenced() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 2)
        let oldGeneration = h.generation!
        // members[1] is presumed dead (no heartbeats) and removed; the group moves to the next generation.
        h.advance(byMs: 6_000)
        _ = h.heartbeat(members[0], generation: oldGeneration)
        h.advance(byMs: 4_000)
        h.join(GroupHarness.joinInput(members[0], client: "c0"))
        h.sync(members[0], generation: oldGeneration.next(), assignments: [members[0]: [0]])
        h.completeWrites()
        #expect(h.state == .stable && h.generation == oldGeneration.next())

        let removedZombie = h.commit(
            OffsetCommitInput(memberID: members[1], generation: oldGeneration, entries: entries([(t0, 5)])))
        let staleGeneration = h.commit(
            OffsetCommitInput(memberID: members[0], generation: oldGeneration, entries: entries([(t0, 5)])))
        let noMember = h.commit(OffsetCommitInput(entries: entries([(t0, 5)])))
        let current = h.commit(
            OffsetCommitInput(memberID: members[0], generation: oldGeneration.next(), entries: entries([(t0, 6)])))
        #expect(h.commitOutcome(removedZombie)?.map(\.error) == [.unknownMemberID])
        #expect(h.commitOutcome(staleGeneration)?.map(\.error) == [.illegalGeneration])
        #expect(h.commitOutcome(noMember)?.map(\.error) == [.unknownMemberID], "generation -1 needs an Empty group")
        h.completeWrites()
        #expect(h.commitOutcome(current)?.map(\.error) == [GroupErrorCode.none])
        #expect(h.machine.fetchOffsets([t0]).partitions.first?.offset == Offset(6))
    }

    @Test func commitToUnknownGroupWithGenerationIsIllegal() {
        var h = GroupHarness()
        let token = h.commit(OffsetCommitInput(memberID: "m", generation: GenerationID(3), entries: entries([(t0, 1)])))
        #expect(h.commitOutcome(token)?.map(\.error) == [.illegalGeneration])
        #expect(h.machine.group == nil)
    }

    @Test func commitWhileCompletingRebalanceAsksToFinishIt() {
        var h = GroupHarness()
        let (member, _) = h.joinNewDynamicMember()
        h.finishJoinPhase()
        let token = h.commit(
            OffsetCommitInput(memberID: member, generation: h.generation!, entries: entries([(t0, 1)])))
        #expect(h.commitOutcome(token)?.map(\.error) == [.rebalanceInProgress])
    }

    @Test func commitWhilePreparingRebalanceIsAcceptedFromCurrentGeneration() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 2)
        let generation = h.generation!
        h.join(GroupHarness.joinInput(members[0], client: "c0"))
        #expect(h.state == .preparingRebalance)
        let token = h.commit(
            OffsetCommitInput(memberID: members[1], generation: generation, entries: entries([(t0, 7)])))
        h.completeWrites()
        #expect(h.commitOutcome(token)?.map(\.error) == [GroupErrorCode.none])
    }

    @Test func oversizedMetadataIsRejectedPerPartition() {
        var config = GroupHarness.defaultConfig
        config.offsetMetadataMaxBytes = 4
        var h = GroupHarness(config: config)
        let token = h.commit(
            OffsetCommitInput(entries: [
                OffsetCommitEntry(partition: t0, offset: Offset(1), metadata: "12345"),
                OffsetCommitEntry(partition: t1, offset: Offset(2), metadata: "1234"),
            ]))
        h.completeWrites()
        #expect(h.commitOutcome(token) == [PartitionResult(t0, .offsetMetadataTooLarge), PartitionResult(t1, .none)])
        let allTooLarge = h.commit(
            OffsetCommitInput(entries: [OffsetCommitEntry(partition: u0, offset: Offset(1), metadata: "12345")]))
        #expect(h.commitOutcome(allTooLarge) == [PartitionResult(u0, .offsetMetadataTooLarge)])
        #expect(h.pendingWrites.isEmpty)
    }

    @Test func failedOffsetWriteIsReported() {
        var h = GroupHarness()
        let token = h.commit(OffsetCommitInput(entries: entries([(t0, 1)])))
        h.completeWrites(error: .notCoordinator)
        #expect(h.commitOutcome(token)?.map(\.error) == [.notCoordinator])
        #expect(h.machine.fetchOffsets([t0]).partitions == [.missing(t0)])
    }

    @Test func pipelinedCommitsCarryEarlierPendingOffsets() {
        var h = GroupHarness()
        h.commit(OffsetCommitInput(entries: entries([(t0, 1)])))
        h.commit(OffsetCommitInput(entries: entries([(t1, 2)])))
        guard case .set(let second)? = h.pendingWrites.last?.offsets else {
            Issue.record("second write")
            return
        }
        // The second write is built on top of the first, still in flight: writes land in ticket order.
        #expect(second.offsets["t"]?.keys.sorted() == ["0", "1"])
        // A fetch with requireStable sees the partitions still in flight as unstable.
        #expect(h.machine.fetchOffsets([t0], requireStable: true).partitions.map(\.error) == [.unstableOffsetCommit])
        h.completeWrites()
        #expect(
            h.machine.fetchOffsets([t0, t1], requireStable: true).partitions.map(\.offset) == [Offset(1), Offset(2)])
    }

    @Test func fetchSemantics() {
        var h = GroupHarness()
        // No group: requested partitions are -1 / "" without error; "all partitions" is empty.
        #expect(h.machine.fetchOffsets([t0]) == OffsetFetchOutcome(error: .none, partitions: [.missing(t0)]))
        #expect(h.machine.fetchOffsets(nil) == OffsetFetchOutcome(error: .none, partitions: []))
        h.commit(
            OffsetCommitInput(entries: [
                OffsetCommitEntry(partition: u0, offset: Offset(3)),
                OffsetCommitEntry(partition: t1, offset: Offset(4), metadata: "x"),
            ]))
        h.completeWrites()
        let all = h.machine.fetchOffsets(nil).partitions
        #expect(all.map(\.partition) == [t1, u0], "all committed partitions, sorted")
        #expect(all.map(\.metadata) == ["x", ""], "a null metadata is stored as the empty string")
        #expect(all.map(\.leaderEpoch) == [LeaderEpoch.none, LeaderEpoch.none])
        // Offsets are served whatever the group's state.
        _ = h.joinNewDynamicMember()
        #expect(h.state == .preparingRebalance)
        #expect(h.machine.fetchOffsets([u0]).partitions.first?.offset == Offset(3))
    }

    @Test func commitTimestampAndRetentionFromRequest() {
        var h = GroupHarness()
        h.commit(
            OffsetCommitInput(
                retentionTimeMs: 60_000,
                entries: [OffsetCommitEntry(partition: t0, offset: Offset(1), commitTimestamp: TimestampMs(5))]))
        h.completeWrites()
        let committed = h.machine.group!.offsets[t0]!
        #expect(committed.commitTimestamp == TimestampMs(5))
        #expect(committed.expireTimestamp == TimestampMs(h.now.rawValue + 60_000))
    }
}
