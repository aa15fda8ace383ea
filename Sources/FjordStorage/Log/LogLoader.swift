import FjordModel
import Logging

extension PartitionLog {
    /// Opens (creating it if needed) the log in `directory`, recovering it after a crash.
    ///
    /// Recovery, in order:
    /// 1. stray files go: `.deleted`, `.cleaned` and `.tmp` files are removed; a `.log.swap` (a compaction result
    ///    that was being swapped in) replaces the segments whose base offsets it covers; index files without a log
    ///    are removed;
    /// 2. segments wholly below the recovery point (all of them after a clean shutdown) are trusted after
    ///    consistency checks of their indexes, which are rebuilt from the log when a check fails or a file is
    ///    missing;
    /// 3. the segment holding the recovery point and every later one are scanned batch by batch with full CRC
    ///    validation (``SegmentScanner``), their indexes rebuilt, and the log is cut at the first torn or corrupt
    ///    batch; any later segments are deleted. What is cut is logged at info level;
    /// 4. the leader-epoch cache is read from its checkpoint, extended with the epochs of the scanned batches, and
    ///    cut to the log's range; the log start offset is the checkpointed one, at least the first segment's base
    ///    offset (a checkpointed start beyond the data restarts the log empty there).
    ///
    /// - Parameters:
    ///   - recoveryPoint, logStartOffset, highWatermark: the log directory's checkpointed values, `nil` if absent.
    ///   - hadCleanShutdown: the log directory was closed cleanly (everything flushed): no batch is scanned.
    public static func open(
        directory: String, topicPartition: TopicPartition, config: LogConfig = LogConfig(),
        recoveryPoint: Offset? = nil, logStartOffset: Offset? = nil, highWatermark: Offset? = nil,
        hadCleanShutdown: Bool = false, now: TimestampMs = .now(), logger: Logger = Logger(label: "fjord.storage")
    ) throws(LogError) -> PartitionLog {
        if let problem = config.validationError { throw LogError(.invalidRecord, "invalid log config: \(problem)") }
        let loader = LogLoader(
            directory: directory, topicPartition: topicPartition, config: config, logger: logger, nowMs: now.rawValue)
        let (state, epochCheckpointVersion) = try loader.load(
            recoveryPoint: recoveryPoint, logStartOffset: logStartOffset, hadCleanShutdown: hadCleanShutdown)
        return PartitionLog(
            topicPartition: topicPartition, directory: directory, state: state,
            highWatermark: highWatermark ?? state.logStartOffset, epochCheckpointVersion: epochCheckpointVersion,
            logger: logger)
    }
}

/// Loads a partition directory into the writer's state (the recovery procedure of ``PartitionLog/open``).
struct LogLoader {
    let directory: String
    let topicPartition: TopicPartition
    let config: LogConfig
    let logger: Logger
    let nowMs: Int64

    private var metadata: Logger.Metadata { ["partition": "\(topicPartition)"] }

