import FjordModel
import NIOCore

/// The segment being appended to. Owned by the log's writer: every method runs under the log's writer lock.
///
/// Its indexes live in memory (``SegmentIndexBuilder``), published to readers through ``view``, and reach the
/// index files lazily: in runs of ``indexWriteBatchEntries`` entries, on ``writePendingIndexEntries()`` (called by
/// flush and close) and when sealed. Index files of an unflushed segment may therefore lag its log; that is safe
/// because recovery rebuilds the indexes of every segment past the recovery point, and a flush writes the pending
/// entries before it syncs the files.
struct ActiveSegment: Sendable {
    /// Pending entries written to an index file at once (4 KiB of offset index).
    static let indexWriteBatchEntries = 512

    let directory: String
    let logFile: LogFileHandle
    let offsetIndexFile: LogFileHandle
    let timeIndexFile: LogFileHandle
    private(set) var index: SegmentIndexBuilder
    private var writtenOffsetEntries: Int
    private var writtenTimeEntries: Int
    /// When the segment object was created; time-based rolling uses it when the first batch has no timestamp.
    let createdAtMs: Int64

    var baseOffset: Offset { index.baseOffset }
    var sizeBytes: Int { index.sizeBytes }
    var nextOffset: Offset { index.nextOffset }
    var isEmpty: Bool { index.isEmpty }

    private init(
        directory: String, files: (LogFileHandle, LogFileHandle, LogFileHandle), index: SegmentIndexBuilder,
        writtenOffsetEntries: Int, writtenTimeEntries: Int, createdAtMs: Int64
    ) {
        self.directory = directory
        (self.logFile, self.offsetIndexFile, self.timeIndexFile) = files
        self.index = index
        self.writtenOffsetEntries = writtenOffsetEntries
        self.writtenTimeEntries = writtenTimeEntries
        self.createdAtMs = createdAtMs
    }

    /// Opens the three files of a segment, creating missing ones.
    static func openFiles(directory: String, baseOffset: Offset) throws(LogError) -> (
        LogFileHandle, LogFileHandle, LogFileHandle
    ) {
        (
            try LogFileHandle.openReadWrite(
                SegmentFileName.path(directory: directory, baseOffset: baseOffset, kind: .log)),
            try LogFileHandle.openReadWrite(
                SegmentFileName.path(directory: directory, baseOffset: baseOffset, kind: .offsetIndex)),
            try LogFileHandle.openReadWrite(
                SegmentFileName.path(directory: directory, baseOffset: baseOffset, kind: .timeIndex))
        )
    }

    /// A new, empty segment at `baseOffset` (stale files of that name are emptied).
    static func create(
        directory: String, baseOffset: Offset, indexIntervalBytes: Int, nowMs: Int64
    ) throws(LogError) -> ActiveSegment {
        let files = try openFiles(directory: directory, baseOffset: baseOffset)
        try files.0.truncate(to: 0)
        try files.1.truncate(to: 0)
        try files.2.truncate(to: 0)
        return ActiveSegment(
            directory: directory, files: files,
            index: SegmentIndexBuilder(baseOffset: baseOffset, indexIntervalBytes: indexIntervalBytes),
            writtenOffsetEntries: 0, writtenTimeEntries: 0, createdAtMs: nowMs)
    }

    /// A segment whose state recovery rebuilt by scanning (`builder` covers exactly the `.log`'s bytes): the index
    /// files are emptied and rewritten from the rebuilt entries.
    static func fromScan(
        directory: String, files: (LogFileHandle, LogFileHandle, LogFileHandle), builder: SegmentIndexBuilder,
        nowMs: Int64
    ) throws(LogError) -> ActiveSegment {
        try files.1.truncate(to: 0)
        try files.2.truncate(to: 0)
        var segment = ActiveSegment(
            directory: directory, files: files, index: builder, writtenOffsetEntries: 0, writtenTimeEntries: 0,
            createdAtMs: nowMs)
        try segment.writePendingIndexEntries()
        return segment
    }

