import FjordModel
import KafkaWire
import NIOCore

extension PartitionLog {
    /// Appends a producer's batches as the partition leader: validates every batch in `records` (header, CRC,
    /// `max.message.bytes`, record count), assigns consecutive offsets from the log end offset and stamps
    /// `leaderEpoch` in the batch headers (both fields lie outside the CRC), stamps the broker time under
    /// `LogAppendTime`, then writes the bytes with one `pwritev`. No fsync.
    ///
    /// `records` itself is left as it is (under `LogAppendTime` a private copy is stamped): the assigned offsets and
    /// epoch reach the file through 16-byte header prefixes written in the same gather write, so the record bytes
    /// are never copied in user space — a buffer shared with the request that carried it would otherwise be copied
    /// whole on the first patch (copy-on-write). Use ``appendAsLeader(_:leaderEpoch:now:)-inout`` to get the patched
    /// batches back.
    ///
    /// - Parameter now: the broker clock, for `LogAppendTime` and time-based rolling.
    @discardableResult
    public func appendAsLeader(
        _ records: ByteBuffer, leaderEpoch: LeaderEpoch, now: TimestampMs = .now()
    ) throws(LogError) -> LogAppendInfo {
        var records = records
        return try appendLeaderBatches(&records, leaderEpoch: leaderEpoch, now: now).info
    }

    /// ``appendAsLeader(_:leaderEpoch:now:)``, then patches `records` in place as stored (assigned base offsets and
    /// `leaderEpoch` in every batch header), for callers that keep the batches. The patch copies `records` first if
    /// its storage is shared (copy-on-write); the broker uses the non-`inout` form.
    @discardableResult
    public func appendAsLeader(
        _ records: inout ByteBuffer, leaderEpoch: LeaderEpoch, now: TimestampMs = .now()
    ) throws(LogError) -> LogAppendInfo {
        let (info, batches) = try appendLeaderBatches(&records, leaderEpoch: leaderEpoch, now: now)
        var offset = info.firstOffset
        for batch in batches {
            let at = records.readerIndex + batch.position
            RecordBatchHeader.patchBaseOffset(&records, at: at, to: offset)
            RecordBatchHeader.patchLeaderEpoch(&records, at: at, to: leaderEpoch)
            offset = offset + Int64(batch.header.lastOffsetDelta) + 1
        }
        return info
    }

    /// The leader append: `records` is modified only to stamp `LogAppendTime`.
    private func appendLeaderBatches(
        _ records: inout ByteBuffer, leaderEpoch: LeaderEpoch, now: TimestampMs
    ) throws(LogError) -> (info: LogAppendInfo, batches: [AppendValidation.Batch]) {
        let config = published.withLock { $0.config }
        let batches = try AppendValidation.batches(
            in: records, maxBatchBytes: config.maxMessageBytes, fromProducer: true)
        var logAppendTime = TimestampMs.none
        if config.timestampType == .logAppendTime {
            logAppendTime = now
            for batch in batches { AppendValidation.stampLogAppendTime(&records, batch: batch, time: now) }
        }
        let info = try writer.withLock { (state) throws(LogError) -> LogAppendInfo in
            try checkOpen(state)
            var summaries: [BatchSummary] = []
            summaries.reserveCapacity(batches.count)
            var offset = state.active.nextOffset
            for batch in batches {
                var summary = BatchSummary(batch.header)
                summary.baseOffset = offset
                summary.lastOffset = offset + Int64(batch.header.lastOffsetDelta)
                summary.leaderEpoch = leaderEpoch
                if logAppendTime != .none { summary.maxTimestamp = logAppendTime }
                summaries.append(summary)
                offset = summary.nextOffset
            }
            return try appendLocked(
                &state, records: records, batches: summaries, assignedHeaders: true, logAppendTime: logAppendTime,
                now: now)
        }
        return (info, batches)
    }

