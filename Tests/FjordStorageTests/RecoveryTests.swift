import FjordModel
import Foundation
import KafkaWire
import NIOCore
import Testing

@testable import FjordStorage

@Suite(.serialized) struct RecoveryTests {
    /// Reopens after a crash: unflushed from `recoveryPoint` (default: only the active segment is unflushed).
    private func reopen(
        _ fixture: RecoveryFixture, _ dir: TemporaryDirectory, recoveryPoint: Offset? = nil
    ) throws -> PartitionLog {
        try TestLog.open(dir, config: RecoveryFixture.config, recoveryPoint: recoveryPoint ?? fixture.activeBase)
    }

    @Test func aCleanReopenKeepsEverything() throws {
        let fixture = try RecoveryFixture()
        #expect(fixture.segmentBases.count >= 4)
        let dir = try fixture.copy()
        let log = try TestLog.open(
            dir, config: RecoveryFixture.config, recoveryPoint: fixture.logEndOffset, clean: true)
        try fixture.expectIntactPrefix(log, count: fixture.batches.count, directory: dir)
    }

    @Test func tornTailAtEveryBytePositionOfTheLastBatch() throws {
        let fixture = try RecoveryFixture(cleanClose: false)
        let positions = fixture.batchPositions(segment: fixture.activeBase)
        let last = positions.last!
        let size = fixture.headers[last.index].totalSize
        for cut in last.position..<(last.position + size) {
            let dir = try fixture.copy()
            try RecoveryFixture.edit(dir, RecoveryFixture.logName(fixture.activeBase)) { $0 = $0.prefix(cut) }
            let log = try reopen(fixture, dir)
            try fixture.expectIntactPrefix(log, count: last.index, directory: dir)
        }
    }

    @Test func garbledByteInTheLastBatch() throws {
        let fixture = try RecoveryFixture(cleanClose: false)
        let last = fixture.batchPositions(segment: fixture.activeBase).last!
        let size = fixture.headers[last.index].totalSize
        // Every byte the CRC covers, plus batch length, magic and the CRC itself. (Base offset and leader epoch lie
        // outside the CRC, as in Kafka; see SegmentScanner.)
        let offsetsInBatch =
            Array(8..<12) + [16] + Array(17..<21) + Array(stride(from: 21, to: size, by: 3)) + [size - 1]
        for byte in offsetsInBatch {
            let dir = try fixture.copy()
            try RecoveryFixture.edit(dir, RecoveryFixture.logName(fixture.activeBase)) { data in
                data[data.startIndex + last.position + byte] ^= 0x5A
            }
            let log = try reopen(fixture, dir)
            try fixture.expectIntactPrefix(log, count: last.index, directory: dir)
        }
    }

    @Test func garbledByteInAMiddleBatchOfTheActiveSegment() throws {
        let fixture = try RecoveryFixture(cleanClose: false)
        let positions = fixture.batchPositions(segment: fixture.activeBase)
        #expect(positions.count >= 3)
        let middle = positions[positions.count / 2]
        for byte in [30, 45, 61, fixture.headers[middle.index].totalSize - 2] {
            let dir = try fixture.copy()
            try RecoveryFixture.edit(dir, RecoveryFixture.logName(fixture.activeBase)) { data in
                data[data.startIndex + middle.position + byte] &+= 1
            }
            let log = try reopen(fixture, dir)
            try fixture.expectIntactPrefix(log, count: middle.index, directory: dir)
        }
    }

    @Test func corruptionInAnUnflushedSealedSegmentDropsLaterSegments() throws {
        let fixture = try RecoveryFixture(cleanClose: false)
        let second = fixture.segmentBases[1]
        let positions = fixture.batchPositions(segment: second)
        let victim = positions[1]
        let dir = try fixture.copy()
        try RecoveryFixture.edit(dir, RecoveryFixture.logName(second)) { data in
            data[data.startIndex + victim.position + 40] ^= 0xFF
        }
        let log = try reopen(fixture, dir, recoveryPoint: second)
        #expect(log.segmentBaseOffsets == [fixture.segmentBases[0], second])
        #expect(try TestLog.segmentFiles(dir, suffix: ".log").count == 2)
        try fixture.expectIntactPrefix(log, count: victim.index, directory: dir)
    }

    @Test func zeroFilledTailIsCut() throws {
        let fixture = try RecoveryFixture(cleanClose: false)
        for zeros in [1, 12, 61, 4_096] {
            let dir = try fixture.copy()
            try RecoveryFixture.edit(dir, RecoveryFixture.logName(fixture.activeBase)) {
                $0.append(Data(count: zeros))
            }
            let log = try reopen(fixture, dir)
            try fixture.expectIntactPrefix(log, count: fixture.batches.count, directory: dir)
        }
        // Even after a clean shutdown, a zero tail (preallocation, torn page) is found and cut.
        let dir = try fixture.copy()
        try RecoveryFixture.edit(dir, RecoveryFixture.logName(fixture.activeBase)) { $0.append(Data(count: 100)) }
        let log = try TestLog.open(
            dir, config: RecoveryFixture.config, recoveryPoint: fixture.logEndOffset, clean: true)
        try fixture.expectIntactPrefix(log, count: fixture.batches.count, directory: dir)
    }

    @Test func fullRecoveryFromOffsetZero() throws {
        let fixture = try RecoveryFixture(cleanClose: false)
        let dir = try fixture.copy()
        let log = try reopen(fixture, dir, recoveryPoint: .zero)
        try fixture.expectIntactPrefix(log, count: fixture.batches.count, directory: dir)
    }

