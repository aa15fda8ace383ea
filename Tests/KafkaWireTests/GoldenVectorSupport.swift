import FjordModel
import Foundation
import KafkaWire
import NIOCore

/// The golden vectors in `Fixtures/`: record batches captured from real clients (see `scripts/golden/`) and the
/// records that were sent to make them.
enum GoldenVectors {
    struct Entry: Decodable, CustomStringConvertible {
        var file: String
        var client: String
        var clientVersion: String
        var codec: String
        var records: String
        var batchCount: Int
        var producerId: Int64
        var producerEpoch: Int16
        var baseSequence: Int32

        var description: String { file }
        var compressionCodec: CompressionCodec {
            CompressionCodec.allCases.first { $0.description == codec }!
        }
    }

    struct SentRecord: Decodable {
        struct Header: Decodable {
            var key: String
            var value: String?
        }
        var key: String?
        var value: String?
        var headers: [Header]
        var timestamp: Int64
    }

    static let directory: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static let manifest: [Entry] = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try! JSONDecoder().decode([Entry].self, from: data)
    }()

    static func bytes(_ file: String) -> ByteBuffer {
        ByteBuffer(bytes: try! Data(contentsOf: directory.appendingPathComponent(file)))
    }

    /// The records a capture sent, as the decoder should return them (offsets from 0).
    static func expectedRecords(_ file: String) -> [Record] {
        let data = try! Data(contentsOf: directory.appendingPathComponent(file))
        let sent = try! JSONDecoder().decode([SentRecord].self, from: data)
        let buffer = { (base64: String?) -> ByteBuffer? in
            base64.map { ByteBuffer(bytes: Data(base64Encoded: $0)!) }
        }
        return sent.enumerated().map { index, record in
            Record(
                offset: Offset(Int64(index)), timestamp: TimestampMs(record.timestamp), key: buffer(record.key),
                value: buffer(record.value),
                headers: record.headers.map { RecordHeader(key: $0.key, value: buffer($0.value)) })
        }
    }
}

/// Recomputes the CRC-32C of the batch at the start of `buffer` after a test changed bytes inside it.
func fixChecksum(_ buffer: inout ByteBuffer) {
    let crc = buffer.withUnsafeReadableBytes { raw in
        CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[RecordBatchHeader.Position.attributes...]))
    }
    buffer.setInteger(crc, at: buffer.readerIndex + RecordBatchHeader.Position.crc)
}

/// A deterministic pseudo-random generator (SplitMix64), so randomized tests reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
