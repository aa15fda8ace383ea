/// How the producer picks the partition of a record without an explicit one, for one topic.
///
/// Keyed records: Kafka's default, `murmur2(key) & 0x7fffffff % partitionCount` over *all* partitions (whether or
/// not they have a leader), so a key's partition never depends on cluster health (see ``Murmur2``). Records without
/// a key: sticky partitioning (KIP-480, as refined by KIP-794): every such record of the topic goes to one partition
/// until `batchSize` bytes have gone there, then a new partition is picked at random among those with a leader
/// (excluding the current one when there is a choice). Sticking fills batches instead of spraying one tiny batch
/// per partition.
///
/// A pure value: the owner (the producer's accumulator, under its lock) supplies the random numbers.
struct StickyPartitioner: Sendable {
    private(set) var partitionCount: Int32
    /// Partitions with a leader; all partitions when none has one (records then wait for a leader).
    private(set) var available: [Int32]
    private(set) var current: Int32 = -1
    private var bytesSinceSwitch = 0
    let switchAfterBytes: Int

    init(partitionCount: Int32, available: [Int32], switchAfterBytes: Int) {
        self.partitionCount = partitionCount
        self.available = available.isEmpty ? Array(0..<partitionCount) : available
        self.switchAfterBytes = max(1, switchAfterBytes)
    }

    /// Records what metadata says about the topic's partitions now.
    mutating func update(partitionCount: Int32, available: [Int32]) {
        self.partitionCount = partitionCount
        self.available = available.isEmpty ? Array(0..<partitionCount) : available
        if current >= partitionCount || !self.available.contains(current) { current = -1 }
    }

    /// The partition for a record of `sizeBytes` without a key.
    /// - Parameter random: any non-negative integer (the caller's random source).
    mutating func partitionForUnkeyed(sizeBytes: Int, random: Int) -> Int32 {
        if current < 0 || bytesSinceSwitch >= switchAfterBytes {
            current = Self.pick(from: available, excluding: current, random: random)
            bytesSinceSwitch = 0
        }
        bytesSinceSwitch += sizeBytes
        return current
    }

    private static func pick(from available: [Int32], excluding current: Int32, random: Int) -> Int32 {
        if available.count == 1 { return available[0] }
        let candidates = current >= 0 ? available.filter { $0 != current } : available
        return candidates[(random & Int.max) % candidates.count]
    }
}
