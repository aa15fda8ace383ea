import KafkaProtocol

/// A Kafka error code with an optional message, as admin responses carry them.
public struct ApiError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String?

    public init(_ code: ErrorCode, _ message: String? = nil) {
        self.code = code
        self.message = message
    }

    public static let success = ApiError(.noError)
    public var isSuccess: Bool { code == .noError }
    public var description: String { message.map { "\(code.name): \($0)" } ?? code.name }
}
