import FjordModel
import KafkaProtocol
import KafkaWire

/// Why a FjordClient operation failed.
///
/// A struct around a private enum, so cases can be added without breaking callers: match on ``kind`` through the
/// static members (`error.kind == .broker`), read ``errorCode`` for the Kafka error a broker returned, and
/// ``isRetriable`` for whether trying again may succeed. ``description`` is one line meant for people.
public struct KafkaClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The category of failure.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case broker, connectionFailed, connectionClosed, requestTimedOut, protocolViolation, configuration
            case deliveryTimedOut, clientClosed, unsupportedVersion, noBrokersAvailable, invalidArgument
            case metadataUnavailable, rebalanceInProgress, fenced
        }
        fileprivate let base: Base

        /// A broker answered with a Kafka error code (see ``KafkaClientError/errorCode``).
        public static let broker = Kind(base: .broker)
        /// A TCP connection could not be opened.
        public static let connectionFailed = Kind(base: .connectionFailed)
        /// The connection closed before the response arrived.
        public static let connectionClosed = Kind(base: .connectionClosed)
        /// No response arrived within `requestTimeout`.
        public static let requestTimedOut = Kind(base: .requestTimedOut)
        /// The broker sent bytes that do not decode as the expected response.
        public static let protocolViolation = Kind(base: .protocolViolation)
        /// A configuration value is invalid or values contradict each other.
        public static let configuration = Kind(base: .configuration)
        /// A record was not acknowledged within `deliveryTimeout` (or its retries ran out).
        public static let deliveryTimedOut = Kind(base: .deliveryTimedOut)
        /// The client was closed.
        public static let clientClosed = Kind(base: .clientClosed)
        /// The broker does not support any version of an API this client needs.
        public static let unsupportedVersion = Kind(base: .unsupportedVersion)
        /// None of the bootstrap servers or known brokers could be reached.
        public static let noBrokersAvailable = Kind(base: .noBrokersAvailable)
        /// An argument to a call is invalid (empty topic name, negative partition…).
        public static let invalidArgument = Kind(base: .invalidArgument)
        /// Metadata for a topic did not arrive in time (the topic may not exist).
        public static let metadataUnavailable = Kind(base: .metadataUnavailable)
        /// The consumer group is rebalancing; the operation may succeed after it completes.
        public static let rebalanceInProgress = Kind(base: .rebalanceInProgress)
        /// This client instance was fenced by a newer one (producer epoch, group generation).
        public static let fenced = Kind(base: .fenced)

        public var description: String { base.rawValue }
    }

    public var kind: Kind
    /// The Kafka error code a broker returned, when ``kind`` is ``Kind/broker``.
    public var errorCode: ErrorCode?
    /// What went wrong, in one line.
    public var message: String
    /// The partition the error concerns, when there is one.
    public var topicPartition: TopicPartition?

    public init(
        _ kind: Kind, _ message: String, errorCode: ErrorCode? = nil, topicPartition: TopicPartition? = nil
    ) {
        self.kind = kind
        self.message = message
        self.errorCode = errorCode
        self.topicPartition = topicPartition
    }

    /// A broker's error code, with Kafka's explanation as the message unless one is given.
    public static func broker(
        _ code: ErrorCode, _ message: String? = nil, topicPartition: TopicPartition? = nil
    ) -> KafkaClientError {
        let text = message.map { "\(code.name): \($0)" } ?? "\(code.name): \(code.defaultMessage)"
        return KafkaClientError(.broker, text, errorCode: code, topicPartition: topicPartition)
    }

    /// Whether the same operation may succeed if tried again (after a metadata refresh or a reconnect).
    public var isRetriable: Bool {
        switch kind.base {
        case .broker: errorCode?.isRetriable ?? false
        case .connectionFailed, .connectionClosed, .requestTimedOut, .noBrokersAvailable, .metadataUnavailable,
            .rebalanceInProgress:
            true
        default: false
        }
    }

    public var description: String {
        if let topicPartition { return "\(message) (\(topicPartition))" }
        return message
    }

    static func decoding(_ error: KafkaWireError, _ what: String) -> KafkaClientError {
        KafkaClientError(.protocolViolation, "could not decode \(what): \(error)")
    }
}
