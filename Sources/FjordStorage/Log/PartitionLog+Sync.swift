import FjordModel
import NIOCore

/// Durability for `flush.messages=1` (``LogConfig/syncsBeforeAcknowledge``): the log data up to an offset reaches
/// stable storage before the append is acknowledged, and appends that arrive while one sync runs share the next one
/// (group commit, ``GroupCommitFlusher``).
///
/// A *data sync* is lighter than a ``flush(upTo:now:)``: it `fdatasync`s only the `.log` files holding the offsets
/// between the durable offset and the log end offset (and the directory when segments were created or removed),
/// not the index files or the leader-epoch checkpoint, and it does not move the recovery point. That is enough for
/// durability: recovery scans every batch past the recovery point, checks its CRC and rebuilds the indexes and the
/// epoch cache from the batches, so every synced batch is found again after a crash. The recovery point still moves
/// at full flushes (a sealed segment, `flush.ms`, close).
extension PartitionLog {
    /// The offset below which every batch is on stable storage: the larger of the recovery point (moved by full
    /// flushes) and the end of the last data sync. Never above the log end offset; lowered by truncation.
    public var durableOffset: Offset {
        writer.withLock { max($0.recoveryPoint, $0.syncedOffset) }
    }

    /// `fdatasync`s the log files holding offsets from the durable offset up to the log end offset as it is when the
    /// call starts (plus the directory if segments were created or removed), then returns the new durable offset.
    ///
    /// Blocks for as long as the disk takes: call it off the event loops (``GroupCommitFlusher`` does). Appends go on
    /// meanwhile; a truncation racing the sync leaves the durable offset where the truncation put it.
    @discardableResult
    public func syncData() throws(LogError) -> Offset {
        let plan = writer.withLock { (state) -> SyncPlan? in
            let end = state.active.nextOffset
            let from = max(state.recoveryPoint, state.syncedOffset)
            guard end > from || state.directorySyncNeeded else { return nil }
            var files: [LogFileHandle] = []
            if end > from && state.active.nextOffset > state.active.baseOffset {
                files.append(state.active.logFile)
            }
            // Sealed segments past the durable offset: only the newest few, so walk back from the end.
            var index = state.sealed.count - 1
            while index >= 0, state.sealed[index].nextOffset > from {
                files.append(state.sealed[index].logFile)
                index -= 1
            }
            let plan = SyncPlan(
                target: end, files: files, syncDirectory: state.directorySyncNeeded,
                truncationCount: state.truncationCount)
            state.directorySyncNeeded = false
            return plan
        }
        guard let plan else { return durableOffset }
        do {
            for file in plan.files { try file.dataSync() }
            if plan.syncDirectory { try FileSystem.syncDirectory(directory) }
        } catch {
            if plan.syncDirectory { writer.withLock { $0.directorySyncNeeded = true } }
            throw error
        }
        return writer.withLock { state in
            if state.truncationCount == plan.truncationCount {
                state.syncedOffset = max(state.syncedOffset, plan.target)
            }
            return max(state.recoveryPoint, state.syncedOffset)
        }
    }

    /// Calls `completion` once every offset below `offset` is on stable storage (at once when it already is),
    /// sharing syncs with every other caller waiting on this log (group commit on ``GroupCommitFlusher/shared``).
    /// Fails with `.storage` when a sync fails, and when the log was truncated below `offset` meanwhile.
    /// `completion` runs on a flusher thread (or the caller's, when already durable): keep it short.
    public func whenDurable(
        upTo offset: Offset, flusher: GroupCommitFlusher = .shared,
        _ completion: @escaping @Sendable (Result<Void, LogError>) -> Void
    ) {
        flusher.enqueue(self, upTo: offset, completion)
    }

    /// ``whenDurable(upTo:flusher:_:)`` as a future completed on `eventLoop`.
    public func whenDurable(upTo offset: Offset, on eventLoop: any EventLoop, flusher: GroupCommitFlusher = .shared)
        -> EventLoopFuture<Void>
    {
        let promise = eventLoop.makePromise(of: Void.self)
        whenDurable(upTo: offset, flusher: flusher) { result in promise.completeWith(result.mapError { $0 }) }
        return promise.futureResult
    }

    /// Waits until each log is durable up to its offset (the syncs of different logs run in parallel) and returns
    /// the logs whose sync failed, with the error.
    public static func whenDurable(
        _ targets: [(log: PartitionLog, offset: Offset)], on eventLoop: any EventLoop,
        flusher: GroupCommitFlusher = .shared
    ) -> EventLoopFuture<[TopicPartition: LogError]> {
        guard !targets.isEmpty else { return eventLoop.makeSucceededFuture([:]) }
        let futures = targets.map { target in
            target.log.whenDurable(upTo: target.offset, on: eventLoop, flusher: flusher)
                .map { LogError?.none }
                .recover { error in (error as? LogError) ?? LogError(.storage, "\(error)") }
                .map { (target.log.topicPartition, $0) }
        }
        return EventLoopFuture.whenAllSucceed(futures, on: eventLoop).map { outcomes in
            var failed: [TopicPartition: LogError] = [:]
            for (topicPartition, error) in outcomes { if let error { failed[topicPartition] = error } }
            return failed
        }
    }

    /// Suspends until each log is durable up to its offset; returns the logs whose sync failed, with the error.
    public static func waitUntilDurable(
        _ targets: [(log: PartitionLog, offset: Offset)], flusher: GroupCommitFlusher = .shared
    ) async -> [TopicPartition: LogError] {
        var failed: [TopicPartition: LogError] = [:]
        await withTaskGroup(of: (TopicPartition, LogError?).self) { group in
            for target in targets {
                group.addTask {
                    await withCheckedContinuation { continuation in
                        target.log.whenDurable(upTo: target.offset, flusher: flusher) { result in
                            switch result {
                            case .success: continuation.resume(returning: (target.log.topicPartition, nil))
                            case .failure(let error):
                                continuation.resume(returning: (target.log.topicPartition, error))
                            }
                        }
                    }
                }
            }
            for await (topicPartition, error) in group { if let error { failed[topicPartition] = error } }
        }
        return failed
    }
}

struct SyncPlan: Sendable {
    var target: Offset
    var files: [LogFileHandle]
    var syncDirectory: Bool
    var truncationCount: Int
}
