import FjordModel
import KafkaWire
import NIOCore

extension PartitionLog {
    /// Reads whole batches from the one holding `offset` (a read inside a batch starts at that batch), from one
    /// segment: at most `maxBytes` of them, except that with `minOneBatch` the first batch is returned even when it
    /// is larger (Kafka's rule), and only batches ending below `maxOffset` (exclusive; the high watermark for
    /// consumers, `nil` for the log end offset). Lock-free apart from copying the log's snapshot.
    ///
    /// - Returns: an empty result when `offset` is the log end offset, at or past `maxOffset`, or when the bounds
    ///   leave no whole batch.
    /// - Throws: `.offsetOutOfRange` when `offset` is below the log start offset or above the log end offset.
    public func read(
        from offset: Offset, maxBytes: Int, maxOffset: Offset? = nil, minOneBatch: Bool = true
    ) throws(LogError) -> LogReadResult {
        let view = self.view
        let logEndOffset = view.logEndOffset
        guard offset >= view.logStartOffset, offset <= logEndOffset else {
            throw .outOfRange(offset, logStartOffset: view.logStartOffset, logEndOffset: logEndOffset)
        }
        let bound = min(maxOffset ?? logEndOffset, logEndOffset)
        guard offset < bound else { return .empty(at: offset, view: view) }
        for index in view.floorSegmentIndex(offset)..<view.segmentCount {
            let outcome: SegmentReader.Outcome
            let file: LogFileHandle
            switch view.segment(at: index) {
            case .sealed(let segment):
                file = segment.logFile
                outcome = try SegmentReader.read(
                    segment, from: offset, maxBytes: maxBytes, maxOffset: bound, minOneBatch: minOneBatch)
            case .active(let segment):
                file = segment.logFile
                outcome = try SegmentReader.read(
                    segment, from: offset, maxBytes: maxBytes, maxOffset: bound, minOneBatch: minOneBatch)
            }
            switch outcome {
            case .notInSegment: continue
            case .bounded: return .empty(at: offset, view: view)
            case .batches(let position, let lengthBytes, let first):
                return LogReadResult(
                    file: file, filePosition: position, lengthBytes: lengthBytes, fetchOffset: offset,
                    firstBatchBaseOffset: first.baseOffset, logStartOffset: view.logStartOffset,
                    logEndOffset: logEndOffset, highWatermark: view.highWatermark)
            }
        }
        return .empty(at: offset, view: view)
    }

    /// Finds, inside one batch, the first record with a timestamp at or above a target: `(batch bytes, target)` →
    /// the record's offset and timestamp, or `nil`. The storage layer never parses records; the broker passes one
    /// (it knows compression) to make timestamp lookups exact.
    public typealias RecordLocator = (_ batch: ByteBuffer, _ timestampAtLeast: TimestampMs) -> TimestampAndOffset?

    /// The first offset whose timestamp is at or above `timestamp`, at or after the log start offset (ListOffsets
    /// by time), or `nil` when no batch reaches it. Uses the time index, then walks batch headers.
    ///
    /// Without `locateRecord` the answer is batch-grained: the base offset of the first batch whose max timestamp
    /// reaches `timestamp` (never later than the exact record, so a consumer that seeks there misses nothing).
    public func offsetForTimestamp(
        _ timestamp: TimestampMs, locateRecord: RecordLocator? = nil
    ) throws(LogError) -> TimestampAndOffset? {
        let view = self.view
        for index in 0..<view.segmentCount {
            let segment = view.segment(at: index)
            guard segment.maxTimestamp >= timestamp else { continue }
            if let found = try find(in: segment, timestampAtLeast: timestamp, view: view, locateRecord: locateRecord) {
                return found
            }
        }
        return nil
    }

    /// The offset and timestamp of the record with the largest timestamp (ListOffsets `MAX_TIMESTAMP`, KIP-734),
    /// batch-grained without `locateRecord` as in ``offsetForTimestamp(_:locateRecord:)``; `nil` when no batch has a
    /// timestamp.
    public func offsetOfMaxTimestamp(locateRecord: RecordLocator? = nil) throws(LogError) -> TimestampAndOffset? {
        let view = self.view
        var best: SegmentSnapshot?
        for index in 0..<view.segmentCount {
            let segment = view.segment(at: index)
            if segment.maxTimestamp.rawValue >= 0, segment.maxTimestamp > (best?.maxTimestamp ?? .none) {
                best = segment
            }
        }
        guard let best else { return nil }
        return try find(in: best, timestampAtLeast: best.maxTimestamp, view: view, locateRecord: locateRecord)
    }

    private func find(
        in segment: SegmentSnapshot, timestampAtLeast timestamp: TimestampMs, view: LogView,
        locateRecord: RecordLocator?
    ) throws(LogError) -> TimestampAndOffset? {
        let start = view.logStartOffset
        let found: (position: Int, header: RecordBatchHeader)?
        let file: LogFileHandle
        switch segment {
        case .sealed(let s):
            file = s.logFile
            found = try SegmentReader.findBatch(s, timestampAtLeast: timestamp, startingOffset: start)
        case .active(let s):
            file = s.logFile
            found = try SegmentReader.findBatch(s, timestampAtLeast: timestamp, startingOffset: start)
        }
        guard let (position, header) = found else { return nil }
        if let locateRecord {
            let bytes = try file.readBuffer(at: position, count: header.totalSize)
            if let exact = locateRecord(bytes, timestamp), exact.offset >= start { return exact }
        }
        return TimestampAndOffset(
            timestamp: header.maxTimestamp, offset: max(header.baseOffset, start),
            leaderEpoch: header.partitionLeaderEpoch)
    }
}