    func load(recoveryPoint: Offset?, logStartOffset: Offset?, hadCleanShutdown: Bool) throws(LogError) -> (
        LogWriterState, epochCheckpointVersion: Int
    ) {
        try FileSystem.createDirectory(directory)
        var names = try FileSystem.contents(of: directory)
        try removeStrayFiles(&names)
        let (bases, missingIndexes) = try inventory(names)
        let loadedEpochs = loadEpochCache()
        var epochs = loadedEpochs
        let recoveryPoint = max(recoveryPoint ?? .zero, .zero)
        var sealed: [SealedSegment] = []
        var active: ActiveSegment?
        var minimumOffset = Offset.zero
        var index = 0
        while index < bases.count, active == nil {
            let base = bases[index]
            let isLast = index == bases.count - 1
            if base < minimumOffset, let previous = sealed.popLast() {
                logger.info(
                    "segment overlaps the previous one; removing it and later segments",
                    metadata: metadata.merging(["segment": "\(base)", "previousEnd": "\(minimumOffset)"]) { $1 })
                try removeSegments(bases[index...])
                active = try ActiveSegment.reactivate(
                    previous, indexIntervalBytes: config.indexIntervalBytes, nowMs: nowMs)
                break
            }
            let files = try ActiveSegment.openFiles(directory: directory, baseOffset: base)
            let flushed = hadCleanShutdown || (!isLast && bases[index + 1] <= recoveryPoint)
            if flushed && !missingIndexes.contains(base) {
                if isLast,
                    let segment = try ActiveSegment.reopen(
                        directory: directory, baseOffset: base, files: files,
                        indexIntervalBytes: config.indexIntervalBytes, nowMs: nowMs)
                {
                    active = segment
                    break
                }
                if !isLast,
                    let segment = try SealedSegment.open(
                        directory: directory, baseOffset: base, logFile: files.0, offsetIndexFile: files.1,
                        timeIndexFile: files.2, indexIntervalBytes: config.indexIntervalBytes)
                {
                    sealed.append(segment)
                    minimumOffset = segment.nextOffset
                    index += 1
                    continue
                }
                logger.info(
                    "rebuilding inconsistent indexes", metadata: metadata.merging(["segment": "\(base)"]) { $1 })
            } else if missingIndexes.contains(base) {
                logger.info("rebuilding missing indexes", metadata: metadata.merging(["segment": "\(base)"]) { $1 })
            }
            let scan = try SegmentScanner.scan(
                file: files.0, baseOffset: base, indexIntervalBytes: config.indexIntervalBytes,
                minimumOffset: minimumOffset
            ) { batch in
                if batch.leaderEpoch.rawValue >= 0, batch.leaderEpoch > (epochs.latestEpoch ?? .none) {
                    epochs.assign(epoch: batch.leaderEpoch, startOffset: batch.baseOffset)
                }
            }
            if let problem = scan.problem {
                logger.info(
                    "truncating a torn or corrupt log tail",
                    metadata: metadata.merging(
                        [
                            "segment": "\(base)", "reason": "\(problem)", "keptBytes": "\(scan.validBytes)",
                            "removedBytes": "\(scan.fileBytes - scan.validBytes)",
                            "laterSegmentsRemoved": "\(bases.count - index - 1)",
                        ]) { $1 })
                try files.0.truncate(to: scan.validBytes)
                try removeSegments(bases[(index + 1)...])
                active = try ActiveSegment.fromScan(
                    directory: directory, files: files, builder: scan.builder, nowMs: nowMs)
                break
            }
            var segment = try ActiveSegment.fromScan(
                directory: directory, files: files, builder: scan.builder, nowMs: nowMs)
            if isLast {
                active = segment
            } else {
                sealed.append(try segment.seal(nowMs: try files.0.lastModifiedMs()))
                minimumOffset = segment.nextOffset
                index += 1
            }
        }
        return try finish(
            sealed: sealed, active: active, epochs: epochs, loadedEpochs: loadedEpochs, recoveryPoint: recoveryPoint,
            logStartOffset: logStartOffset, hadCleanShutdown: hadCleanShutdown)
    }

    private func finish(
        sealed: [SealedSegment], active: ActiveSegment?, epochs: LeaderEpochCache, loadedEpochs: LeaderEpochCache,
        recoveryPoint: Offset, logStartOffset: Offset?, hadCleanShutdown: Bool
    ) throws(LogError) -> (LogWriterState, epochCheckpointVersion: Int) {
        var sealed = sealed
        var epochs = epochs
        let loaded = active
        var active: ActiveSegment
        if let loaded {
            active = loaded
        } else {
            active = try ActiveSegment.create(
                directory: directory, baseOffset: max(logStartOffset ?? .zero, .zero),
                indexIntervalBytes: config.indexIntervalBytes, nowMs: nowMs)
        }
        let firstBase = sealed.first?.baseOffset ?? active.baseOffset
        var start = max(logStartOffset ?? firstBase, firstBase)
        if start > active.nextOffset {
            logger.info(
                "log start offset beyond the log end; restarting the log empty there",
                metadata: metadata.merging(["logStartOffset": "\(start)", "logEndOffset": "\(active.nextOffset)"]) {
                    $1
                })
            try removeSegments(sealed.map(\.baseOffset) + [active.baseOffset])
            sealed = []
            active = try ActiveSegment.create(
                directory: directory, baseOffset: start, indexIntervalBytes: config.indexIntervalBytes, nowMs: nowMs)
            epochs.clear()
        }
        start = max(start, sealed.first?.baseOffset ?? active.baseOffset)
        let end = active.nextOffset
        epochs.truncateFromEnd(endOffset: end)
        epochs.truncateFromStart(startOffset: start)
        let state = LogWriterState(
            config: config, sealed: sealed, active: active, logStartOffset: start,
            recoveryPoint: hadCleanShutdown ? end : min(recoveryPoint, end), epochCache: epochs,
            epochCacheVersion: epochs == loadedEpochs ? 0 : 1, lastFlushMs: nowMs)
        return (state, 0)
    }

    private func removeSegments(_ bases: some Collection<Offset>) throws(LogError) {
        for base in bases {
            logger.info("removing segment", metadata: metadata.merging(["segment": "\(base)"]) { $1 })
            try SegmentFiles.remove(directory: directory, baseOffset: base)
        }
    }

    private func loadEpochCache() -> LeaderEpochCache {
        let file = LeaderEpochCheckpointFile(path: "\(directory)/\(LeaderEpochCheckpointFile.fileName)")
        do {
            return LeaderEpochCache(entries: try file.read())
        } catch {
            logger.warning(
                "unreadable leader-epoch checkpoint; rebuilding from scanned batches only",
                metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return LeaderEpochCache()
        }
    }
}
