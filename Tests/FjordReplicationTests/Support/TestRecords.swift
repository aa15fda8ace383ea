import FjordModel
import Foundation
import KafkaWire
import NIOCore

enum TestRecords {
    /// A batch of `count` records of `valueBytes` each, optionally idempotent.
    static func batch(
        count: Int = 3, valueBytes: Int = 20, producerID: ProducerID = .none, producerEpoch: ProducerEpoch = .none,
        baseSequence: Int32 = -1, fill: UInt8 = 7, timestamp: Int64 = 1_700_000_000_000
    ) -> ByteBuffer {
        var builder = RecordBatchBuilder(
            producerId: producerID, producerEpoch: producerEpoch, baseSequence: baseSequence)
        for i in 0..<count {
            builder.append(
                key: nil,
                value: ByteBuffer(bytes: [UInt8](repeating: fill &+ UInt8(truncatingIfNeeded: i), count: valueBytes)),
                timestamp: TimestampMs(timestamp + Int64(i)))
        }
        return try! builder.build()
    }
}

/// A directory under the system temporary directory, removed when released.
final class TemporaryDirectory: Sendable {
    let path: String

    init(_ prefix: String = "fjord-replication") {
        path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
