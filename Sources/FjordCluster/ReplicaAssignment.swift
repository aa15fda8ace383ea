import FjordModel

/// Places partition replicas on brokers the way Kafka's rack-unaware assignment does.
///
/// With brokers sorted by id, partition `p`'s first replica goes to broker `(p + start) % n`; the remaining replicas
/// follow at a shift that grows by one every `n` partitions, so that both leaders and followers spread evenly and no
/// two partitions have the same replica list more than necessary. Pure: the random start points are inputs.
public enum ReplicaAssignment {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalidPartitionCount(Int)
        case invalidReplicationFactor(Int)
        case notEnoughBrokers(replicationFactor: Int, liveBrokers: Int)

        public var description: String {
            switch self {
            case .invalidPartitionCount(let n): "Number of partitions must be larger than 0, got \(n)."
            case .invalidReplicationFactor(let r): "Replication factor must be larger than 0, got \(r)."
            case .notEnoughBrokers(let r, let live):
                "Replication factor: \(r) larger than available brokers: \(live)."
            }
        }
    }

    /// Assigns `partitionCount` partitions, numbered from `firstPartition`, each with `replicationFactor` replicas.
    ///
    /// - Parameters:
    ///   - startIndex: index into the sorted broker list of partition 0's first replica (random in Kafka).
    ///   - replicaShift: the initial shift of the second replica from the first (random in Kafka).
    public static func assign(
        brokers: [BrokerID], partitionCount: Int, replicationFactor: Int, firstPartition: Int = 0,
        startIndex: Int, replicaShift: Int
    ) throws(Failure) -> [PartitionID: [BrokerID]] {
        guard partitionCount > 0 else { throw .invalidPartitionCount(partitionCount) }
        guard replicationFactor > 0 else { throw .invalidReplicationFactor(replicationFactor) }
        let sorted = brokers.sorted()
        let n = sorted.count
        guard replicationFactor <= n else {
            throw .notEnoughBrokers(replicationFactor: replicationFactor, liveBrokers: n)
        }
        var result: [PartitionID: [BrokerID]] = [:]
        var shift = replicaShift
        for partition in firstPartition..<(firstPartition + partitionCount) {
            if partition > 0 && partition % n == 0 { shift += 1 }
            let first = (partition + startIndex) % n
            var replicas = [sorted[first]]
            for j in 0..<(replicationFactor - 1) {
                let step = n > 1 ? 1 + (shift + j) % (n - 1) : 0
                replicas.append(sorted[(first + step) % n])
            }
            result[PartitionID(Int32(partition))] = replicas
        }
        return result
    }

    /// Assigns with random start points, as Kafka does for a new topic.
    public static func assignRandomly(brokers: [BrokerID], partitionCount: Int, replicationFactor: Int) throws(Failure)
        -> [PartitionID: [BrokerID]]
    {
        let n = max(1, brokers.count)
        return try assign(
            brokers: brokers, partitionCount: partitionCount, replicationFactor: replicationFactor,
            startIndex: Int.random(in: 0..<n), replicaShift: Int.random(in: 0..<n))
    }

    /// Assigns partitions added to an existing topic (CreatePartitions): continues from the existing partition
    /// count, starting where partition 0's first replica sits, as Kafka does.
    public static func assignAdditional(
        existing: [PartitionID: [BrokerID]], brokers: [BrokerID], newTotal: Int
    ) throws(Failure) -> [PartitionID: [BrokerID]] {
        let current = existing.count
        guard newTotal > current else { throw .invalidPartitionCount(newTotal - current) }
        let rf = existing[PartitionID(0)]?.count ?? 1
        let sorted = brokers.sorted()
        let startIndex = existing[PartitionID(0)].flatMap { sorted.firstIndex(of: $0[0]) } ?? 0
        return try assign(
            brokers: sorted, partitionCount: newTotal - current, replicationFactor: rf, firstPartition: current,
            startIndex: startIndex, replicaShift: Int.random(in: 0..<max(1, sorted.count)))
    }
}
