import FjordModel
import Foundation
import KafkaWire
import Logging
import NIOCore

@testable import FjordStorage

/// A temporary directory removed when the test's scope ends.
final class TemporaryDirectory {
    let path: String

    init(_ name: String = "fjord-storage") {
        path = NSTemporaryDirectory() + "\(name)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    var partitionDirectory: String { path + "/orders-0" }
}

enum TestLog {
    static let partition = TopicPartition(topic: "orders", partition: 0)
    static let logger: Logger = {
        var logger = Logger(label: "fjord.storage.test")
        logger.logLevel = .critical
        return logger
    }()

    static func config(
        segmentBytes: Int = 1 << 30, indexIntervalBytes: Int = 4096, segmentMs: Int64 = 7 * 24 * 3_600_000
    ) -> LogConfig {
        var config = LogConfig()
        config.segmentBytes = segmentBytes
        config.indexIntervalBytes = indexIntervalBytes
        config.segmentMs = segmentMs
        return config
    }

    static func open(
        _ directory: TemporaryDirectory, config: LogConfig = config(), recoveryPoint: Offset? = nil,
        logStartOffset: Offset? = nil, highWatermark: Offset? = nil, clean: Bool = false,
        now: TimestampMs = TimestampMs(1_000_000)
    ) throws -> PartitionLog {
        try PartitionLog.open(
            directory: directory.partitionDirectory, topicPartition: partition, config: config,
            recoveryPoint: recoveryPoint, logStartOffset: logStartOffset, highWatermark: highWatermark,
            hadCleanShutdown: clean, now: now, logger: logger)
    }

    /// Appends `count` batches of `records` records as leader; batch i has timestamps from `1000 + 10 * i`.
    @discardableResult
    static func appendBatches(
        _ log: PartitionLog, count: Int, records: Int = 3, valueBytes: Int = 100, epoch: Int32 = 0,
        firstTimestamp: Int64 = 1_000
    ) throws -> [LogAppendInfo] {
        var infos: [LogAppendInfo] = []
        for i in 0..<count {
            var batch = TestBatch.make(
                records: records, valueBytes: valueBytes, baseTimestamp: firstTimestamp + Int64(i) * 10,
                fill: UInt8(truncatingIfNeeded: i))
            infos.append(
                try log.appendAsLeader(&batch, leaderEpoch: LeaderEpoch(epoch), now: TimestampMs(1_000_000)))
        }
        return infos
    }

    /// Every batch from the log start to the end, read with reads of `maxBytes`, as headers and raw bytes.
    static func readAll(_ log: PartitionLog, maxBytes: Int = 1 << 20) throws -> (
        headers: [RecordBatchHeader], bytes: ByteBuffer
    ) {
        var offset = log.logStartOffset
        var all = ByteBuffer()
        var headers: [RecordBatchHeader] = []
        while offset < log.logEndOffset {
            let result = try log.read(from: offset, maxBytes: maxBytes, minOneBatch: true)
            var bytes = try result.readBytes()
            let batchHeaders = try TestBatch.headers(bytes)
            guard let last = batchHeaders.last else { break }
            headers += batchHeaders
            all.writeBuffer(&bytes)
            offset = last.nextOffset
        }
        return (headers, all)
    }

    /// The raw bytes of every segment's `.log`, concatenated in base offset order.
    static func logFileBytes(_ directory: TemporaryDirectory) throws -> Data {
        var data = Data()
        for name in try segmentFiles(directory, suffix: ".log") {
            data += try Data(contentsOf: URL(fileURLWithPath: directory.partitionDirectory + "/" + name))
        }
        return data
    }

    static func segmentFiles(_ directory: TemporaryDirectory, suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.partitionDirectory)
            .filter { $0.hasSuffix(suffix) }.sorted()
    }

    static func path(_ directory: TemporaryDirectory, _ name: String) -> String {
        directory.partitionDirectory + "/" + name
    }
}
