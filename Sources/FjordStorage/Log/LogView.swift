import FjordModel

/// The immutable snapshot of a log that readers work from, replaced by the writer after every change.
///
/// Readers copy it under the log's view lock (a few reference-count increments) and then read without any lock:
/// every segment, file handle and index entry it names stays valid and unchanged for as long as the copy lives.
struct LogView: Sendable {
    var config: LogConfig
    /// Sealed segments in base offset order, all below ``active``.
    var sealed: [SealedSegment]
    var active: ActiveSegmentView
    var logStartOffset: Offset
    var highWatermark: Offset
    var recoveryPoint: Offset
    var epochCache: LeaderEpochCache
    var isClosed: Bool

    var logEndOffset: Offset { active.nextOffset }

    var segmentCount: Int { sealed.count + 1 }

    func segment(at index: Int) -> SegmentSnapshot {
        index < sealed.count ? .sealed(sealed[index]) : .active(active)
    }

    /// The index of the last segment whose base offset is at or below `offset` (0 when `offset` is below all).
    func floorSegmentIndex(_ offset: Offset) -> Int {
        if offset >= active.baseOffset { return sealed.count }
        var low = 0
        var high = sealed.count  // sealed[..<low] have base <= offset, sealed[high...] have base > offset
        while low < high {
            let middle = low + (high - low) / 2
            if sealed[middle].baseOffset <= offset { low = middle + 1 } else { high = middle }
        }
        return max(0, low - 1)
    }

    var sizeBytes: Int { sealed.reduce(active.sizeBytes) { $0 + $1.sizeBytes } }
}
