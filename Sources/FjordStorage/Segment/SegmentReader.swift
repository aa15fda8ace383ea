import FjordModel
import KafkaWire

/// Reads within one segment: finds the batch holding an offset or a timestamp, and the run of whole batches a fetch
/// returns. Generic over active and sealed segments; costs one index search plus a short header walk (about one
/// `index.interval.bytes` of batches) per bound.
enum SegmentReader {
    /// What a fetch gets from one segment.
    enum Outcome: Sendable {
        /// No batch of the segment reaches the offset: try the next segment.
        case notInSegment
        /// The batch holding the offset lies past `maxOffset`, or past `maxBytes` without `minOneBatch`: nothing.
        case bounded
        /// Whole batches at `position..<position + lengthBytes`, the first being `first`.
        case batches(position: Int, lengthBytes: Int, first: RecordBatchHeader)
    }

    /// The first batch whose last offset is at or above `offset`, with its position.
    static func locate(
        _ segment: some SegmentReadable, offset: Offset, walker: inout BatchHeaderWalker
    ) throws(LogError) -> (position: Int, header: RecordBatchHeader)? {
        let target = offset - segment.baseOffset
        var position = 0
        var expected: Offset?
        if target >= 0, let entry = try segment.offsetEntries.lastEntry(where: { Int64($0.relativeOffset) <= target }) {
            position = try checkedPosition(entry, in: segment)
            expected = segment.baseOffset + Int64(entry.relativeOffset)
        }
        while let header = try walker.header(at: position) {
            if let wanted = expected {
                guard header.lastOffset == wanted else { throw inconsistentIndex(segment, at: position) }
                expected = nil
            }
            if header.lastOffset >= offset { return (position, header) }
            position += header.totalSize
        }
        return nil
    }

    /// Whole batches from the one holding `offset`: at most `maxBytes` of them (or the first alone, however large,
    /// when `minOneBatch`), and only batches that end below `maxOffset` (exclusive, e.g. the high watermark).
    static func read(
        _ segment: some SegmentReadable, from offset: Offset, maxBytes: Int, maxOffset: Offset, minOneBatch: Bool
    ) throws(LogError) -> Outcome {
        var walker = BatchHeaderWalker(file: segment.logFile, endPosition: segment.sizeBytes)
        guard let (start, first) = try locate(segment, offset: offset, walker: &walker) else { return .notInSegment }
        if first.lastOffset >= maxOffset { return .bounded }
        let byteLimit = maxBytes >= segment.sizeBytes - start ? segment.sizeBytes : start + max(0, maxBytes)
        var end = start + first.totalSize
        if end > byteLimit {
            return minOneBatch ? .batches(position: start, lengthBytes: first.totalSize, first: first) : .bounded
        }
        // Jump to the last indexed batch start inside both bounds (every batch before it qualifies), then walk.
        let maxRelative = maxOffset - segment.baseOffset
        if let entry = try segment.offsetEntries.lastEntry(where: {
            Int($0.position) <= byteLimit && Int64($0.relativeOffset) < maxRelative
        }) {
            end = max(end, try checkedPosition(entry, in: segment))
        }
        while let header = try walker.header(at: end), end + header.totalSize <= byteLimit,
            header.lastOffset < maxOffset
        {
            end += header.totalSize
        }
        return .batches(position: start, lengthBytes: end - start, first: first)
    }

    /// The first batch at or after `startingOffset` whose max timestamp is at or above `timestamp`.
    static func findBatch(
        _ segment: some SegmentReadable, timestampAtLeast timestamp: TimestampMs, startingOffset: Offset
    ) throws(LogError) -> (position: Int, header: RecordBatchHeader)? {
        var from = max(startingOffset, segment.baseOffset)
        if let entry = try segment.timeEntries.lastEntry(where: { $0.timestamp <= timestamp }) {
            from = max(from, segment.baseOffset + Int64(entry.relativeOffset))
        }
        var walker = BatchHeaderWalker(file: segment.logFile, endPosition: segment.sizeBytes)
        guard var (position, header) = try locate(segment, offset: from, walker: &walker) else { return nil }
        while header.maxTimestamp < timestamp {
            position += header.totalSize
            guard let next = try walker.header(at: position) else { return nil }
            header = next
        }
        return (position, header)
    }

    private static func checkedPosition(_ entry: OffsetIndexEntry, in segment: some SegmentReadable) throws(LogError)
        -> Int
    {
        let position = Int(entry.position)
        guard position < segment.sizeBytes else { throw inconsistentIndex(segment, at: position) }
        return position
    }

    private static func inconsistentIndex(_ segment: some SegmentReadable, at position: Int) -> LogError {
        LogError(
            .storage,
            "offset index of segment \(segment.baseOffset) (\(segment.logFile.path)) is inconsistent with the log "
                + "at position \(position); restart the broker to rebuild it")
    }
}
