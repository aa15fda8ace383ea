import FjordModel
import KafkaWire
import NIOCore
import Testing

@testable import FjordStorage

/// The broker's leader append (`appendAsLeader(_:)` without `inout`): offsets and epochs reach the file through a
/// gather write, and the caller's buffer — usually shared with the request that carried it — is left untouched.
@Suite struct LeaderAppendWithoutCopyTests {
    @Test func theCallersBufferIsUntouchedAndTheFileHoldsTheAssignedHeaders() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir)
        try TestLog.appendBatches(log, count: 2, records: 3, epoch: 4)  // offsets 0-5 first
        // Three batches in one buffer, as a slice of a larger frame (non-zero reader index).
        var frame = ByteBuffer(bytes: [0xAA, 0xBB, 0xCC])
        var batches = [TestBatch.make(records: 2), TestBatch.make(records: 1), TestBatch.make(records: 5)]
        for i in batches.indices { frame.writeBuffer(&batches[i]) }
        var records = frame
        records.moveReaderIndex(forwardBy: 3)
        let original = records
        let info = try log.appendAsLeader(records, leaderEpoch: LeaderEpoch(9))
        #expect(records == original)
        #expect(info.firstOffset == Offset(6) && info.lastOffset == Offset(13) && info.batchCount == 3)
        let (headers, stored) = try TestLog.readAll(log)
        #expect(headers.map(\.baseOffset) == [0, 3, 6, 8, 9].map { Offset($0) })
        #expect(headers.suffix(3).allSatisfy { $0.partitionLeaderEpoch == LeaderEpoch(9) })
        // Validation (CRC) passes on the stored batches; everything but the patched prefixes is byte-identical.
        var position = stored.readerIndex
        for header in headers {
            _ = try RecordBatchHeader.validate(stored, at: position)
            position += header.totalSize
        }
        let tail = stored.getSlice(at: stored.writerIndex - original.readableBytes, length: original.readableBytes)!
        var expected = original
        var offset = Offset(6)
        var at = expected.readerIndex
        for header in headers.suffix(3) {
            RecordBatchHeader.patchBaseOffset(&expected, at: at, to: offset)
            RecordBatchHeader.patchLeaderEpoch(&expected, at: at, to: LeaderEpoch(9))
            offset = header.nextOffset
            at += header.totalSize
        }
        #expect(tail == expected)
    }

    @Test func theInoutFormStillReturnsThePatchedBatches() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir)
        var first = TestBatch.make(records: 4)
        try log.appendAsLeader(&first, leaderEpoch: LeaderEpoch(2))
        var second = TestBatch.make(records: 2)
        try log.appendAsLeader(&second, leaderEpoch: LeaderEpoch(2))
        let header = try RecordBatchHeader.validate(second, at: second.readerIndex)
        #expect(header.baseOffset == Offset(4) && header.partitionLeaderEpoch == LeaderEpoch(2))
        let (_, stored) = try TestLog.readAll(log)
        var both = first
        both.writeImmutableBuffer(second)
        #expect(stored == both)
    }

    @Test func manyBatchesInOneAppendSpanSeveralGatherCalls() throws {
        // More than IOV_MAX / 2 batches: the write is split into several pwritev calls.
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir)
        var buffer = ByteBuffer()
        for i in 0..<700 {
            var batch = TestBatch.make(records: 1, valueBytes: 8, fill: UInt8(truncatingIfNeeded: i))
            buffer.writeBuffer(&batch)
        }
        let info = try log.appendAsLeader(buffer, leaderEpoch: LeaderEpoch(1))
        #expect(info.batchCount == 700 && log.logEndOffset == Offset(700))
        let (headers, _) = try TestLog.readAll(log)
        #expect(headers.map(\.baseOffset) == (0..<700).map { Offset(Int64($0)) })
    }
}
