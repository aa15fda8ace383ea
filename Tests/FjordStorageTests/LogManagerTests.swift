import FjordModel
import Foundation
import Logging
import Testing

@testable import FjordStorage

@Suite struct LogManagerTests {
    private func open(_ dir: TemporaryDirectory, segmentBytes: Int = 1 << 30) throws -> LogManager {
        try LogManager(directory: dir.path, logger: TestLog.logger) { _ in
            TestLog.config(segmentBytes: segmentBytes)
        }
    }

    @Test func createsLogsAndCheckpointsTheirOffsets() throws {
        let dir = TemporaryDirectory()
        let manager = try open(dir)
        #expect(!manager.hadCleanShutdown)
        let a = try manager.getOrCreateLog(TopicPartition(topic: "a", partition: 0))
        let b = try manager.getOrCreateLog(TopicPartition(topic: "b-x", partition: 3))
        #expect(try manager.getOrCreateLog(TopicPartition(topic: "a", partition: 0)) === a)
        try TestLog.appendBatches(a, count: 5, records: 2)
        try TestLog.appendBatches(b, count: 2, records: 1)
        a.updateHighWatermark(Offset(6))
        try a.flush()
        try manager.writeCheckpoints()
        let recovery = try OffsetCheckpointFile(path: dir.path + "/recovery-point-offset-checkpoint").read()
        #expect(recovery[TopicPartition(topic: "a", partition: 0)] == Offset(10))
        #expect(recovery[TopicPartition(topic: "b-x", partition: 3)] == Offset(0))
        let hw = try OffsetCheckpointFile(path: dir.path + "/replication-offset-checkpoint").read()
        #expect(hw[TopicPartition(topic: "a", partition: 0)] == Offset(6))
        #expect(FileManager.default.fileExists(atPath: dir.path + "/a-0/00000000000000000000.log"))
        #expect(FileManager.default.fileExists(atPath: dir.path + "/b-x-3/00000000000000000000.log"))
    }

    @Test func cleanCloseAndReopen() throws {
        let dir = TemporaryDirectory()
        let partition = TopicPartition(topic: "orders", partition: 1)
        do {
            let manager = try open(dir, segmentBytes: 1_000)
            let log = try manager.getOrCreateLog(partition)
            try TestLog.appendBatches(log, count: 30, records: 2)
            log.updateHighWatermark(Offset(50))
            try log.advanceLogStartOffset(to: Offset(7))
            try manager.close()
            #expect(throws: LogError.self) { try TestLog.appendBatches(log, count: 1) }
        }
        #expect(FileManager.default.fileExists(atPath: dir.path + "/.kafka_cleanshutdown"))
        let manager = try open(dir, segmentBytes: 1_000)
        #expect(manager.hadCleanShutdown)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/.kafka_cleanshutdown"))
        let log = try #require(manager.log(for: partition))
        #expect(log.logEndOffset == Offset(60))
        #expect(log.recoveryPoint == Offset(60))
        #expect(log.logStartOffset == Offset(7))
        #expect(log.highWatermark == Offset(50))
        #expect(try TestLog.readAll(log).headers.first?.baseOffset == Offset(6))  // the batch holding offset 7
    }

    @Test func retentionFlushAndDeletion() throws {
        let dir = TemporaryDirectory()
        let manager = try LogManager(directory: dir.path, logger: TestLog.logger) { _ in
            var config = TestLog.config(segmentBytes: 1_000)
            config.retentionBytes = 2_000
            config.flushMessages = 10
            return config
        }
        let partition = TopicPartition(topic: "t", partition: 0)
        let log = try manager.getOrCreateLog(partition)
        let infos = try TestLog.appendBatches(log, count: 30, records: 2)
        #expect(infos.contains { $0.flushNeeded })
        #expect(log.dueFlushOffset() == log.logEndOffset)
        try manager.flushDueLogs()
        #expect(log.recoveryPoint == log.logEndOffset)
        #expect(log.dueFlushOffset() == nil)
        log.updateHighWatermark(log.logEndOffset)
        let results = manager.runRetention()
        #expect(results[partition] != nil)
        #expect(log.sizeBytes < 3_000)
        try manager.deleteLog(partition)
        #expect(manager.log(for: partition) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("t-") }.isEmpty)
    }

    @Test func ignoresForeignDirectoriesAndRemovesHalfDeletedOnes() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(
            atPath: dir.path + "/not a partition", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            atPath: dir.path + "/old-0.abc-delete", withIntermediateDirectories: true)
        try Data([1]).write(to: URL(fileURLWithPath: dir.path + "/old-0.abc-delete/00000000000000000000.log"))
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir.path + "/recovery-point-offset-checkpoint"))
        let manager = try open(dir)
        #expect(manager.allLogs.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/old-0.abc-delete"))
        #expect(LogManager.parseDirectoryName("my-topic-12") == TopicPartition(topic: "my-topic", partition: 12))
        #expect(LogManager.parseDirectoryName("topic-x") == nil)
    }
}
