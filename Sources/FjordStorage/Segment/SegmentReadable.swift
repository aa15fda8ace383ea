import FjordModel

/// What a reader needs of a segment, active or sealed: its log file, how many of its bytes to trust, and its
/// indexes. Conformers are immutable snapshots, safe to use from any thread.
protocol SegmentReadable: Sendable {
    associatedtype OffsetEntries: IndexEntrySource<OffsetIndexEntry>
    associatedtype TimeEntries: IndexEntrySource<TimeIndexEntry>

    var baseOffset: Offset { get }
    var logFile: LogFileHandle { get }
    /// Bytes of whole batches; a reader never looks past them.
    var sizeBytes: Int { get }
    /// The offset after the segment's last batch (its base offset when empty).
    var nextOffset: Offset { get }
    /// The largest batch max timestamp in the segment, `.none` when no batch has a timestamp.
    var maxTimestamp: TimestampMs { get }
    /// The last offset of the first batch carrying ``maxTimestamp``.
    var offsetOfMaxTimestamp: Offset { get }
    var offsetEntries: OffsetEntries { get }
    var timeEntries: TimeEntries { get }
}

/// A reader's snapshot of the active segment: the bytes and index entries published by the last append.
struct ActiveSegmentView: SegmentReadable {
    let baseOffset: Offset
    let logFile: LogFileHandle
    let sizeBytes: Int
    let nextOffset: Offset
    let maxTimestamp: TimestampMs
    let offsetOfMaxTimestamp: Offset
    let offsetEntries: IndexEntries<OffsetIndexEntry>
    let timeEntries: IndexEntries<TimeIndexEntry>
}

/// Either kind of segment, as the log's segment list hands them to readers.
enum SegmentSnapshot: Sendable {
    case sealed(SealedSegment)
    case active(ActiveSegmentView)

    var baseOffset: Offset {
        switch self {
        case .sealed(let segment): segment.baseOffset
        case .active(let view): view.baseOffset
        }
    }

    var maxTimestamp: TimestampMs {
        switch self {
        case .sealed(let segment): segment.maxTimestamp
        case .active(let view): view.maxTimestamp
        }
    }
}
