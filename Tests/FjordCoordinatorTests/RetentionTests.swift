import FjordCoordinator
import FjordModel
import Testing

@Suite struct RetentionTests {
    let t0 = TopicPartition(topic: "t", partition: 0)
    let u0 = TopicPartition(topic: "u", partition: 0)
    let day: Int64 = 24 * 60 * 60 * 1_000

    @Test func simpleConsumerOffsetsExpireByCommitTimeThenGroupIsRemoved() {
        var h = GroupHarness()
        h.commit(OffsetCommitInput(entries: [OffsetCommitEntry(partition: t0, offset: Offset(1))]))
        h.completeWrites()
        h.advance(byMs: 3 * day)
        h.commit(OffsetCommitInput(entries: [OffsetCommitEntry(partition: u0, offset: Offset(1))]))
        h.completeWrites()
        h.advance(byMs: 4 * day)
        h.absorb(h.machine.expireOffsets(now: h.now))
        #expect(h.machine.fetchOffsets(nil).partitions.map(\.partition) == [u0])
        guard case .set(let record)? = h.pendingWrites.last?.offsets else {
            Issue.record("the remaining offsets are rewritten")
            return
        }
        #expect(record.offsets.keys.sorted() == ["u"])
        h.completeWrites()
        h.advance(byMs: 3 * day)
        h.absorb(h.machine.expireOffsets(now: h.now))
        #expect(h.machine.group == nil && h.log.last == .groupRemoved)
        #expect(h.pendingWrites.last?.metadata == .delete && h.pendingWrites.last?.offsets == .delete)
    }

    @Test func emptyConsumerGroupOffsetsExpireFromWhenItBecameEmpty() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 1)
        h.commit(
            OffsetCommitInput(
                memberID: members[0], generation: h.generation!,
                entries: [OffsetCommitEntry(partition: t0, offset: Offset(1))]))
        h.completeWrites()
        h.advance(byMs: 5_000)
        _ = h.leave([LeavingMember(memberID: members[0])])
        #expect(h.state == .empty)
        h.completeWrites()
        h.advance(byMs: 7 * day - 1)
        h.absorb(h.machine.expireOffsets(now: h.now))
        #expect(h.machine.group?.offsets.count == 1, "7 days since the group became Empty have not passed")
        h.advance(byMs: 1)
        h.absorb(h.machine.expireOffsets(now: h.now))
        #expect(h.machine.group == nil)
        #expect(h.transitions.suffix(2) == [.empty, .dead])
    }

    @Test func stableConsumerGroupKeepsSubscribedTopics() {
        var h = GroupHarness()
        let members = h.stableGroup(count: 1)  // subscribed to "t"
        #expect(h.machine.group?.subscribedTopics == ["t"])
        let generation = h.generation!
        h.commit(
            OffsetCommitInput(
                memberID: members[0], generation: generation,
                entries: [
                    OffsetCommitEntry(partition: t0, offset: Offset(1)),
                    OffsetCommitEntry(partition: u0, offset: Offset(2)),
                ]))
        h.completeWrites()
        // Eight days later (the shell's session timer has not fired yet; a heartbeat arrives first).
        h.now = TimestampMs(h.now.rawValue + 8 * day)
        #expect(h.heartbeat(members[0], generation: generation) == GroupErrorCode.none)
        h.absorb(h.machine.expireOffsets(now: h.now))
        #expect(h.machine.fetchOffsets(nil).partitions.map(\.partition) == [t0])
    }

    @Test func retentionRuleMatchesKafka() {
        let offsets = CommittedOffsets([
            t0: CommittedOffset(offset: Offset(1), commitTimestamp: TimestampMs(0)),
            u0: CommittedOffset(offset: Offset(1), commitTimestamp: TimestampMs(50), expireTimestamp: TimestampMs(200)),
        ])
        func expired(_ context: OffsetRetentionContext, now: Int64, pending: Set<TopicPartition> = [])
            -> [TopicPartition]
        {
            offsets.expiredPartitions(context: context, pending: pending, now: TimestampMs(now), retentionMs: 100)
        }
        let empty = OffsetRetentionContext(
            state: .empty, protocolType: "consumer", subscribedTopics: [], stateTimestamp: TimestampMs(90))
        #expect(expired(empty, now: 189) == [])
        #expect(expired(empty, now: 190) == [t0])
        #expect(expired(empty, now: 200) == [t0, u0], "an explicit expire timestamp wins")
        #expect(expired(empty, now: 200, pending: [t0]) == [u0], "a commit in flight protects its partition")
        let noProtocol = OffsetRetentionContext(
            state: .empty, protocolType: nil, subscribedTopics: nil, stateTimestamp: TimestampMs(90))
        #expect(expired(noProtocol, now: 100) == [t0])
        let stable = OffsetRetentionContext(
            state: .stable, protocolType: "consumer", subscribedTopics: ["t"], stateTimestamp: TimestampMs(0))
        #expect(expired(stable, now: 1_000) == [u0])
        let unknownSubscriptions = OffsetRetentionContext(
            state: .stable, protocolType: "consumer", subscribedTopics: nil, stateTimestamp: nil)
        #expect(expired(unknownSubscriptions, now: 1_000) == [])
        let rebalancing = OffsetRetentionContext(
            state: .preparingRebalance, protocolType: "consumer", subscribedTopics: [], stateTimestamp: nil)
        #expect(expired(rebalancing, now: 1_000) == [])
    }

    @Test func subscriptionParser() {
        #expect(ConsumerProtocolSubscription.topics(from: GroupHarness.subscription(["a", "bb"])) == ["a", "bb"])
        #expect(ConsumerProtocolSubscription.topics(from: []) == nil)
        #expect(
            ConsumerProtocolSubscription.topics(from: [0, 0, 0x7F, 0xFF, 0xFF, 0xFF]) == nil, "count beyond the bytes")
        #expect(ConsumerProtocolSubscription.topics(from: [0, 0, 0, 0, 0, 1, 0, 5, 0x61]) == nil, "truncated topic")
        #expect(ConsumerProtocolSubscription.topics(from: [0xFF, 0xFF, 0, 0, 0, 0]) == nil, "negative version")
        #expect(ConsumerProtocolSubscription.topics(from: [0, 3, 0, 0, 0, 0]) == [])
    }
}
