/// Why an idempotent producer's batch was refused. Each code maps to the Kafka error the produce response carries
/// (``kafkaErrorCode``).
public struct ProducerStateError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        /// The batch's first sequence is not the one after the producer's last (a gap or an old retry beyond the
        /// remembered five), or a new epoch does not start at sequence 0: OUT_OF_ORDER_SEQUENCE_NUMBER (45).
        case outOfOrderSequence
        /// The batch's producer epoch is older than the one the partition knows: INVALID_PRODUCER_EPOCH (47).
        case invalidProducerEpoch
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var kafkaErrorCode: Int16 {
        switch code {
        case .outOfOrderSequence: 45
        case .invalidProducerEpoch: 47
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