    /// Appends batches fetched from the leader, as a follower: validates every batch (header, CRC) and keeps its
    /// offsets and epoch. The first batch must start at or after the log end offset and offsets must increase.
    @discardableResult
    public func appendAsFollower(_ records: ByteBuffer, now: TimestampMs = .now()) throws(LogError) -> LogAppendInfo {
        let batches = try AppendValidation.batches(in: records, maxBatchBytes: nil, fromProducer: false)
        return try writer.withLock { (state) throws(LogError) -> LogAppendInfo in
            try checkOpen(state)
            var next = state.active.nextOffset
            for (i, batch) in batches.enumerated() {
                guard batch.header.baseOffset >= next else {
                    if i == 0 {
                        throw LogError(
                            .unexpectedAppendOffset,
                            "\(topicPartition): follower append starts at \(batch.header.baseOffset), "
                                + "below the log end offset \(next)")
                    }
                    throw LogError(
                        .offsetsOutOfOrder,
                        "\(topicPartition): batch at \(batch.header.baseOffset) follows one ending at \(next - 1)")
                }
                next = batch.header.nextOffset
            }
            let summaries = batches.map { BatchSummary($0.header) }
            return try appendLocked(
                &state, records: records, batches: summaries, assignedHeaders: false, logAppendTime: .none, now: now)
        }
    }

    /// Appends as the leader (`assignOffsets`, stamping `leaderEpoch`) or as a follower (offsets and epochs kept):
    /// ``appendAsLeader(_:leaderEpoch:now:)`` or ``appendAsFollower(_:now:)``.
    @discardableResult
    public func append(
        _ records: inout ByteBuffer, assignOffsets: Bool, leaderEpoch: LeaderEpoch, now: TimestampMs = .now()
    ) throws(LogError) -> LogAppendInfo {
        assignOffsets
            ? try appendAsLeader(&records, leaderEpoch: leaderEpoch, now: now)
            : try appendAsFollower(records, now: now)
    }

    private func checkOpen(_ state: borrowing LogWriterState) throws(LogError) {
        if state.isClosed { throw LogError(.closed, "\(topicPartition): the log is closed") }
    }

    /// Rolls if needed, writes, indexes, updates the epoch cache and publishes. Writer lock held.
    ///
    /// - Parameter assignedHeaders: the file gets each batch's base offset and leader epoch from `batches` rather
    ///   than from `records` (leader appends, which do not patch the caller's buffer).
    private func appendLocked(
        _ state: inout LogWriterState, records: ByteBuffer, batches: [BatchSummary], assignedHeaders: Bool,
        logAppendTime: TimestampMs, now: TimestampMs
    ) throws(LogError) -> LogAppendInfo {
        guard let first = batches.first, let last = batches.last else {
            return LogAppendInfo(
                firstOffset: .none, lastOffset: .none, maxTimestamp: .none, offsetOfMaxTimestamp: .none,
                logAppendTime: logAppendTime, logStartOffset: state.logStartOffset,
                logEndOffset: state.active.nextOffset, batchCount: 0, recordCount: 0, sizeBytes: 0,
                rolledSegment: false, flushNeeded: false)
        }
        let sizeBytes = records.readableBytes
        guard sizeBytes <= state.config.segmentBytes else {
            throw LogError(
                .recordListTooLarge,
                "\(topicPartition): append of \(sizeBytes) bytes exceeds segment.bytes \(state.config.segmentBytes)")
        }
        var maxTimestamp = TimestampMs.none
        var offsetOfMaxTimestamp = Offset.none
        var recordCount: Int64 = 0
        for batch in batches {
            if batch.maxTimestamp > maxTimestamp {
                maxTimestamp = batch.maxTimestamp
                offsetOfMaxTimestamp = batch.lastOffset
            }
            recordCount += Int64(batch.recordCount)
        }
        let roll = RollPolicy.shouldRoll(
            segment: state.active, config: state.config, appendBytes: sizeBytes, firstOffset: first.baseOffset,
            lastOffset: last.lastOffset, maxTimestamp: maxTimestamp, nowMs: now.rawValue)
        if roll { try rollLocked(&state, newBaseOffset: first.baseOffset, nowMs: now.rawValue) }
        try state.active.append(records, batches: batches, assignedHeaders: assignedHeaders)
        for batch in batches { state.assignEpoch(batch.leaderEpoch, startOffset: batch.baseOffset) }
        state.unflushedRecords += recordCount
        publish(state)
        return LogAppendInfo(
            firstOffset: first.baseOffset, lastOffset: last.lastOffset, maxTimestamp: maxTimestamp,
            offsetOfMaxTimestamp: offsetOfMaxTimestamp, logAppendTime: logAppendTime,
            logStartOffset: state.logStartOffset, logEndOffset: state.active.nextOffset, batchCount: batches.count,
            recordCount: recordCount, sizeBytes: sizeBytes, rolledSegment: roll,
            flushNeeded: !state.config.syncsBeforeAcknowledge && state.unflushedRecords >= state.config.flushMessages)
    }

