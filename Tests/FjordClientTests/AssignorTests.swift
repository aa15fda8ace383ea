import FjordModel
import Testing

@testable import FjordClient

private func tp(_ topic: String, _ partition: Int32) -> TopicPartition {
    TopicPartition(topic: topic, partition: partition)
}

private func member(_ id: String, _ topics: [String], owned: [TopicPartition] = [], generation: Int32 = -1)
    -> GroupMemberSubscription
{
    GroupMemberSubscription(
        memberId: id, topics: Set(topics.map { TopicName($0) }), ownedPartitions: owned, generation: generation)
}

@Suite("partition assignors")
struct AssignorTests {
    @Test func rangeGivesConsecutiveRangesPerTopic() {
        // Kafka's RangeAssignor example: two consumers, two topics of three partitions each.
        let result = RangeAssignor.assign(
            members: [member("C1", ["t0", "t1"]), member("C0", ["t0", "t1"])], partitionCounts: ["t0": 3, "t1": 3])
        #expect(result["C0"] == [tp("t0", 0), tp("t0", 1), tp("t1", 0), tp("t1", 1)])
        #expect(result["C1"] == [tp("t0", 2), tp("t1", 2)])
    }

    @Test func rangeSkipsMembersNotSubscribed() {
        let result = RangeAssignor.assign(
            members: [member("a", ["x"]), member("b", ["x", "y"])], partitionCounts: ["x": 2, "y": 2])
        #expect(result["a"] == [tp("x", 0)])
        #expect(result["b"] == [tp("x", 1), tp("y", 0), tp("y", 1)])
    }

    @Test func roundRobinDealsInTurn() {
        let result = RoundRobinAssignor.assign(
            members: [member("C0", ["t0", "t1"]), member("C1", ["t0", "t1"])], partitionCounts: ["t0": 3, "t1": 3])
        #expect(result["C0"] == [tp("t0", 0), tp("t0", 2), tp("t1", 1)])
        #expect(result["C1"] == [tp("t0", 1), tp("t1", 0), tp("t1", 2)])
    }

    @Test func roundRobinWithDifferentSubscriptions() {
        // Kafka's documentation example: C0 ← t0; C1 ← t0,t1; C2 ← t0,t1,t2 with 1, 2, 3 partitions.
        let result = RoundRobinAssignor.assign(
            members: [member("C0", ["t0"]), member("C1", ["t0", "t1"]), member("C2", ["t0", "t1", "t2"])],
            partitionCounts: ["t0": 1, "t1": 2, "t2": 3])
        #expect(result["C0"] == [tp("t0", 0)])
        #expect(result["C1"] == [tp("t1", 0)])
        #expect(result["C2"] == [tp("t1", 1), tp("t2", 0), tp("t2", 1), tp("t2", 2)])
    }

    @Test func cooperativeStickyBalancesFreshGroup() {
        let result = CooperativeStickyAssignor.assign(
            members: [member("a", ["t"]), member("b", ["t"]), member("c", ["t"])], partitionCounts: ["t": 6])
        #expect(result.values.map(\.count).sorted() == [2, 2, 2])
        #expect(Set(result.values.flatMap { $0 }).count == 6)
    }

    @Test func cooperativeStickyKeepsOwnedPartitionsWhenAMemberLeaves() {
        let a = member("a", ["t"], owned: [tp("t", 0), tp("t", 1)], generation: 3)
        let b = member("b", ["t"], owned: [tp("t", 2), tp("t", 3)], generation: 3)
        // c (t4, t5) left: a and b keep theirs and take one each.
        let result = CooperativeStickyAssignor.assign(members: [a, b], partitionCounts: ["t": 6])
        #expect(Set(result["a"]!).isSuperset(of: [tp("t", 0), tp("t", 1)]))
        #expect(Set(result["b"]!).isSuperset(of: [tp("t", 2), tp("t", 3)]))
        #expect(result["a"]!.count == 3 && result["b"]!.count == 3)
    }

