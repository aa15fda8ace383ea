import FjordModel

/// A per-log-directory checkpoint of one offset per partition: `recovery-point-offset-checkpoint`,
/// `log-start-offset-checkpoint` and `replication-offset-checkpoint` (the high watermarks). Entry lines are
/// `<topic> <partition> <offset>`, as in Kafka.
public struct OffsetCheckpointFile: Sendable {
    public static let recoveryPointFileName = "recovery-point-offset-checkpoint"
    public static let logStartOffsetFileName = "log-start-offset-checkpoint"
    public static let highWatermarkFileName = "replication-offset-checkpoint"

    public let path: String

    public init(path: String) { self.path = path }

    /// The offsets in the file; empty when it does not exist.
    ///
    /// - Throws: `.storage` when the file is malformed.
    public func read() throws(LogError) -> [TopicPartition: Offset] {
        guard let entries = try CheckpointFile.read(path, fieldsPerEntry: 3) else { return [:] }
        var offsets: [TopicPartition: Offset] = [:]
        for fields in entries {
            guard let partition = Int32(fields[1]), partition >= 0, let offset = Int64(fields[2]) else {
                throw LogError(.storage, "malformed checkpoint \(path): entry \"\(fields.joined(separator: " "))\"")
            }
            offsets[TopicPartition(TopicName(String(fields[0])), PartitionID(partition))] = Offset(offset)
        }
        return offsets
    }

    /// Replaces the file's content with `offsets` atomically.
    public func write(_ offsets: [TopicPartition: Offset]) throws(LogError) {
        let entries = offsets.sorted { $0.key < $1.key }.map { partition, offset in
            [partition.topic.rawValue, String(partition.partition.rawValue), String(offset.rawValue)]
        }
        try CheckpointFile.write(path, entries: entries)
    }
}

/// A partition's `leader-epoch-checkpoint`: entry lines `<epoch> <startOffset>`, as in Kafka.
public struct LeaderEpochCheckpointFile: Sendable {
    public static let fileName = "leader-epoch-checkpoint"

    public let path: String

    public init(path: String) { self.path = path }

    /// The entries in the file; empty when it does not exist.
    ///
    /// - Throws: `.storage` when the file is malformed.
    public func read() throws(LogError) -> [LeaderEpochCache.Entry] {
        guard let entries = try CheckpointFile.read(path, fieldsPerEntry: 2) else { return [] }
        return try entries.map { (fields) throws(LogError) -> LeaderEpochCache.Entry in
            guard let epoch = Int32(fields[0]), let offset = Int64(fields[1]) else {
                throw LogError(.storage, "malformed checkpoint \(path): entry \"\(fields.joined(separator: " "))\"")
            }
            return LeaderEpochCache.Entry(epoch: LeaderEpoch(epoch), startOffset: Offset(offset))
        }
    }

    public func write(_ entries: [LeaderEpochCache.Entry]) throws(LogError) {
        try CheckpointFile.write(
            path, entries: entries.map { [String($0.epoch.rawValue), String($0.startOffset.rawValue)] })
    }
}