    /// Reopens a segment from its files, trusting its index files after full consistency checks (entries strictly
    /// increasing and inside the log, the last one pointing at a batch ending at its offset, the batches after it
    /// well formed up to the end of the file). Index entries missing at the end are added.
    ///
    /// - Returns: `nil` when a check fails: the caller rebuilds the segment by scanning it.
    static func reopen(
        directory: String, baseOffset: Offset, files: (LogFileHandle, LogFileHandle, LogFileHandle),
        indexIntervalBytes: Int, nowMs: Int64
    ) throws(LogError) -> ActiveSegment? {
        let logBytes = try files.0.size()
        let offsetBytes = try files.1.size()
        let timeBytes = try files.2.size()
        guard offsetBytes % OffsetIndexEntry.sizeBytes == 0, timeBytes % TimeIndexEntry.sizeBytes == 0 else {
            return nil
        }
        let offsetEntries = try FileIndexEntries<OffsetIndexEntry>(
            file: files.1, count: offsetBytes / OffsetIndexEntry.sizeBytes
        ).readAll()
        let timeEntries = try FileIndexEntries<TimeIndexEntry>(
            file: files.2, count: timeBytes / TimeIndexEntry.sizeBytes
        )
        .readAll()
        guard isStrictlyIncreasing(offsetEntries, logBytes: logBytes), isIncreasing(timeEntries) else { return nil }
        let offsets = GrowableIndex(offsetEntries)
        guard
            let tail = try SegmentTail.read(
                logFile: files.0, logBytes: logBytes, baseOffset: baseOffset, offsets: offsets.entries,
                indexIntervalBytes: indexIntervalBytes)
        else { return nil }
        if let last = timeEntries.last, baseOffset + Int64(last.relativeOffset) >= tail.nextOffset { return nil }
        let builder = SegmentIndexBuilder.restore(
            baseOffset: baseOffset, indexIntervalBytes: indexIntervalBytes, offsetIndex: offsets,
            timeIndex: GrowableIndex(timeEntries), firstBatch: tail.firstBatch, tail: tail.batches)
        return ActiveSegment(
            directory: directory, files: files, index: builder, writtenOffsetEntries: offsetEntries.count,
            writtenTimeEntries: timeEntries.count, createdAtMs: nowMs)
    }

    /// A sealed segment made active again (a truncation or recovery removed the segments after it): reopened from
    /// its index files, or rebuilt by a validating scan (cutting a corrupt tail) when they are inconsistent.
    static func reactivate(_ segment: SealedSegment, indexIntervalBytes: Int, nowMs: Int64) throws(LogError)
        -> ActiveSegment
    {
        let files = (segment.logFile, segment.offsetIndexFile, segment.timeIndexFile)
        if let active = try reopen(
            directory: segment.directory, baseOffset: segment.baseOffset, files: files,
            indexIntervalBytes: indexIntervalBytes, nowMs: nowMs)
        {
            return active
        }
        let scan = try SegmentScanner.scan(
            file: segment.logFile, baseOffset: segment.baseOffset, indexIntervalBytes: indexIntervalBytes,
            minimumOffset: segment.baseOffset)
        try segment.logFile.truncate(to: scan.validBytes)
        return try fromScan(directory: segment.directory, files: files, builder: scan.builder, nowMs: nowMs)
    }

    private static func isStrictlyIncreasing(_ entries: [OffsetIndexEntry], logBytes: Int) -> Bool {
        var previous: OffsetIndexEntry?
        for entry in entries {
            guard entry.relativeOffset <= UInt32(Int32.max), Int(entry.position) < logBytes else { return false }
            if let p = previous, p.relativeOffset >= entry.relativeOffset || p.position >= entry.position {
                return false
            }
            previous = entry
        }
        return true
    }

    private static func isIncreasing(_ entries: [TimeIndexEntry]) -> Bool {
        var previous: TimeIndexEntry?
        for entry in entries {
            guard entry.relativeOffset <= UInt32(Int32.max) else { return false }
            if let p = previous, p.timestamp >= entry.timestamp || p.relativeOffset > entry.relativeOffset {
                return false
            }
            previous = entry
        }
        return true
    }

    /// What readers see of the segment now.
    var view: ActiveSegmentView {
        ActiveSegmentView(
            baseOffset: baseOffset, logFile: logFile, sizeBytes: index.sizeBytes, nextOffset: index.nextOffset,
            maxTimestamp: index.maxTimestamp, offsetOfMaxTimestamp: index.offsetOfMaxTimestamp,
            offsetEntries: index.offsetIndex.entries, timeEntries: index.timeIndex.entries)
    }

    /// Appends `records` (the whole batches `batches`, in order) with one write at the end of the log file.
    /// With `assignedHeaders`, each batch's base offset and partition leader epoch are taken from `batches`: the
    /// first 16 bytes of every batch (base offset, batch length, leader epoch) come from a small scratch buffer and
    /// the rest straight from `records`, in one gather write (`pwritev`), so the record bytes are not copied.
    /// On a failed write the file is cut back to its previous size and nothing is indexed.
    mutating func append(_ records: ByteBuffer, batches: [BatchSummary], assignedHeaders: Bool) throws(LogError) {
        let position = index.sizeBytes
        do {
            if assignedHeaders {
                try logFile.write(records, at: position, assigningHeaders: batches)
            } else {
                try logFile.write(records, at: position)
            }
        } catch {
            try? logFile.truncate(to: position)
            throw error
        }
        for batch in batches { index.append(batch) }
        if index.offsetIndex.count - writtenOffsetEntries >= Self.indexWriteBatchEntries
            || index.timeIndex.count - writtenTimeEntries >= Self.indexWriteBatchEntries
        {
            try writePendingIndexEntries()
        }
    }

