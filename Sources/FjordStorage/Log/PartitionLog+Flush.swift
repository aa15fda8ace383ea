import FjordModel

extension PartitionLog {
    /// Forces the log up to `offset` (default: the log end offset) to disk and moves the recovery point there:
    /// writes the active segment's pending index entries, `fdatasync`s the log and index files of every segment
    /// holding offsets between the recovery point and `offset`, syncs the directory if segments were created or
    /// removed, and writes the leader-epoch checkpoint if it changed, all before the recovery point moves.
    ///
    /// Blocks for as long as the disk takes: call it off the event loops. Appends continue meanwhile; a truncation
    /// racing the flush leaves the recovery point where the truncation put it.
    public func flush(upTo offset: Offset? = nil, now: TimestampMs = .now()) throws(LogError) {
        let plan = try writer.withLock { (state) throws(LogError) -> FlushPlan? in
            let end = state.active.nextOffset
            let target = min(offset ?? end, end)
            let epochDirty = state.epochCacheVersion > epochCheckpointVersion.withLock { $0 }
            let indexPending = state.active.hasPendingIndexEntries
            guard target > state.recoveryPoint || state.directorySyncNeeded || epochDirty || indexPending else {
                state.lastFlushMs = now.rawValue
                return nil
            }
            try state.active.writePendingIndexEntries()
            var files: [LogFileHandle] = []
            for segment in state.sealed where segment.nextOffset > state.recoveryPoint && segment.baseOffset < target {
                files += [segment.logFile, segment.offsetIndexFile, segment.timeIndexFile]
            }
            if state.active.baseOffset < target {
                files += [state.active.logFile, state.active.offsetIndexFile, state.active.timeIndexFile]
            } else if indexPending {
                files += [state.active.offsetIndexFile, state.active.timeIndexFile]
            }
            let plan = FlushPlan(
                target: target, files: files, syncDirectory: state.directorySyncNeeded,
                epochEntries: state.epochCache.entries, epochVersion: state.epochCacheVersion,
                truncationCount: state.truncationCount, unflushedRecords: state.unflushedRecords)
            state.directorySyncNeeded = false
            return plan
        }
        guard let plan else { return }
        do {
            for file in plan.files { try file.dataSync() }
            if plan.syncDirectory { try FileSystem.syncDirectory(directory) }
            try writeEpochCheckpoint(plan.epochEntries, version: plan.epochVersion)
        } catch {
            if plan.syncDirectory { writer.withLock { $0.directorySyncNeeded = true } }
            throw error
        }
        writer.withLock { state in
            if state.truncationCount == plan.truncationCount {
                state.recoveryPoint = max(state.recoveryPoint, plan.target)
            }
            state.unflushedRecords = max(0, state.unflushedRecords - plan.unflushedRecords)
            state.lastFlushMs = now.rawValue
            publish(state)
        }
    }

    /// The offset the flush policy wants flushed now, or `nil`: the log end offset when `flush.messages` records
    /// were appended since the last flush or `flush.ms` elapsed with unflushed records; else the active segment's
    /// base offset when a sealed segment is not yet flushed (Kafka flushes a segment soon after rolling it, whatever
    /// the policy). The caller passes it to ``flush(upTo:now:)``, off the event loops.
    public func dueFlushOffset(now: TimestampMs = .now()) -> Offset? {
        writer.withLock { state in
            let end = state.active.nextOffset
            guard end > state.recoveryPoint else { return nil }
            if (!state.config.syncsBeforeAcknowledge && state.unflushedRecords >= state.config.flushMessages)
                || (state.config.flushMs != .max && now.rawValue - state.lastFlushMs >= state.config.flushMs)
            {
                return end
            }
            return state.recoveryPoint < state.active.baseOffset ? state.active.baseOffset : nil
        }
    }
}

struct FlushPlan: Sendable {
    var target: Offset
    var files: [LogFileHandle]
    var syncDirectory: Bool
    var epochEntries: [LeaderEpochCache.Entry]
    var epochVersion: Int
    var truncationCount: Int
    var unflushedRecords: Int64
}
