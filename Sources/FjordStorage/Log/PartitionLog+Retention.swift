import FjordModel

/// What a retention pass removed.
public struct RetentionResult: Hashable, Sendable {
    /// Base offsets of the deleted segments.
    public var deletedSegmentBaseOffsets: [Offset] = []
    public var deletedBytes = 0
    /// The log start offset after the pass.
    public var logStartOffset: Offset
}

extension PartitionLog {
    /// Deletes whole segments from the head of the log, in three passes as Kafka does: segments whose newest batch
    /// is older than `retention.ms` (by max timestamp, else the file's modification time), then the oldest
    /// segments while the log exceeds `retention.bytes`, then segments wholly below the log start offset. A segment
    /// goes only if all its offsets are below the high watermark. When every segment qualifies, a new empty segment
    /// is rolled first, so the active segment itself is never deleted (an expired one is sealed, then deleted, like
    /// Kafka). The log start offset moves up to the first remaining segment's base offset.
    ///
    /// Blocking (renames and unlinks): run it off the event loops, e.g. from ``LogManager/runRetention(now:)``.
    @discardableResult
    public func deleteOldSegments(now: TimestampMs = .now()) throws(LogError) -> RetentionResult {
        let (result, removed) = try writer.withLock { (state) throws(LogError) -> (RetentionResult, [String]) in
            try failingLog(&state) { (state) throws(LogError) -> (RetentionResult, [String]) in
                try deleteOldSegmentsLocked(&state, now: now)
            }
        }
        if !result.deletedSegmentBaseOffsets.isEmpty {
            logger.info(
                "deleted segments by retention",
                metadata: [
                    "partition": "\(topicPartition)", "segments": "\(result.deletedSegmentBaseOffsets.count)",
                    "bytes": "\(result.deletedBytes)", "logStartOffset": "\(result.logStartOffset)",
                ])
        }
        try SegmentFiles.unlink(removed)
        return result
    }

    private func deleteOldSegmentsLocked(_ state: inout LogWriterState, now: TimestampMs) throws(LogError) -> (
        RetentionResult, [String]
    ) {
        let highWatermark = published.withLock { $0.highWatermark }
        let config = state.config
        var count = 0  // segments of `state.sealed + [active]` to delete, a prefix
        let sizes = state.sealed.map(\.sizeBytes) + [state.active.sizeBytes]
        let bases = state.sealed.map(\.baseOffset) + [state.active.baseOffset]
        let stamps = state.sealed.map(\.retentionTimestampMs) + [activeRetentionTimestampMs(state.active)]
        let logEndOffset = state.active.nextOffset
        func deletable(_ i: Int) -> Bool {
            let upperBound = i + 1 < bases.count ? bases[i + 1] : logEndOffset
            let isEmptyActive = i == bases.count - 1 && sizes[i] == 0
            return highWatermark >= upperBound && !isEmptyActive
        }
        if config.retentionMs >= 0 {
            while count < bases.count, deletable(count), now.rawValue - stamps[count] > config.retentionMs {
                count += 1
            }
        }
        if config.retentionBytes >= 0 {
            var excess = Int64(sizes[count...].reduce(0, +)) - config.retentionBytes
            while count < bases.count, deletable(count), excess - Int64(sizes[count]) >= 0 {
                excess -= Int64(sizes[count])
                count += 1
            }
        }
        while count + 1 < bases.count, deletable(count), bases[count + 1] <= state.logStartOffset { count += 1 }
        guard count > 0 else { return (RetentionResult(logStartOffset: state.logStartOffset), []) }
        if count == bases.count {
            try rollLocked(&state, newBaseOffset: logEndOffset, nowMs: now.rawValue)
        }
        var result = RetentionResult(logStartOffset: state.logStartOffset)
        var removed: [String] = []
        for segment in state.sealed.prefix(count) {
            removed += try SegmentFiles.markDeleted(directory: directory, baseOffset: segment.baseOffset)
            result.deletedSegmentBaseOffsets.append(segment.baseOffset)
            result.deletedBytes += segment.sizeBytes
        }
        state.sealed.removeFirst(count)
        let firstBase = state.sealed.first?.baseOffset ?? state.active.baseOffset
        state.logStartOffset = max(state.logStartOffset, firstBase)
        if state.epochCache.truncateFromStart(startOffset: state.logStartOffset) { state.epochCacheVersion += 1 }
        state.recoveryPoint = max(state.recoveryPoint, firstBase)
        state.directorySyncNeeded = true
        publish(state)
        result.logStartOffset = state.logStartOffset
        return (result, removed)
    }

    private func activeRetentionTimestampMs(_ active: ActiveSegment) -> Int64 {
        active.index.maxTimestamp.rawValue >= 0 ? active.index.maxTimestamp.rawValue : active.createdAtMs
    }

    /// Moves the log start offset up to `offset` (DeleteRecords): offsets below it can no longer be read, and the
    /// next ``deleteOldSegments(now:)`` removes the segments wholly below it. A lower offset is a no-op.
    ///
    /// - Throws: `.offsetOutOfRange` when `offset` is above the high watermark.
    public func advanceLogStartOffset(to offset: Offset) throws(LogError) {
        try writer.withLock { (state) throws(LogError) in
            let highWatermark = published.withLock { $0.highWatermark }
            guard offset <= highWatermark else {
                throw LogError(
                    .offsetOutOfRange,
                    "\(topicPartition): cannot move the log start offset to \(offset), above the high watermark "
                        + "\(highWatermark)")
            }
            guard offset > state.logStartOffset else { return }
            state.logStartOffset = offset
            if state.epochCache.truncateFromStart(startOffset: offset) { state.epochCacheVersion += 1 }
            publish(state)
        }
    }
}
