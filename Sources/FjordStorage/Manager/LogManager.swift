import FjordModel
import Logging
import Synchronization

/// The owner of one log directory (an entry of `log.dirs`): opens, creates and deletes its partition logs, keeps
/// the directory's checkpoint files, and runs retention and the flush policy when its caller asks.
///
/// Layout of the directory:
///
///     <dir>/<topic>-<partition>/              one per partition (see PartitionLog)
///     <dir>/recovery-point-offset-checkpoint  per partition: offset below which the log was flushed
///     <dir>/log-start-offset-checkpoint       per partition: log start offset
///     <dir>/replication-offset-checkpoint     per partition: high watermark
///     <dir>/.kafka_cleanshutdown              present only between a clean close and the next open
///
/// The caller (the broker) runs ``writeCheckpoints()``, ``runRetention(now:)`` and ``flushDueLogs(now:)``
/// periodically on a thread that may block (never an event loop), and ``close()`` at shutdown. The map of logs sits
/// behind a `Mutex`; each log guards itself.
public final class LogManager: Sendable {
    public static let cleanShutdownFileName = ".kafka_cleanshutdown"
    static let deleteSuffix = "-delete"

    public let directory: String
    /// Whether the directory had been closed cleanly when this manager opened it.
    public let hadCleanShutdown: Bool
    let logger: Logger
    let configForPartition: @Sendable (TopicPartition) -> LogConfig
    let logs: LogLock<[TopicPartition: PartitionLog]>
    /// Serializes checkpoint writes (each is a temporary file renamed over the real one).
    let checkpointLock = LogLock(())

    /// Opens `directory` (creating it if needed) and every partition log in it, recovering them as needed.
    ///
    /// - Parameter configForPartition: the effective config of each partition (broker defaults plus topic
    ///   overrides), for logs found on disk and logs created without an explicit config.
    public init(
        directory: String, logger: Logger = Logger(label: "fjord.storage"), now: TimestampMs = .now(),
        configForPartition: @escaping @Sendable (TopicPartition) -> LogConfig = { _ in LogConfig() }
    ) throws(LogError) {
        self.directory = directory
        self.logger = logger
        self.configForPartition = configForPartition
        try FileSystem.createDirectory(directory)
        let marker = "\(directory)/\(Self.cleanShutdownFileName)"
        let clean = FileSystem.exists(marker)
        self.hadCleanShutdown = clean
        let recoveryPoints = Self.readCheckpoint(directory, OffsetCheckpointFile.recoveryPointFileName, logger)
        let startOffsets = Self.readCheckpoint(directory, OffsetCheckpointFile.logStartOffsetFileName, logger)
        let highWatermarks = Self.readCheckpoint(directory, OffsetCheckpointFile.highWatermarkFileName, logger)
        var opened: [TopicPartition: PartitionLog] = [:]
        for name in try FileSystem.contents(of: directory).sorted() {
            let path = "\(directory)/\(name)"
            guard FileSystem.isDirectory(path) else { continue }
            if name.hasSuffix(Self.deleteSuffix) {
                try FileSystem.removeTree(path)
                continue
            }
            guard let partition = Self.parseDirectoryName(name) else {
                logger.warning("ignoring a directory that is not a partition log", metadata: ["directory": "\(path)"])
                continue
            }
            opened[partition] = try PartitionLog.open(
                directory: path, topicPartition: partition, config: configForPartition(partition),
                recoveryPoint: recoveryPoints[partition], logStartOffset: startOffsets[partition],
                highWatermark: highWatermarks[partition], hadCleanShutdown: clean, now: now, logger: logger)
        }
        self.logs = LogLock(opened)
        if clean { try FileSystem.removeFile(marker) }
        logger.info(
            "loaded log directory",
            metadata: ["directory": "\(directory)", "logs": "\(opened.count)", "cleanShutdown": "\(clean)"])
    }

    /// `<topic>-<partition>` → the partition, or `nil` for other names.
    static func parseDirectoryName(_ name: String) -> TopicPartition? {
        guard let dash = name.lastIndex(of: "-"), let partition = Int32(name[name.index(after: dash)...]),
            partition >= 0
        else { return nil }
        let topic = TopicName(String(name[..<dash]))
        guard topic.validationError == nil else { return nil }
        return TopicPartition(topic, PartitionID(partition))
    }

