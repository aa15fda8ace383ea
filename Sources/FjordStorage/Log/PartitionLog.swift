import FjordModel
import Logging
import Synchronization

/// One partition's log on disk: a directory `<topic>-<partition>` of segments, appended by one writer while any
/// number of readers fetch from it.
///
/// Terms (Kafka's): the *log start offset* is the first offset a reader may ask for; the *log end offset* (LEO) is
/// the offset the next batch gets; the *high watermark* is the replication layer's committed bound, stored here so
/// that it is checkpointed and bounds retention; the *recovery point* is the offset below which everything was
/// flushed, so recovery after a crash scans only what lies above it.
///
/// Invariants: `firstSegment.baseOffset <= logStartOffset <= highWatermark <= logEndOffset`; segments have
/// increasing base offsets and every batch lies in the segment with the greatest base offset at or below its base
/// offset; `recoveryPoint <= logEndOffset`; each segment's files hold whole batches only.
///
/// Concurrency and ownership:
/// - The *writer lock* (`writer`) owns every mutable part: the active segment, the segment list, the leader-epoch
///   cache, the offsets. Appends, rolls, truncation, retention and the bookkeeping of flushes take it. An append
///   holds it across one `pwrite` into the page cache and no fsync.
/// - The *view lock* (`published`) guards the ``LogView`` snapshot readers copy; it is held only to copy or replace
///   the snapshot, never across I/O. Lock order: writer, then view. Reads take the view lock once per read, never
///   per record, and do their I/O outside any lock.
/// - Flush (`fdatasync`) runs outside the writer lock on the caller's thread; callers keep it off event loops.
/// - Files of removed segments are renamed to `.deleted` under the writer lock and unlinked after it; descriptors
///   are closed only when the last segment object or read result holding them is released.
public final class PartitionLog: Sendable {
    public let topicPartition: TopicPartition
    /// The partition's directory.
    public let directory: String
    let logger: Logger
    let writer: LogLock<LogWriterState>
    let published: LogLock<LogView>
    /// The version of the leader-epoch cache last written to its checkpoint file; writers of that file hold it.
    let epochCheckpointVersion: LogLock<Int>

    init(
        topicPartition: TopicPartition, directory: String, state: LogWriterState, highWatermark: Offset,
        epochCheckpointVersion: Int, logger: Logger
    ) {
        self.topicPartition = topicPartition
        self.directory = directory
        self.logger = logger
        let view = LogView(
            config: state.config, sealed: state.sealed, active: state.active.view, logStartOffset: state.logStartOffset,
            highWatermark: min(max(highWatermark, state.logStartOffset), state.active.nextOffset),
            recoveryPoint: state.recoveryPoint, epochCache: state.epochCache, isClosed: state.isClosed)
        self.writer = LogLock(state)
        self.published = LogLock(view)
        self.epochCheckpointVersion = LogLock(epochCheckpointVersion)
    }

    /// Copies the current snapshot (one short lock).
    var view: LogView { published.withLock { $0 } }

    /// Replaces the readers' snapshot with the writer's state; the high watermark is clamped into
    /// `logStartOffset...logEndOffset`. Called with the writer lock held.
    func publish(_ state: borrowing LogWriterState) {
        let active = state.active.view
        published.withLock { view in
            view.config = state.config
            view.sealed = state.sealed
            view.active = active
            view.logStartOffset = state.logStartOffset
            view.recoveryPoint = state.recoveryPoint
            view.epochCache = state.epochCache
            view.isClosed = state.isClosed
            view.highWatermark = min(max(view.highWatermark, state.logStartOffset), active.nextOffset)
        }
    }

    public var logStartOffset: Offset { view.logStartOffset }
    public var logEndOffset: Offset { view.logEndOffset }
    public var highWatermark: Offset { view.highWatermark }
    public var recoveryPoint: Offset { view.recoveryPoint }
    public var config: LogConfig { view.config }
    public var leaderEpochCache: LeaderEpochCache { view.epochCache }
    public var latestEpoch: LeaderEpoch? { view.epochCache.latestEpoch }
    /// The base offset of the segment being appended to.
    public var activeSegmentBaseOffset: Offset { view.active.baseOffset }
    /// Base offsets of all segments, oldest first.
    public var segmentBaseOffsets: [Offset] { let v = view; return v.sealed.map(\.baseOffset) + [v.active.baseOffset] }
    /// Bytes of all segments.
    public var sizeBytes: Int { view.sizeBytes }

    /// The end offset of `epoch` (KIP-279; see ``LeaderEpochCache/endOffset(for:logEndOffset:)``), answered from a
    /// consistent snapshot of the cache and the log end offset.
    public func endOffset(for epoch: LeaderEpoch) -> (epoch: LeaderEpoch, endOffset: Offset) {
        let v = view
        return v.epochCache.endOffset(for: epoch, logEndOffset: v.logEndOffset)
    }

    /// Sets the high watermark, clamped into `logStartOffset...logEndOffset`; returns the value stored. The
    /// replication layer owns the high watermark's logic; the log keeps it for checkpoints and retention.
    @discardableResult
    public func updateHighWatermark(_ offset: Offset) -> Offset {
        published.withLock { view in
            view.highWatermark = min(max(offset, view.logStartOffset), view.logEndOffset)
            return view.highWatermark
        }
    }

    /// Replaces the log's configuration (a topic config change). Takes effect at the next append or retention pass.
    public func updateConfig(_ config: LogConfig) throws(LogError) {
        if let problem = config.validationError { throw LogError(.invalidRecord, "invalid log config: \(problem)") }
        writer.withLock { state in
            state.config = config
            publish(state)
        }
    }

    /// Writes pending index entries and refuses further appends. Readers holding results keep working. Does not
    /// flush: ``LogManager/close()`` flushes first.
    public func close() throws(LogError) {
        try writer.withLock { (state) throws(LogError) in
            guard !state.isClosed else { return }
            state.isClosed = true
            try state.active.writePendingIndexEntries()
            publish(state)
        }
    }
}

/// Everything the log's writer owns, under the writer lock.
struct LogWriterState: Sendable {
    var config: LogConfig
    var sealed: [SealedSegment]
    var active: ActiveSegment
    var logStartOffset: Offset
    var recoveryPoint: Offset
    var epochCache: LeaderEpochCache
    /// Bumped on every change of ``epochCache``; compared with the checkpointed version.
    var epochCacheVersion: Int
    /// Bumped by every truncation, so a flush that raced one does not move the recovery point.
    var truncationCount = 0
    /// Records appended since the last flush (`flush.messages`).
    var unflushedRecords: Int64 = 0
    /// The end of the last data sync (`syncData`): everything below it is on stable storage. Lowered by truncation.
    var syncedOffset: Offset = .zero
    var lastFlushMs: Int64
    /// A segment file was created or removed since the directory was last synced.
    var directorySyncNeeded = false
    var isClosed = false

    mutating func assignEpoch(_ epoch: LeaderEpoch, startOffset: Offset) {
        if epoch.rawValue >= 0, epoch > (epochCache.latestEpoch ?? .none),
            epochCache.assign(epoch: epoch, startOffset: startOffset)
        {
            epochCacheVersion += 1
        }
    }
}