    /// Seals the active segment and starts a new one at `newBaseOffset` (an empty active segment is replaced
    /// instead). Writer lock held.
    func rollLocked(_ state: inout LogWriterState, newBaseOffset: Offset, nowMs: Int64) throws(LogError) {
        precondition(
            newBaseOffset >= state.active.nextOffset,
            "\(topicPartition): roll to \(newBaseOffset) below the log end offset \(state.active.nextOffset)")
        if state.active.isEmpty {
            guard newBaseOffset != state.active.baseOffset else { return }
            let old = state.active
            state.active = try ActiveSegment.create(
                directory: directory, baseOffset: newBaseOffset, indexIntervalBytes: state.config.indexIntervalBytes,
                nowMs: nowMs)
            try SegmentFiles.remove(directory: directory, baseOffset: old.baseOffset)
            // Nothing exists below the new segment when it is the only one.
            if state.sealed.isEmpty { state.logStartOffset = max(state.logStartOffset, newBaseOffset) }
        } else {
            let sealed = try state.active.seal(nowMs: nowMs)
            let next = try ActiveSegment.create(
                directory: directory, baseOffset: newBaseOffset, indexIntervalBytes: state.config.indexIntervalBytes,
                nowMs: nowMs)
            state.sealed.append(sealed)
            state.active = next
            logger.debug(
                "rolled segment",
                metadata: [
                    "partition": "\(topicPartition)", "sealed": "\(sealed.baseOffset)",
                    "sealedBytes": "\(sealed.sizeBytes)", "next": "\(newBaseOffset)",
                ])
        }
        state.directorySyncNeeded = true
    }

    /// Starts a new segment now if the active one is not empty (Kafka's forced roll).
    public func roll(now: TimestampMs = .now()) throws(LogError) {
        try writer.withLock { (state) throws(LogError) in
            guard !state.active.isEmpty else { return }
            try rollLocked(&state, newBaseOffset: state.active.nextOffset, nowMs: now.rawValue)
            publish(state)
        }
    }
}

/// When an append must go to a new segment (Kafka's rules).
enum RollPolicy {
    static func shouldRoll(
        segment: ActiveSegment, config: LogConfig, appendBytes: Int, firstOffset: Offset, lastOffset: Offset,
        maxTimestamp: TimestampMs, nowMs: Int64
    ) -> Bool {
        let index = segment.index
        if segment.isEmpty {
            // Nothing to seal; only an offset the segment's 32-bit relative offsets cannot hold forces a new base.
            return !index.canHold(offset: firstOffset) || !index.canHold(offset: lastOffset)
        }
        if segment.sizeBytes > config.segmentBytes - appendBytes { return true }
        if !index.canHold(offset: lastOffset) { return true }
        if index.offsetIndex.count >= config.maxOffsetIndexEntries
            || index.timeIndex.count >= config.maxTimeIndexEntries
        {
            return true
        }
        // segment.ms: by the batches' own timestamps when the segment's first batch has one, else by the clock.
        if let first = index.firstBatchMaxTimestamp, first.rawValue >= 0 {
            return maxTimestamp.rawValue - first.rawValue > config.segmentMs
        }
        return nowMs - segment.createdAtMs > config.segmentMs
    }
}