    @Test func missingIndexFilesAreRebuiltIdentically() throws {
        let fixture = try RecoveryFixture()
        let originals = try indexFiles(fixture.original)
        for clean in [true, false] {
            let dir = try fixture.copy()
            for name in originals.keys { try FileManager.default.removeItem(atPath: TestLog.path(dir, name)) }
            let log = try TestLog.open(
                dir, config: RecoveryFixture.config, recoveryPoint: clean ? fixture.logEndOffset : .zero, clean: clean)
            try log.close()
            #expect(try indexFiles(dir) == originals)
            let again = try TestLog.open(dir, config: RecoveryFixture.config, recoveryPoint: .zero)
            try fixture.expectIntactPrefix(again, count: fixture.batches.count, directory: dir)
        }
    }

    @Test func corruptIndexFilesAreDetectedAndRebuilt() throws {
        let fixture = try RecoveryFixture()
        let originals = try indexFiles(fixture.original)
        let damages: [(String, (inout Data) -> Void)] = [
            ("garbage", { data in for i in data.indices { data[i] = UInt8(truncatingIfNeeded: i &* 131 &+ 7) } }),
            ("odd size", { data in data.append(0x01) }),
            ("cut entry", { data in data = data.dropLast(3) }),
            ("zeroed", { data in data = Data(count: data.count) }),
            ("last entry past the log", { data in if data.count >= 4 { data[data.endIndex - 4] = 0x7F } }),
            ("extra entry", { data in data.append(contentsOf: [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2]) }),
        ]
        for (what, damage) in damages {
            for suffix in [".index", ".timeindex"] {
                let dir = try fixture.copy()
                for name in originals.keys where name.hasSuffix(suffix) {
                    try RecoveryFixture.edit(dir, name, damage)
                }
                let log = try TestLog.open(
                    dir, config: RecoveryFixture.config, recoveryPoint: fixture.logEndOffset, clean: true)
                try log.close()
                #expect(try indexFiles(dir) == originals, "\(what) \(suffix)")
                let again = try TestLog.open(
                    dir, config: RecoveryFixture.config, recoveryPoint: fixture.logEndOffset, clean: true)
                try fixture.expectIntactPrefix(again, count: fixture.batches.count, directory: dir)
            }
        }
    }

    @Test func strayFilesAreCleanedUp() throws {
        let fixture = try RecoveryFixture()
        let dir = try fixture.copy()
        let stray = [
            "00000000000000000003.log.deleted", "00000000000000000003.index.deleted",
            "00000000000000000007.log.cleaned",
            "00000000000000000009.index.swap", "leader-epoch-checkpoint.tmp", "00000000000000999999.index",
        ]
        for name in stray { try Data([1, 2, 3]).write(to: URL(fileURLWithPath: TestLog.path(dir, name))) }
        let log = try TestLog.open(
            dir, config: RecoveryFixture.config, recoveryPoint: fixture.logEndOffset, clean: true)
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: dir.partitionDirectory))
        #expect(names.isDisjoint(with: stray))
        try fixture.expectIntactPrefix(log, count: fixture.batches.count, directory: dir)
    }

    @Test func aSwapSegmentReplacesTheSegmentsItCovers() throws {
        let fixture = try RecoveryFixture()
        let dir = try fixture.copy()
        // A "compacted" replacement of the first two segments: the same batches, as one file.
        let first = fixture.segmentBases[0]
        let third = fixture.segmentBases[2]
        var swapped = Data()
        for base in fixture.segmentBases[0..<2] {
            swapped += try Data(contentsOf: URL(fileURLWithPath: TestLog.path(dir, RecoveryFixture.logName(base))))
        }
        try swapped.write(to: URL(fileURLWithPath: TestLog.path(dir, RecoveryFixture.logName(first) + ".swap")))
        let log = try TestLog.open(dir, config: RecoveryFixture.config, recoveryPoint: .zero)
        #expect(log.segmentBaseOffsets == [first] + fixture.segmentBases[2...])
        #expect(log.segmentBaseOffsets[1] == third)
        try fixture.expectIntactPrefix(log, count: fixture.batches.count, directory: dir)
    }

    @Test func emptyActiveSegmentAndEmptyLog() throws {
        let fixture = try RecoveryFixture()
        let dir = try fixture.copy()
        let emptyBase = fixture.logEndOffset
        for suffix in [".log", ".index", ".timeindex"] {
            _ = FileManager.default.createFile(
                atPath: TestLog.path(dir, SegmentFileName.stem(emptyBase) + suffix), contents: nil)
        }
        let log = try TestLog.open(dir, config: RecoveryFixture.config, recoveryPoint: fixture.activeBase)
        #expect(log.activeSegmentBaseOffset == emptyBase)
        try fixture.expectIntactPrefix(log, count: fixture.batches.count, directory: dir)

        let fresh = TemporaryDirectory()
        let empty = try TestLog.open(fresh, logStartOffset: Offset(42))
        #expect(empty.logStartOffset == Offset(42) && empty.logEndOffset == Offset(42))
        try empty.close()
        let reopened = try TestLog.open(fresh, recoveryPoint: .zero)
        #expect(reopened.logEndOffset == Offset(42))
    }

    private func indexFiles(_ dir: TemporaryDirectory) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.partitionDirectory)
        where name.hasSuffix(".index") || name.hasSuffix(".timeindex") {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: TestLog.path(dir, name)))
        }
        return files
    }
}
