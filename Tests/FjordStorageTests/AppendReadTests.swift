import FjordModel
import KafkaWire
import NIOCore
import Testing

@testable import FjordStorage

@Suite struct AppendReadTests {
    @Test func leaderAppendAssignsConsecutiveOffsetsAndEpoch() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir)
        let infos = try TestLog.appendBatches(log, count: 3, records: 4, epoch: 7)
        #expect(infos.map(\.firstOffset) == [Offset(0), Offset(4), Offset(8)])
        #expect(infos.map(\.lastOffset) == [Offset(3), Offset(7), Offset(11)])
        #expect(infos[2].logEndOffset == Offset(12))
        #expect(infos[0].logAppendTime == .none)
        #expect(log.logEndOffset == Offset(12))
        let (headers, _) = try TestLog.readAll(log)
        #expect(headers.map(\.baseOffset) == [Offset(0), Offset(4), Offset(8)])
        #expect(headers.allSatisfy { $0.partitionLeaderEpoch == LeaderEpoch(7) })
        #expect(log.leaderEpochCache.entries == [.init(epoch: LeaderEpoch(7), startOffset: .zero)])
    }

    @Test func aBufferOfSeveralBatchesIsOneAppend() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir)
        var buffer = TestBatch.make(records: 2)
        var second = TestBatch.make(records: 5)
        buffer.writeBuffer(&second)
        let info = try log.appendAsLeader(&buffer, leaderEpoch: LeaderEpoch(1))
        #expect(info.batchCount == 2 && info.recordCount == 7)
        #expect(info.firstOffset == .zero && info.lastOffset == Offset(6))
        let (headers, bytes) = try TestLog.readAll(log)
        #expect(headers.map(\.baseOffset) == [Offset(0), Offset(2)])
        #expect(bytes == buffer)  // the stored bytes are the patched input, byte for byte
    }

    @Test func roundTripAcrossSegmentRolls() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: TestLog.config(segmentBytes: 2_000, indexIntervalBytes: 300))
        var expected = ByteBuffer()
        for i in 0..<60 {
            var batch = TestBatch.make(records: 1 + i % 4, valueBytes: 50 + i, fill: UInt8(i))
            let info = try log.appendAsLeader(&batch, leaderEpoch: LeaderEpoch(Int32(i / 20)))
            #expect(info.rolledSegment == (i > 0 && log.segmentBaseOffsets.last == info.firstOffset))
            expected.writeBuffer(&batch)
        }
        #expect(log.segmentBaseOffsets.count > 5)
        for maxBytes in [1, 500, 1_000, 1 << 20] {
            let (_, bytes) = try TestLog.readAll(log, maxBytes: maxBytes)
            #expect(bytes == expected)
        }
        #expect(log.leaderEpochCache.entries.map(\.epoch) == [LeaderEpoch(0), LeaderEpoch(1), LeaderEpoch(2)])
        // Every segment file holds whole batches and the segment named by its first batch.
        for base in log.segmentBaseOffsets {
            let result = try log.read(from: base, maxBytes: 1 << 20)
            #expect(result.firstBatchBaseOffset == base)
            #expect(result.filePosition == 0)
        }
    }

    @Test func readInsideABatchStartsAtThatBatch() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: TestLog.config(indexIntervalBytes: 100))
        try TestLog.appendBatches(log, count: 20, records: 5)
        for offset in 0..<100 {
            let result = try log.read(from: Offset(Int64(offset)), maxBytes: 1)
            let headers = try TestBatch.headers(try result.readBytes())
            #expect(headers.count == 1)
            #expect(headers[0].baseOffset == Offset(Int64(offset / 5 * 5)))
            #expect(result.firstBatchBaseOffset == headers[0].baseOffset)
            #expect(result.fetchOffset == Offset(Int64(offset)))
        }
    }

    @Test func maxBytesReturnsWholeBatchesOnly() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: TestLog.config(indexIntervalBytes: 250))
        let infos = try TestLog.appendBatches(log, count: 10, records: 2, valueBytes: 100)
        let size = infos[0].sizeBytes
        #expect(infos.allSatisfy { $0.sizeBytes == size })
        for maxBytes in [size - 1, size, size + 1, 2 * size - 1, 2 * size, 5 * size + 7, 100 * size] {
            let result = try log.read(from: .zero, maxBytes: maxBytes, minOneBatch: false)
            #expect(result.lengthBytes == min(maxBytes / size, 10) * size)
            let withMin = try log.read(from: .zero, maxBytes: maxBytes, minOneBatch: true)
            #expect(withMin.lengthBytes == max(1, min(maxBytes / size, 10)) * size)
        }
        // The first batch exceeds maxBytes: only minOneBatch returns it.
        #expect(try log.read(from: Offset(4), maxBytes: 10, minOneBatch: false).isEmpty)
        #expect(try log.read(from: Offset(4), maxBytes: 10, minOneBatch: true).lengthBytes == size)
        #expect(try log.read(from: Offset(4), maxBytes: 0, minOneBatch: true).lengthBytes == size)
    }

    @Test func maxOffsetBoundsTheRead() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: TestLog.config(indexIntervalBytes: 200))
        try TestLog.appendBatches(log, count: 10, records: 3)  // batches at 0, 3, ..., 27
        for highWatermark in [0, 1, 3, 4, 6, 15, 29, 30] {
            let result = try log.read(from: .zero, maxBytes: 1 << 20, maxOffset: Offset(Int64(highWatermark)))
            let headers = try TestBatch.headers(try result.readBytes())
            #expect(headers.count == highWatermark / 3)
            #expect(headers.allSatisfy { $0.lastOffset < Offset(Int64(highWatermark)) })
        }
        #expect(try log.read(from: Offset(9), maxBytes: 1 << 20, maxOffset: Offset(9)).isEmpty)
        #expect(try log.read(from: Offset(12), maxBytes: 1 << 20, maxOffset: Offset(9)).isEmpty)
    }

    @Test func offsetsOutsideTheLogAreOutOfRange() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir)
        try TestLog.appendBatches(log, count: 2, records: 2)
        #expect(try log.read(from: Offset(4), maxBytes: 100).isEmpty)  // the log end offset: empty, not an error
        #expect(throws: LogError.self) { try log.read(from: Offset(5), maxBytes: 100) }
        #expect(throws: LogError.self) { try log.read(from: Offset(-1), maxBytes: 100) }
        do {
            _ = try log.read(from: Offset(50), maxBytes: 100)
        } catch {
            #expect(error.code == .offsetOutOfRange)
            #expect(error.kafkaErrorCode == 1)
        }
        log.updateHighWatermark(Offset(4))
        try log.advanceLogStartOffset(to: Offset(2))
        #expect(throws: LogError.self) { try log.read(from: Offset(1), maxBytes: 100) }
        #expect(try log.read(from: Offset(2), maxBytes: 100).firstBatchBaseOffset == Offset(2))
    }

    @Test func invalidProducerBatchesAreRejected() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir)
        var corrupt = TestBatch.make(records: 3)
        corrupt.setInteger(UInt8(0xFF), at: 70)
        let error1 = #expect(throws: LogError.self) { try log.appendAsLeader(&corrupt, leaderEpoch: .init(0)) }
        #expect(error1?.code == .corruptRecord)
        var mismatched = TestBatch.make(records: 3, recordCountField: 2)
        let error2 = #expect(throws: LogError.self) { try log.appendAsLeader(&mismatched, leaderEpoch: .init(0)) }
        #expect(error2?.code == .invalidRecord)
        var truncated = TestBatch.make(records: 3)
        truncated.moveWriterIndex(to: truncated.writerIndex - 1)
        let error3 = #expect(throws: LogError.self) { try log.appendAsLeader(&truncated, leaderEpoch: .init(0)) }
        #expect(error3?.code == .corruptRecord)
        var large = TestBatch.make(records: 1, valueBytes: 2_000_000)
        let error4 = #expect(throws: LogError.self) { try log.appendAsLeader(&large, leaderEpoch: .init(0)) }
        #expect(error4?.code == .recordTooLarge)
        #expect(log.logEndOffset == .zero)
        #expect(log.sizeBytes == 0)
    }

    @Test func followerAppendKeepsOffsetsAndChecksThem() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir)
        var first = TestBatch.make(baseOffset: 0, records: 3, leaderEpoch: 2)
        let info = try log.appendAsFollower(first)
        #expect(info.firstOffset == .zero && info.lastOffset == Offset(2))
        // A gap (compacted leader) is allowed; going backwards is not.
        first = TestBatch.make(baseOffset: 10, records: 2, leaderEpoch: 3)
        #expect(try log.appendAsFollower(first).lastOffset == Offset(11))
        let below = TestBatch.make(baseOffset: 5, records: 1, leaderEpoch: 3)
        #expect((#expect(throws: LogError.self) { try log.appendAsFollower(below) })?.code == .unexpectedAppendOffset)
        var unordered = TestBatch.make(baseOffset: 12, records: 2, leaderEpoch: 3)
        var back = TestBatch.make(baseOffset: 13, records: 1, leaderEpoch: 3)
        unordered.writeBuffer(&back)
        #expect((#expect(throws: LogError.self) { try log.appendAsFollower(unordered) })?.code == .offsetsOutOfOrder)
        #expect(log.logEndOffset == Offset(12))
        #expect(
            log.leaderEpochCache.entries == [
                .init(epoch: LeaderEpoch(2), startOffset: .zero), .init(epoch: LeaderEpoch(3), startOffset: Offset(10)),
            ])
        // Reads skip the gap: offset 5 is in no batch, so the read starts at the next one.
        #expect(try log.read(from: Offset(5), maxBytes: 1).firstBatchBaseOffset == Offset(10))
    }

    @Test func offsetsBeyondTheSegmentsRelativeRangeRollANewSegment() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir)
        try log.appendAsFollower(TestBatch.make(baseOffset: 0, records: 2))
        let far: Int64 = 3_000_000_000  // more than Int32.max above the active segment's base offset
        let info = try log.appendAsFollower(TestBatch.make(baseOffset: far, records: 3))
        #expect(info.rolledSegment)
        #expect(log.segmentBaseOffsets == [Offset(0), Offset(far)])
        #expect(try log.read(from: Offset(2), maxBytes: 1).firstBatchBaseOffset == Offset(far))
        #expect(try log.read(from: Offset(far + 1), maxBytes: 1).firstBatchBaseOffset == Offset(far))
        // An empty active segment is replaced rather than sealed.
        try log.truncateFullyAndStartAt(Offset(10))
        try log.appendAsFollower(TestBatch.make(baseOffset: far, records: 1))
        #expect(log.segmentBaseOffsets == [Offset(far)])
        #expect(log.logStartOffset == Offset(far))
        #expect(try TestLog.segmentFiles(dir, suffix: ".log") == [SegmentFileName.stem(Offset(far)) + ".log"])
    }

    @Test func readResultOutlivesSegmentDeletion() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: TestLog.config(segmentBytes: 1_000))
        try TestLog.appendBatches(log, count: 20)
        let result = try log.read(from: .zero, maxBytes: 1 << 20)
        let before = try result.readBytes()
        log.updateHighWatermark(log.logEndOffset)
        try log.truncateFullyAndStartAt(Offset(100))
        #expect(try TestLog.segmentFiles(dir, suffix: ".log") == ["00000000000000000100.log"])
        #expect(try result.readBytes() == before)  // the descriptor is still open
        let region = try #require(try result.makeFileRegion())
        #expect(region.region.readableBytes == result.lengthBytes)
        try region.handle.close()
    }
}