    /// KIP-429: a joining member makes owners give up only what moves, over two rebalances, and no partition is
    /// ever assigned to two members at once.
    @Test func cooperativeStickyTwoPhaseRevocation() {
        var owned: [String: [TopicPartition]] = [
            "a": (0..<3).map { tp("t", $0) }, "b": (3..<6).map { tp("t", $0) },
        ]
        // Round 1: c joins owning nothing.
        let members1 = ["a", "b", "c"].map { member($0, ["t"], owned: owned[$0] ?? [], generation: 1) }
        let round1 = CooperativeStickyAssignor.assign(members: members1, partitionCounts: ["t": 6])
        // Owners keep all but what moves; c gets nothing yet (its partitions are still owned).
        #expect(round1["c"] == [])
        let revokedA = Set(owned["a"]!).subtracting(round1["a"]!)
        let revokedB = Set(owned["b"]!).subtracting(round1["b"]!)
        #expect(revokedA.count + revokedB.count == 2)
        #expect(Set(round1["a"]!).isSubset(of: Set(owned["a"]!)))
        #expect(Set(round1["b"]!).isSubset(of: Set(owned["b"]!)))
        // Members apply: revoke what is gone, then rejoin (round 2).
        owned = ["a": round1["a"]!, "b": round1["b"]!, "c": []]
        let members2 = ["a", "b", "c"].map { member($0, ["t"], owned: owned[$0]!, generation: 2) }
        let round2 = CooperativeStickyAssignor.assign(members: members2, partitionCounts: ["t": 6])
        #expect(round2["a"] == owned["a"])
        #expect(round2["b"] == owned["b"])
        #expect(Set(round2["c"]!) == revokedA.union(revokedB))
        #expect(round2.values.map(\.count).sorted() == [2, 2, 2])
    }

    @Test func cooperativeStickyMovesTheMinimumWhenScalingOut() {
        // 12 partitions on 3 members (4 each); a 4th joins: exactly 3 partitions move, one from each.
        let owned = ["a": 0..<4, "b": 4..<8, "c": 8..<12].mapValues { $0.map { tp("t", Int32($0)) } }
        let members = ["a", "b", "c", "d"].map { member($0, ["t"], owned: owned[$0] ?? [], generation: 5) }
        let owners = CooperativeStickyAssignor.validOwners(members: members, partitionCounts: ["t": 12])
        let target = CooperativeStickyAssignor.balancedAssignment(
            members: members, partitionCounts: ["t": 12], owners: owners)
        #expect(target.values.map(\.count).sorted() == [3, 3, 3, 3])
        let moved = target.flatMap { m, ps in ps.filter { owners[$0] != nil && owners[$0] != m } }
        #expect(moved.count == 3)
    }

    @Test func cooperativeStickyResolvesConflictsByGeneration() {
        // Both claim t-0; the later generation wins it.
        let stale = member("a", ["t"], owned: [tp("t", 0)], generation: 1)
        let fresh = member("b", ["t"], owned: [tp("t", 0)], generation: 2)
        let owners = CooperativeStickyAssignor.validOwners(members: [stale, fresh], partitionCounts: ["t": 2])
        #expect(owners[tp("t", 0)] == "b")
    }

    @Test func cooperativeStickyDropsPartitionsThatNoLongerExistOrAreUnsubscribed() {
        let a = member("a", ["t"], owned: [tp("t", 9), tp("gone", 0)], generation: 1)
        let owners = CooperativeStickyAssignor.validOwners(members: [a], partitionCounts: ["t": 2])
        #expect(owners.isEmpty)
    }

    @Test func everyAssignorCoversEveryPartitionExactlyOnce() {
        let members = (0..<5).map { member("m\($0)", ["x", "y"]) }
        for strategy in PartitionAssignmentStrategy.allCases {
            let result = PartitionAssignors.assign(strategy, members: members, partitionCounts: ["x": 7, "y": 3])
            let all = result.values.flatMap { $0 }
            #expect(all.count == 10, "\(strategy)")
            #expect(Set(all).count == 10, "\(strategy)")
        }
    }

    @Test func subscriptionsRoundTripThroughTheConsumerProtocol() throws {
        let bytes = GroupProtocolCodec.encodeSubscription(
            topics: ["b", "a"], ownedPartitions: [tp("a", 1), tp("a", 0)], generation: 7, strategy: .cooperativeSticky)
        let decoded = try GroupProtocolCodec.decodeSubscription(memberId: "m", groupInstanceId: nil, metadata: bytes)
        #expect(decoded.topics == ["a", "b"])
        #expect(decoded.ownedPartitions == [tp("a", 0), tp("a", 1)])
        #expect(decoded.generation == 7)
        let assignment = GroupProtocolCodec.encodeAssignment([tp("x", 2), tp("y", 0)])
        #expect(try GroupProtocolCodec.decodeAssignment(assignment) == [tp("x", 2), tp("y", 0)])
        #expect(try GroupProtocolCodec.decodeAssignment(.init()) == [])
    }
}
