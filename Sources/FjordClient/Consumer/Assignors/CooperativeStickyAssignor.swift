import FjordModel

/// A balanced, sticky assignor with Kafka's cooperative adjustment (KIP-429), interoperable with
/// `CooperativeStickyAssignor` members because it reads and writes the same subscription fields (owned partitions,
/// generation).
///
/// The target assignment:
/// 1. Every member keeps the partitions it owns, when the partition still exists, the member is still subscribed
///    to its topic, and no member of a later generation claims it (the later generation wins a conflict).
/// 2. Unowned partitions go, in topic/partition order, to the eligible member with the fewest partitions.
/// 3. While a member has at least two more partitions than another member that could take one of them, one
///    partition moves from the most to the least loaded. With equal subscriptions this ends with counts differing
///    by at most one, and only partitions from over-full members move: the fewest moves that balance.
///
/// Cooperative adjustment: a partition whose target owner differs from its current owner is left out of this
/// round's assignment. Its owner sees it missing, revokes it, and rejoins; in that second rebalance the partition is
/// unowned and goes to the member that now has the fewest (the intended one). So no partition is ever owned by two
/// members, and members never stop consuming partitions that do not move.
enum CooperativeStickyAssignor {
    static func assign(members: [GroupMemberSubscription], partitionCounts: [TopicName: Int])
        -> [String: [TopicPartition]]
    {
        let owners = validOwners(members: members, partitionCounts: partitionCounts)
        let target = balancedAssignment(members: members, partitionCounts: partitionCounts, owners: owners)
        var result: [String: [TopicPartition]] = [:]
        for (member, partitions) in target {
            result[member] = partitions.filter { owners[$0] == nil || owners[$0] == member }
        }
        return result
    }

    /// The target assignment before the cooperative adjustment (steps 1–3 above).
    static func balancedAssignment(
        members: [GroupMemberSubscription], partitionCounts: [TopicName: Int], owners: [TopicPartition: String]
    ) -> [String: [TopicPartition]] {
        let ordered = members.sorted(by: GroupMemberSubscription.kafkaOrder)
        let subscriptions = Dictionary(uniqueKeysWithValues: members.map { ($0.memberId, $0.topics) })
        var assignment = Dictionary(uniqueKeysWithValues: members.map { ($0.memberId, Set<TopicPartition>()) })
        for (tp, member) in owners { assignment[member]!.insert(tp) }

        var all: [TopicPartition] = []
        for topic in Set(members.flatMap(\.topics)).sorted() {
            guard let count = partitionCounts[topic] else { continue }
            for p in 0..<count { all.append(TopicPartition(topic, PartitionID(Int32(p)))) }
        }
        for tp in all where owners[tp] == nil {
            let eligible = ordered.filter { subscriptions[$0.memberId]!.contains(tp.topic) }
            guard let least = eligible.min(by: { assignment[$0.memberId]!.count < assignment[$1.memberId]!.count })
            else { continue }
            assignment[least.memberId]!.insert(tp)
        }
        rebalance(&assignment, ordered: ordered.map(\.memberId), subscriptions: subscriptions, limit: all.count + 1)
        return assignment.mapValues { $0.sorted() }
    }

    /// Moves one partition at a time from the most to the least loaded member that can take it, while the counts
    /// differ by two or more. Bounded by `limit` moves per member pair scan.
    private static func rebalance(
        _ assignment: inout [String: Set<TopicPartition>], ordered: [String], subscriptions: [String: Set<TopicName>],
        limit: Int
    ) {
        var moves = 0
        let maxMoves = limit * max(1, ordered.count)
        while moves < maxMoves {
            let byLoad = ordered.sorted { assignment[$0]!.count > assignment[$1]!.count }
            var moved = false
            search: for donor in byLoad {
                for receiver in byLoad.reversed() {
                    guard assignment[donor]!.count - assignment[receiver]!.count > 1 else { break }
                    let candidate = assignment[donor]!.sorted(by: >).first {
                        subscriptions[receiver]!.contains($0.topic)
                    }
                    if let tp = candidate {
                        assignment[donor]!.remove(tp)
                        assignment[receiver]!.insert(tp)
                        moved = true
                        break search
                    }
                }
            }
            guard moved else { return }
            moves += 1
        }
    }

    /// Who validly owns each partition now: existing partition, owner subscribed to its topic, and the highest
    /// generation among the members claiming it (ties: the first in member order).
    static func validOwners(members: [GroupMemberSubscription], partitionCounts: [TopicName: Int])
        -> [TopicPartition: String]
    {
        var owners: [TopicPartition: String] = [:]
        let byGeneration = members.sorted {
            $0.generation != $1.generation ? $0.generation > $1.generation : GroupMemberSubscription.kafkaOrder($0, $1)
        }
        for member in byGeneration {
            for tp in member.ownedPartitions {
                guard member.topics.contains(tp.topic), let count = partitionCounts[tp.topic],
                    tp.partition.rawValue >= 0, Int(tp.partition.rawValue) < count, owners[tp] == nil
                else { continue }
                owners[tp] = member.memberId
            }
        }
        return owners
    }
}
