import FjordModel
import KafkaWire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a partition log operation failed. Each code maps to the Kafka error a broker returns for it
/// (``kafkaErrorCode``); the message carries the context (offsets, paths, errno) for logs.
public struct LogError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        /// A read, timestamp lookup or deleteRecords named an offset outside `logStartOffset...logEndOffset`.
        case offsetOutOfRange
        /// A batch failed its CRC-32C or its header is malformed (produce or replication input).
        case corruptRecord
        /// A batch is well formed but not acceptable here (no records, offset deltas that do not match the count).
        case invalidRecord
        /// One batch is larger than `max.message.bytes`.
        case recordTooLarge
        /// The whole append is larger than `segment.bytes`, so it cannot fit in any segment.
        case recordListTooLarge
        /// A follower append whose first offset lies below the log end offset.
        case unexpectedAppendOffset
        /// A follower append whose batches do not have increasing offsets.
        case offsetsOutOfOrder
        /// A system call on the log's files failed, or the files are damaged past what recovery handles.
        case storage
        /// The log was closed or deleted.
        case closed
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The Kafka protocol error code a broker answers with (OFFSET_OUT_OF_RANGE = 1, CORRUPT_MESSAGE = 2,
    /// MESSAGE_TOO_LARGE = 10, RECORD_LIST_TOO_LARGE = 18, KAFKA_STORAGE_ERROR = 56, INVALID_RECORD = 87,
    /// UNKNOWN_SERVER_ERROR = -1 for the follower-only append errors, which the fetcher handles itself).
    public var kafkaErrorCode: Int16 {
        switch code {
        case .offsetOutOfRange: 1
        case .corruptRecord: 2
        case .recordTooLarge: 10
        case .recordListTooLarge: 18
        case .storage, .closed: 56
        case .invalidRecord: 87
        case .unexpectedAppendOffset, .offsetsOutOfOrder: -1
        }
    }

    static func io(_ operation: String, path: String, errno code: Int32) -> LogError {
        LogError(.storage, "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code))")
    }

    static func outOfRange(_ offset: Offset, logStartOffset: Offset, logEndOffset: Offset) -> LogError {
        LogError(
            .offsetOutOfRange,
            "offset \(offset) is outside the log's range \(logStartOffset)...\(logEndOffset)")
    }

    static func corrupt(_ error: KafkaWireError) -> LogError {
        LogError(.corruptRecord, error.description)
    }
}
