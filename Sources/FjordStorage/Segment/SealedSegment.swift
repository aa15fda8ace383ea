import FjordModel

/// A segment that is no longer appended to: immutable files and facts, shared by the log and its readers.
///
/// Its indexes stay on disk and are searched with `pread` (``FileIndexEntries``); nothing of them is kept in memory.
/// The object owns its three file handles; retention and truncation unlink the files but never close a handle, so a
/// reader holding this object (directly or through a ``LogReadResult``) keeps working.
final class SealedSegment: SegmentReadable {
    let directory: String
    let baseOffset: Offset
    let nextOffset: Offset
    let sizeBytes: Int
    let maxTimestamp: TimestampMs
    let offsetOfMaxTimestamp: Offset
    /// The `.log`'s modification time, which retention uses when no batch has a timestamp.
    let lastModifiedMs: Int64
    let logFile: LogFileHandle
    let offsetIndexFile: LogFileHandle
    let timeIndexFile: LogFileHandle
    let offsetEntries: FileIndexEntries<OffsetIndexEntry>
    let timeEntries: FileIndexEntries<TimeIndexEntry>

    init(
        directory: String, baseOffset: Offset, nextOffset: Offset, sizeBytes: Int, maxTimestamp: TimestampMs,
        offsetOfMaxTimestamp: Offset, lastModifiedMs: Int64, logFile: LogFileHandle, offsetIndexFile: LogFileHandle,
        timeIndexFile: LogFileHandle, offsetEntryCount: Int, timeEntryCount: Int
    ) {
        self.directory = directory
        self.baseOffset = baseOffset
        self.nextOffset = nextOffset
        self.sizeBytes = sizeBytes
        self.maxTimestamp = maxTimestamp
        self.offsetOfMaxTimestamp = offsetOfMaxTimestamp
        self.lastModifiedMs = lastModifiedMs
        self.logFile = logFile
        self.offsetIndexFile = offsetIndexFile
        self.timeIndexFile = timeIndexFile
        self.offsetEntries = FileIndexEntries(file: offsetIndexFile, count: offsetEntryCount)
        self.timeEntries = FileIndexEntries(file: timeIndexFile, count: timeEntryCount)
    }

    /// The timestamp retention compares with `retention.ms`: the max batch timestamp, else the file's mtime.
    var retentionTimestampMs: Int64 { maxTimestamp.rawValue >= 0 ? maxTimestamp.rawValue : lastModifiedMs }

    /// Opens a sealed segment from its files, trusting them after cheap consistency checks: index files made of
    /// whole entries, their first and last entries in range, the last offset entry pointing at a batch that ends at
    /// that offset, the batches after it (at most about `index.interval.bytes` of them) well formed and ending
    /// exactly at the end of the file, and the time index's last entry holding the segment's max timestamp.
    ///
    /// - Returns: `nil` when a check fails: the caller rebuilds the indexes from the log.
    static func open(
        directory: String, baseOffset: Offset, logFile: LogFileHandle, offsetIndexFile: LogFileHandle,
        timeIndexFile: LogFileHandle, indexIntervalBytes: Int
    ) throws(LogError) -> SealedSegment? {
        let logBytes = try logFile.size()
        let offsetIndexBytes = try offsetIndexFile.size()
        let timeIndexBytes = try timeIndexFile.size()
        guard offsetIndexBytes % OffsetIndexEntry.sizeBytes == 0, timeIndexBytes % TimeIndexEntry.sizeBytes == 0 else {
            return nil
        }
        let offsets = FileIndexEntries<OffsetIndexEntry>(
            file: offsetIndexFile, count: offsetIndexBytes / OffsetIndexEntry.sizeBytes)
        let times = FileIndexEntries<TimeIndexEntry>(
            file: timeIndexFile, count: timeIndexBytes / TimeIndexEntry.sizeBytes)
        guard
            let tail = try SegmentTail.read(
                logFile: logFile, logBytes: logBytes, baseOffset: baseOffset, offsets: offsets,
                indexIntervalBytes: indexIntervalBytes)
        else { return nil }
        var maxTimestamp = TimestampMs.none
        var offsetOfMaxTimestamp = Offset.none
        if times.count > 0 {
            let first = try times.entry(at: 0)
            let last = try times.entry(at: times.count - 1)
            let lastOffset = baseOffset + Int64(last.relativeOffset)
            guard first.timestamp <= last.timestamp, last.relativeOffset <= UInt32(Int32.max),
                lastOffset < tail.nextOffset
            else { return nil }
            maxTimestamp = last.timestamp
            offsetOfMaxTimestamp = lastOffset
        }
        // A sealed segment's time index ends with its max timestamp (added when it was sealed).
        guard tail.maxTimestamp <= maxTimestamp else { return nil }
        let segment = SealedSegment(
            directory: directory, baseOffset: baseOffset, nextOffset: tail.nextOffset, sizeBytes: logBytes,
            maxTimestamp: maxTimestamp, offsetOfMaxTimestamp: offsetOfMaxTimestamp,
            lastModifiedMs: try logFile.lastModifiedMs(), logFile: logFile, offsetIndexFile: offsetIndexFile,
            timeIndexFile: timeIndexFile, offsetEntryCount: offsets.count, timeEntryCount: times.count)
        // The time index's last entry names the batch that first reached the max timestamp.
        if maxTimestamp != .none {
            var walker = BatchHeaderWalker(file: logFile, endPosition: logBytes)
            do throws(LogError) {
                guard
                    let (_, header) = try SegmentReader.locate(segment, offset: offsetOfMaxTimestamp, walker: &walker),
                    header.lastOffset == offsetOfMaxTimestamp, header.maxTimestamp == maxTimestamp
                else { return nil }
            } catch {
                if error.code == .corruptRecord || error.code == .storage { return nil }
                throw error
            }
        }
        return segment
    }
}