    private static func readCheckpoint(_ directory: String, _ name: String, _ logger: Logger) -> [TopicPartition:
        Offset]
    {
        do {
            return try OffsetCheckpointFile(path: "\(directory)/\(name)").read()
        } catch {
            // Missing values are safe: recovery from 0, start at the first segment, high watermark at the start.
            logger.warning("unreadable checkpoint; ignoring it", metadata: ["file": "\(name)", "error": "\(error)"])
            return [:]
        }
    }

    public func log(for partition: TopicPartition) -> PartitionLog? {
        logs.withLock { $0[partition] }
    }

    public var allLogs: [TopicPartition: PartitionLog] { logs.withLock { $0 } }

    /// The partition's log, created empty (at offset 0) if absent. Blocking (creates files).
    public func getOrCreateLog(
        _ partition: TopicPartition, config: LogConfig? = nil, now: TimestampMs = .now()
    ) throws(LogError) -> PartitionLog {
        if let problem = partition.topic.validationError { throw LogError(.invalidRecord, problem) }
        return try logs.withLock { (logs) throws(LogError) -> PartitionLog in
            if let existing = logs[partition] { return existing }
            let log = try PartitionLog.open(
                directory: "\(directory)/\(partition.directoryName)", topicPartition: partition,
                config: config ?? configForPartition(partition), now: now, logger: logger)
            try FileSystem.syncDirectory(directory)
            logs[partition] = log
            return log
        }
    }

    /// Removes the partition's log: closes it, renames its directory to `<name>.<random>-delete` (so a crash
    /// leaves a directory the next open removes), then deletes it. Readers holding results keep their descriptors.
    public func deleteLog(_ partition: TopicPartition) throws(LogError) {
        guard let log = logs.withLock({ $0.removeValue(forKey: partition) }) else { return }
        try log.close()
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let doomed = "\(directory)/\(partition.directoryName).\(suffix)\(Self.deleteSuffix)"
        try FileSystem.rename(log.directory, to: doomed)
        try FileSystem.syncDirectory(directory)
        try FileSystem.removeTree(doomed)
        logger.info("deleted log", metadata: ["partition": "\(partition)"])
    }

    /// Writes the three per-directory checkpoints (recovery points, log start offsets, high watermarks) from the
    /// logs' current values. Blocking.
    public func writeCheckpoints() throws(LogError) {
        let logs = allLogs
        try checkpointLock.withLock { (_) throws(LogError) in
            try OffsetCheckpointFile(path: "\(directory)/\(OffsetCheckpointFile.recoveryPointFileName)")
                .write(logs.mapValues(\.recoveryPoint))
            try OffsetCheckpointFile(path: "\(directory)/\(OffsetCheckpointFile.logStartOffsetFileName)")
                .write(logs.mapValues(\.logStartOffset))
            try OffsetCheckpointFile(path: "\(directory)/\(OffsetCheckpointFile.highWatermarkFileName)")
                .write(logs.mapValues(\.highWatermark))
        }
    }

    /// Runs a retention pass over every log; a failing log is logged and skipped. Blocking.
    @discardableResult
    public func runRetention(now: TimestampMs = .now()) -> [TopicPartition: RetentionResult] {
        var results: [TopicPartition: RetentionResult] = [:]
        for (partition, log) in allLogs {
            do {
                let result = try log.deleteOldSegments(now: now)
                if !result.deletedSegmentBaseOffsets.isEmpty { results[partition] = result }
            } catch {
                logger.error("retention failed", metadata: ["partition": "\(partition)", "error": "\(error)"])
            }
        }
        return results
    }

    /// Flushes the logs whose flush policy asks for it (``PartitionLog/dueFlushOffset(now:)``). Blocking.
    public func flushDueLogs(now: TimestampMs = .now()) throws(LogError) {
        for (_, log) in allLogs {
            if let offset = log.dueFlushOffset(now: now) { try log.flush(upTo: offset, now: now) }
        }
    }

    /// Flushes and closes every log, writes the checkpoints (recovery points are then the log end offsets) and
    /// the clean-shutdown marker, so the next open scans nothing.
    public func close() throws(LogError) {
        for (_, log) in allLogs {
            try log.flush()
            try log.close()
        }
        try writeCheckpoints()
        try FileSystem.writeAtomically([], to: "\(directory)/\(Self.cleanShutdownFileName)")
    }
}
