import FjordModel
import KafkaWire

extension PartitionLog {
    /// Calls `body` with the header of every batch from the one holding `offset` (default: the log start offset) to
    /// the log end offset, in offset order, from a consistent snapshot of the segments. Reads headers only (about
    /// one small `pread` per batch or per 4 KiB of small batches), never records or CRCs.
    ///
    /// Blocking (file reads): run it off the event loops.
    public func forEachBatchHeader(
        from offset: Offset? = nil, _ body: (RecordBatchHeader) throws(LogError) -> Void
    ) throws(LogError) {
        let view = self.view
        let start = max(offset ?? view.logStartOffset, view.logStartOffset)
        guard start < view.logEndOffset else { return }
        for index in view.floorSegmentIndex(start)..<view.segmentCount {
            let file: LogFileHandle
            let sizeBytes: Int
            switch view.segment(at: index) {
            case .sealed(let segment):
                file = segment.logFile
                sizeBytes = segment.sizeBytes
            case .active(let segment):
                file = segment.logFile
                sizeBytes = segment.sizeBytes
            }
            var walker = BatchHeaderWalker(file: file, endPosition: sizeBytes)
            var position = 0
            while let header = try walker.header(at: position) {
                if header.lastOffset >= start { try body(header) }
                position += header.totalSize
            }
        }
    }

    /// The idempotent-producer state a replay of the whole log gives (the log opened, was truncated, or its
    /// replica becomes leader with no state kept). Blocking: see ``forEachBatchHeader(from:_:)``.
    public func loadProducerState() throws(LogError) -> ProducerStateTable {
        var table = ProducerStateTable()
        try forEachBatchHeader { header in
            table.record(header, baseOffset: header.baseOffset)
        }
        return table
    }
}