    /// Whether index entries are waiting to be written to the index files.
    var hasPendingIndexEntries: Bool {
        writtenOffsetEntries < index.offsetIndex.count || writtenTimeEntries < index.timeIndex.count
    }

    /// Writes the index entries not yet in the index files (page cache only; no sync).
    mutating func writePendingIndexEntries() throws(LogError) {
        if writtenOffsetEntries < index.offsetIndex.count {
            let bytes = index.offsetIndex.encoded(writtenOffsetEntries..<index.offsetIndex.count)
            try offsetIndexFile.write(bytes, at: writtenOffsetEntries * OffsetIndexEntry.sizeBytes)
            writtenOffsetEntries = index.offsetIndex.count
        }
        if writtenTimeEntries < index.timeIndex.count {
            let bytes = index.timeIndex.encoded(writtenTimeEntries..<index.timeIndex.count)
            try timeIndexFile.write(bytes, at: writtenTimeEntries * TimeIndexEntry.sizeBytes)
            writtenTimeEntries = index.timeIndex.count
        }
    }

    /// Ends the segment's active life: adds the final time index entry, writes all entries, and returns the
    /// immutable segment readers will use from now on.
    mutating func seal(nowMs: Int64) throws(LogError) -> SealedSegment {
        index.seal()
        try writePendingIndexEntries()
        return SealedSegment(
            directory: directory, baseOffset: baseOffset, nextOffset: index.nextOffset, sizeBytes: index.sizeBytes,
            maxTimestamp: index.maxTimestamp, offsetOfMaxTimestamp: index.offsetOfMaxTimestamp, lastModifiedMs: nowMs,
            logFile: logFile, offsetIndexFile: offsetIndexFile, timeIndexFile: timeIndexFile,
            offsetEntryCount: index.offsetIndex.count, timeEntryCount: index.timeIndex.count)
    }

    /// Removes every batch whose last offset is at or above `offset` (so a batch holding `offset` goes whole),
    /// cutting the log and index files. Afterwards ``nextOffset`` is at or below `offset`.
    mutating func truncate(to offset: Offset) throws(LogError) {
        let snapshot = view
        var walker = BatchHeaderWalker(file: logFile, endPosition: snapshot.sizeBytes)
        guard let (cut, _) = try SegmentReader.locate(snapshot, offset: offset, walker: &walker) else { return }
        var offsets = index.offsetIndex
        offsets.truncate(to: Self.countBefore(offsets.entries) { Int($0.position) < cut })
        let resume = Int(offsets.last?.position ?? 0)
        var tail: [BatchSummary] = []
        var position = resume
        var tailWalker = BatchHeaderWalker(file: logFile, endPosition: cut)
        while let header = try tailWalker.header(at: position) {
            tail.append(BatchSummary(header))
            position += header.totalSize
        }
        let newNextOffset = tail.last?.nextOffset ?? baseOffset
        var times = index.timeIndex
        times.truncate(to: Self.countBefore(times.entries) { baseOffset + Int64($0.relativeOffset) < newNextOffset })
        let firstBatch = cut == 0 ? nil : try walker.header(at: 0).map(BatchSummary.init)
        try logFile.truncate(to: cut)
        index = SegmentIndexBuilder.restore(
            baseOffset: baseOffset, indexIntervalBytes: index.indexIntervalBytes, offsetIndex: offsets,
            timeIndex: times, firstBatch: firstBatch, tail: tail)
        writtenOffsetEntries = min(writtenOffsetEntries, offsets.count)
        writtenTimeEntries = min(writtenTimeEntries, times.count)
        try offsetIndexFile.truncate(to: writtenOffsetEntries * OffsetIndexEntry.sizeBytes)
        try timeIndexFile.truncate(to: writtenTimeEntries * TimeIndexEntry.sizeBytes)
    }

    /// The number of leading entries satisfying a predicate that holds for a prefix.
    private static func countBefore<Entry>(_ entries: IndexEntries<Entry>, _ isBefore: (Entry) -> Bool) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = low + (high - low) / 2
            if isBefore(entries[middle]) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