/// The batches of a segment from its last offset index entry to the end of the file.
struct SegmentTail {
    /// The first batch of the segment, `nil` when it is empty.
    var firstBatch: BatchSummary?
    /// The batches from the last offset index entry's position (or from 0) to the end.
    var batches: [BatchSummary]
    var nextOffset: Offset
    var maxTimestamp: TimestampMs

    /// Walks the tail with header checks only. `nil` when the index's first or last entry is out of range, its last
    /// entry does not point at a batch ending at its offset, the batches do not end exactly at `logBytes`, or the
    /// batches after the last entry span more than the index interval (the index misses entries).
    static func read(
        logFile: LogFileHandle, logBytes: Int, baseOffset: Offset, offsets: some IndexEntrySource<OffsetIndexEntry>,
        indexIntervalBytes: Int
    ) throws(LogError) -> SegmentTail? {
        var walker = BatchHeaderWalker(file: logFile, endPosition: logBytes)
        var position = 0
        var expectedLastOffset: Offset?
        if offsets.count > 0 {
            let first = try offsets.entry(at: 0)
            let last = try offsets.entry(at: offsets.count - 1)
            let ordered =
                offsets.count == 1 || (first.position < last.position && first.relativeOffset < last.relativeOffset)
            guard ordered, last.relativeOffset <= UInt32(Int32.max), Int(last.position) < logBytes else { return nil }
            position = Int(last.position)
            expectedLastOffset = baseOffset + Int64(last.relativeOffset)
        }
        do throws(LogError) {
            let firstBatch = try walker.header(at: 0).map(BatchSummary.init)
            var batches: [BatchSummary] = []
            var nextOffset = baseOffset
            var maxTimestamp = TimestampMs.none
            let tailStart = position
            var lastBatchStart = position
            while let header = try walker.header(at: position) {
                let batch = BatchSummary(header)
                if let expected = expectedLastOffset, batches.isEmpty, batch.lastOffset != expected { return nil }
                guard batch.baseOffset >= nextOffset, batch.lastOffset - baseOffset <= Int64(Int32.max) else {
                    return nil
                }
                batches.append(batch)
                nextOffset = batch.nextOffset
                maxTimestamp = max(maxTimestamp, batch.maxTimestamp)
                lastBatchStart = position
                position += batch.sizeBytes
            }
            // Appends index a batch once more than the interval was written since the previous entry (or since the
            // start), so no batch after the last entry may start more than the interval after it.
            if batches.count > 1, lastBatchStart - tailStart > indexIntervalBytes { return nil }
            return SegmentTail(
                firstBatch: firstBatch, batches: batches, nextOffset: nextOffset, maxTimestamp: maxTimestamp)
        } catch {
            if error.code == .corruptRecord { return nil }
            throw error
        }
    }
}
