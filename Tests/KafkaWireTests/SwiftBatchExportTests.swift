import Foundation
import KafkaWire
import NIOCore
import Testing

/// Writes the golden records as Swift-built batches, one file per codec, for `scripts/golden/verify_swift_batches.py`
/// to decode with real clients. Runs only when `FJORD_EXPORT_SWIFT_BATCHES` names a directory.
@Suite struct SwiftBatchExportTests {
    static let directory = ProcessInfo.processInfo.environment["FJORD_EXPORT_SWIFT_BATCHES"]

    @Test(.enabled(if: directory != nil)) func exportSwiftBuiltBatches() throws {
        let directory = URL(fileURLWithPath: Self.directory!)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let records = GoldenVectors.expectedRecords("records.json")
        for codec in CompressionCodec.allCases {
            var builder = RecordBatchBuilder(compression: codec)
            for record in records {
                builder.append(
                    key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp)
            }
            let batch = try builder.build()
            try Data(batch.readableBytesView).write(to: directory.appendingPathComponent("swift-\(codec).bin"))
        }
    }
}
