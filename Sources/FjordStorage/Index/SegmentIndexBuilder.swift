import FjordModel

/// The in-memory state of a segment that is being written: its sparse indexes, size, next offset and max
/// timestamp, advanced one batch at a time by one rule shared by appends and by recovery, so that an index
/// rebuilt from the log is exactly the index the appends produced.
///
/// The rule, per batch appended at `position` (Kafka's, applied per batch rather than per request):
/// 1. if the batch's max timestamp is above the segment's, it becomes the segment's max, at the batch's last offset;
/// 2. if more than `indexIntervalBytes` were written since the last offset index entry, add
///    `(batch.lastOffset, position)` to the offset index and `(maxTimestamp, offsetOfMaxTimestamp)` to the time
///    index when that timestamp is above the time index's last one;
/// 3. the batch's bytes count towards the next entry.
/// Sealing the segment adds a final time index entry for the segment's max timestamp, so that a sealed segment's
/// max timestamp is its time index's last entry.
///
/// Pure: no I/O. Owned by the log's writer.
struct SegmentIndexBuilder: Sendable {
    let baseOffset: Offset
    let indexIntervalBytes: Int
    private(set) var offsetIndex = GrowableIndex<OffsetIndexEntry>()
    private(set) var timeIndex = GrowableIndex<TimeIndexEntry>()
    /// Bytes of the segment, which is where the next batch goes.
    private(set) var sizeBytes = 0
    /// The offset after the last batch (the base offset while empty).
    private(set) var nextOffset: Offset
    private(set) var maxTimestamp = TimestampMs.none
    /// The last offset of the first batch that carried ``maxTimestamp`` (`.none` while no batch had a timestamp).
    private(set) var offsetOfMaxTimestamp = Offset.none
    /// The max timestamp of the first batch (drives time-based rolling), `nil` while empty.
    private(set) var firstBatchMaxTimestamp: TimestampMs?
    private var bytesSinceLastIndexEntry = 0

    init(baseOffset: Offset, indexIntervalBytes: Int) {
        self.baseOffset = baseOffset
        self.indexIntervalBytes = indexIntervalBytes
        self.nextOffset = baseOffset
    }

    var isEmpty: Bool { sizeBytes == 0 }

    /// Whether `offset` fits the 32-bit relative offsets of this segment's indexes.
    func canHold(offset: Offset) -> Bool {
        let relative = offset - baseOffset
        return relative >= 0 && relative <= Int64(Int32.max)
    }

    func relative(_ offset: Offset) -> UInt32 {
        precondition(canHold(offset: offset), "offset \(offset) outside segment \(baseOffset)'s 32-bit range")
        return UInt32(offset - baseOffset)
    }

    /// Accounts for `batch`, written at the end of the segment.
    mutating func append(_ batch: BatchSummary) {
        precondition(
            batch.baseOffset >= nextOffset && canHold(offset: batch.lastOffset),
            "batch \(batch.baseOffset)...\(batch.lastOffset) appended at next offset \(nextOffset), base \(baseOffset)")
        let position = sizeBytes
        if batch.maxTimestamp > maxTimestamp {
            maxTimestamp = batch.maxTimestamp
            offsetOfMaxTimestamp = batch.lastOffset
        }
        if bytesSinceLastIndexEntry > indexIntervalBytes {
            offsetIndex.append(OffsetIndexEntry(relativeOffset: relative(batch.lastOffset), position: UInt32(position)))
            appendTimeEntryIfNewer()
            bytesSinceLastIndexEntry = 0
        }
        bytesSinceLastIndexEntry += batch.sizeBytes
        sizeBytes += batch.sizeBytes
        nextOffset = batch.nextOffset
        if firstBatchMaxTimestamp == nil { firstBatchMaxTimestamp = batch.maxTimestamp }
    }

    /// Adds the final time index entry of a segment that stops being active.
    mutating func seal() {
        appendTimeEntryIfNewer()
    }

    private mutating func appendTimeEntryIfNewer() {
        guard maxTimestamp > (timeIndex.last?.timestamp ?? .none) else { return }
        timeIndex.append(TimeIndexEntry(timestamp: maxTimestamp, relativeOffset: relative(offsetOfMaxTimestamp)))
    }

    /// Rebuilds the state of a segment from index entries known to be good and the batches from the last offset
    /// index entry's position to the end (`tail`, in order, the first one being the batch that entry points at, or
    /// every batch when there is no entry). Entries missing after that point are added by the normal rule.
    static func restore(
        baseOffset: Offset, indexIntervalBytes: Int, offsetIndex: GrowableIndex<OffsetIndexEntry>,
        timeIndex: GrowableIndex<TimeIndexEntry>, firstBatch: BatchSummary?, tail: [BatchSummary]
    ) -> SegmentIndexBuilder {
        var builder = SegmentIndexBuilder(baseOffset: baseOffset, indexIntervalBytes: indexIntervalBytes)
        builder.offsetIndex = offsetIndex
        builder.timeIndex = timeIndex
        if let last = timeIndex.last {
            builder.maxTimestamp = last.timestamp
            builder.offsetOfMaxTimestamp = baseOffset + Int64(last.relativeOffset)
        }
        builder.firstBatchMaxTimestamp = firstBatch?.maxTimestamp
        var batches = tail[...]
        if let lastEntry = offsetIndex.last, let indexed = batches.popFirst() {
            // The batch the last entry points at: already indexed, so it only contributes bytes and a timestamp.
            builder.sizeBytes = Int(lastEntry.position)
            builder.nextOffset = indexed.baseOffset
            if indexed.maxTimestamp > builder.maxTimestamp {
                builder.maxTimestamp = indexed.maxTimestamp
                builder.offsetOfMaxTimestamp = indexed.lastOffset
            }
            builder.bytesSinceLastIndexEntry = indexed.sizeBytes
            builder.sizeBytes += indexed.sizeBytes
            builder.nextOffset = indexed.nextOffset
        }
        for batch in batches { builder.append(batch) }
        return builder
    }
}
