import FjordModel

extension PartitionLog {
    /// Removes every batch whose last offset is at or above `offset` (a follower truncating after a leader change,
    /// by leader epoch): later segments are deleted, the segment holding `offset` is cut at the start of the batch
    /// holding it, and its indexes are cut to match. Afterwards the log end offset is at or below `offset` (below
    /// only when `offset` fell inside a batch: batches go whole). The leader-epoch cache drops the epochs starting at
    /// or after the new end, and its checkpoint is written before this returns.
    ///
    /// - Returns: whether anything was removed.
    @discardableResult
    public func truncate(to offset: Offset, now: TimestampMs = .now()) throws(LogError) -> Bool {
        let outcome = try writer.withLock { (state) throws(LogError) -> TruncationOutcome? in
            try failingLog(&state) { (state) throws(LogError) -> TruncationOutcome? in
                try truncateLocked(&state, to: offset, nowMs: now.rawValue)
            }
        }
        guard let outcome else { return false }
        logger.info(
            "truncated log",
            metadata: ["partition": "\(topicPartition)", "to": "\(offset)", "logEndOffset": "\(logEndOffset)"])
        try SegmentFiles.unlink(outcome.removedFiles)
        try writeEpochCheckpoint(outcome.epochEntries, version: outcome.epochVersion)
        return true
    }

    private func truncateLocked(_ state: inout LogWriterState, to offset: Offset, nowMs: Int64) throws(LogError)
        -> TruncationOutcome?
    {
        guard offset < state.active.nextOffset else {
            // Nothing to cut from the log, but an epoch that starts exactly at its end (a leadership that appended
            // nothing) must still go, or a follower keeps offering it as its last fetched epoch and the leader keeps
            // answering "diverging" forever (Kafka truncates the epoch cache in this case too).
            let end = state.active.nextOffset
            guard offset == end, state.epochCache.truncateFromEnd(endOffset: end) else { return nil }
            state.epochCacheVersion += 1
            publish(state)
            return TruncationOutcome(
                removedFiles: [], epochEntries: state.epochCache.entries, epochVersion: state.epochCacheVersion)
        }
        let firstBase = state.sealed.first?.baseOffset ?? state.active.baseOffset
        if offset < firstBase { return try truncateFullyLocked(&state, startAt: offset, nowMs: nowMs) }
        var removed: [String] = []
        let keep = state.sealed.lastIndex(where: { $0.baseOffset <= offset })
        if offset < state.active.baseOffset, let keep {
            // The truncation point is in a sealed segment: it becomes the active one again.
            let reopened = state.sealed[keep]
            var active = try ActiveSegment.reactivate(
                reopened, indexIntervalBytes: state.config.indexIntervalBytes, nowMs: nowMs)
            try active.truncate(to: offset)
            for segment in state.sealed[(keep + 1)...] {
                removed += try SegmentFiles.markDeleted(directory: directory, baseOffset: segment.baseOffset)
            }
            removed += try SegmentFiles.markDeleted(directory: directory, baseOffset: state.active.baseOffset)
            state.sealed.removeSubrange(keep...)
            state.active = active
            state.directorySyncNeeded = true
        } else {
            try state.active.truncate(to: offset)
        }
        let end = state.active.nextOffset
        if state.epochCache.truncateFromEnd(endOffset: end) { state.epochCacheVersion += 1 }
        state.logStartOffset = min(state.logStartOffset, end)
        state.recoveryPoint = min(state.recoveryPoint, end)
        state.syncedOffset = min(state.syncedOffset, end)
        state.truncationCount += 1
        publish(state)
        return TruncationOutcome(
            removedFiles: removed, epochEntries: state.epochCache.entries, epochVersion: state.epochCacheVersion)
    }

    /// Deletes every segment and restarts the log empty at `offset`, which becomes its start, end and recovery
    /// point (a follower whose fetch offset fell out of the leader's range). Clears the leader-epoch cache.
    public func truncateFullyAndStartAt(_ offset: Offset, now: TimestampMs = .now()) throws(LogError) {
        let outcome = try writer.withLock { (state) throws(LogError) -> TruncationOutcome in
            try failingLog(&state) { (state) throws(LogError) -> TruncationOutcome in
                try truncateFullyLocked(&state, startAt: offset, nowMs: now.rawValue)
            }
        }
        logger.info("truncated log fully", metadata: ["partition": "\(topicPartition)", "startAt": "\(offset)"])
        try SegmentFiles.unlink(outcome.removedFiles)
        try writeEpochCheckpoint(outcome.epochEntries, version: outcome.epochVersion)
    }

    private func truncateFullyLocked(_ state: inout LogWriterState, startAt offset: Offset, nowMs: Int64)
        throws(LogError) -> TruncationOutcome
    {
        precondition(offset.rawValue >= 0, "\(topicPartition): truncate fully to negative offset \(offset)")
        var removed: [String] = []
        for segment in state.sealed {
            removed += try SegmentFiles.markDeleted(directory: directory, baseOffset: segment.baseOffset)
        }
        removed += try SegmentFiles.markDeleted(directory: directory, baseOffset: state.active.baseOffset)
        state.active = try ActiveSegment.create(
            directory: directory, baseOffset: offset, indexIntervalBytes: state.config.indexIntervalBytes, nowMs: nowMs)
        state.sealed = []
        state.logStartOffset = offset
        state.recoveryPoint = offset
        state.syncedOffset = offset
        state.epochCache.clear()
        state.epochCacheVersion += 1
        state.truncationCount += 1
        state.directorySyncNeeded = true
        publish(state)
        return TruncationOutcome(removedFiles: removed, epochEntries: [], epochVersion: state.epochCacheVersion)
    }

    /// Runs a multi-file change of the log; if a system call fails part way, the in-memory state may no longer match
    /// the files, so the log is closed (appends fail with `.closed`, reads of what is published keep working) until
    /// it is reopened, which recovers it from the files (Kafka takes the log directory offline).
    func failingLog<Result>(
        _ state: inout LogWriterState, _ body: (inout LogWriterState) throws(LogError) -> Result
    ) throws(LogError) -> Result {
        do {
            return try body(&state)
        } catch {
            if error.code == .storage {
                state.isClosed = true
                publish(state)
                logger.error(
                    "closing the log after a storage error",
                    metadata: ["partition": "\(topicPartition)", "error": "\(error)"])
            }
            throw error
        }
    }

    /// Writes the leader-epoch checkpoint unless a newer version was already written. Blocks (fsync).
    func writeEpochCheckpoint(_ entries: [LeaderEpochCache.Entry], version: Int) throws(LogError) {
        try epochCheckpointVersion.withLock { (written) throws(LogError) in
            guard version > written else { return }
            try LeaderEpochCheckpointFile(path: "\(directory)/\(LeaderEpochCheckpointFile.fileName)").write(entries)
            written = version
        }
    }
}

struct TruncationOutcome: Sendable {
    var removedFiles: [String]
    var epochEntries: [LeaderEpochCache.Entry]
    var epochVersion: Int
}
