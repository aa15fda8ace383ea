import FjordModel
import Foundation
import KafkaWire
import NIOCore
import Testing

@testable import FjordStorage

/// A log written once (several segments, varied batches, three leader epochs) and copied into a fresh directory
/// for each damage a recovery test inflicts on the files.
struct RecoveryFixture {
    static let config = TestLog.config(segmentBytes: 2_000, indexIntervalBytes: 150)

    let original: TemporaryDirectory
    /// The batches as stored, in order.
    let batches: [ByteBuffer]
    let headers: [RecordBatchHeader]
    let segmentBases: [Offset]

    /// - Parameter cleanClose: flush and close the log (index files complete); otherwise drop it as a crash would.
    init(batchCount: Int = 40, cleanClose: Bool = true) throws {
        original = TemporaryDirectory("fjord-recovery-original")
        let log = try TestLog.open(original, config: Self.config)
        var batches: [ByteBuffer] = []
        for i in 0..<batchCount {
            var batch = TestBatch.make(
                records: 1 + i % 4, valueBytes: 30 + (i * 37) % 90, baseTimestamp: 10_000 + Int64(i) * 100,
                fill: UInt8(truncatingIfNeeded: i))
            try log.appendAsLeader(&batch, leaderEpoch: LeaderEpoch(Int32(1 + i / 15)))
            batches.append(batch)
        }
        if cleanClose {
            try log.flush()
            try log.close()
        } else {
            // What a running broker does soon after each roll: flush the sealed segments, moving the recovery point
            // to the active segment (and writing the leader-epoch checkpoint first).
            try log.flush(upTo: log.activeSegmentBaseOffset)
        }
        self.batches = batches
        self.headers = try batches.map { try RecordBatchHeader.validate($0, at: $0.readerIndex) }
        self.segmentBases = log.segmentBaseOffsets
    }

    var logEndOffset: Offset { headers.last!.nextOffset }
    var activeBase: Offset { segmentBases.last! }

    /// Indexes (into `batches`) of the batches of the segment starting at `base`, with their file positions.
    func batchPositions(segment base: Offset) -> [(index: Int, position: Int)] {
        let next = segmentBases.first(where: { $0 > base }) ?? Offset(Int64.max)
        var position = 0
        var result: [(Int, Int)] = []
        for (i, header) in headers.enumerated() where header.baseOffset >= base && header.baseOffset < next {
            result.append((i, position))
            position += header.totalSize
        }
        return result
    }

    /// A fresh copy of the original partition directory.
    func copy() throws -> TemporaryDirectory {
        let copy = TemporaryDirectory("fjord-recovery")
        try FileManager.default.removeItem(atPath: copy.path)
        try FileManager.default.copyItem(atPath: original.path, toPath: copy.path)
        return copy
    }

    static func logName(_ base: Offset) -> String { SegmentFileName.stem(base) + ".log" }

    /// Runs `body` on the file's bytes and writes them back.
    static func edit(_ directory: TemporaryDirectory, _ name: String, _ body: (inout Data) -> Void) throws {
        let url = URL(fileURLWithPath: TestLog.path(directory, name))
        var data = try Data(contentsOf: url)
        body(&data)
        try data.write(to: url)
    }

    /// Checks that the log holds exactly the first `count` batches, byte for byte, that reads and timestamp
    /// lookups work at every offset, that appends continue at the right offset, and that a clean reopen agrees.
    func expectIntactPrefix(
        _ log: PartitionLog, count: Int, directory: TemporaryDirectory,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        var expected = ByteBuffer()
        for var batch in batches.prefix(count) { expected.writeBuffer(&batch) }
        let end = count == 0 ? Offset.zero : headers[count - 1].nextOffset
        #expect(log.logEndOffset == end, sourceLocation: sourceLocation)
        #expect(try TestLog.readAll(log).bytes == expected, sourceLocation: sourceLocation)
        for header in headers.prefix(count) {
            for offset in header.baseOffset.rawValue...header.lastOffset.rawValue {
                let result = try log.read(from: Offset(offset), maxBytes: 1)
                #expect(result.firstBatchBaseOffset == header.baseOffset, sourceLocation: sourceLocation)
            }
            let found = try log.offsetForTimestamp(header.maxTimestamp)
            #expect(found?.offset == header.baseOffset, sourceLocation: sourceLocation)
        }
        let epochs = headers.prefix(count).reduce(into: [LeaderEpochCache.Entry]()) { entries, header in
            if entries.last?.epoch != header.partitionLeaderEpoch {
                entries.append(.init(epoch: header.partitionLeaderEpoch, startOffset: header.baseOffset))
            }
        }
        #expect(log.leaderEpochCache.entries == epochs, sourceLocation: sourceLocation)
        var next = TestBatch.make(records: 2, baseTimestamp: 99_000)
        let info = try log.appendAsLeader(&next, leaderEpoch: LeaderEpoch(9))
        #expect(info.firstOffset == end, sourceLocation: sourceLocation)
        try log.flush()
        try log.close()
        let reopened = try TestLog.open(directory, config: Self.config, recoveryPoint: log.recoveryPoint, clean: true)
        #expect(reopened.logEndOffset == end + 2, sourceLocation: sourceLocation)
        expected.writeBuffer(&next)
        #expect(try TestLog.readAll(reopened).bytes == expected, sourceLocation: sourceLocation)
    }
}
