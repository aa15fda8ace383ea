import KafkaWire
import NIOCore

/// A Kafka message codec generated from Kafka's JSON definitions (request, response or data schema).
///
/// Every generated type is a value type with a memberwise init whose arguments all default to Kafka's defaults,
/// decodes from and encodes to a `ByteBuffer` at any version in ``validVersions``, and compares by value, so
/// `decode(encode(x, v), v) == x` for every value whose fields exist at `v`.
public protocol KafkaMessage: Hashable, Sendable {
    /// The versions this codec reads and writes (Kafka 3.9's `validVersions`).
    static var validVersions: ClosedRange<Int16> { get }
    /// The versions using compact encodings and tagged fields, nil when none does.
    static var flexibleVersions: PartialRangeFrom<Int16>? { get }

    /// Decodes the message body at `version` from `buffer`, leaving the reader index just past it.
    ///
    /// - Throws: `KafkaWireError`: `.unsupportedVersion` outside ``validVersions``; `.truncated`,
    ///   `.lengthOutOfRange`, `.invalidValue` or `.malformedVarint` for malformed input. Never traps on input.
    init(from buffer: inout ByteBuffer, version: Int16, limits: DecodeLimits) throws(KafkaWireError)

    /// Encodes the message body at `version` into `buffer`.
    ///
    /// Fields that do not exist at `version` are left out; a non-default value in a non-ignorable field that
    /// `version` cannot carry is a programmer error (asserted in debug builds, dropped in release builds).
    ///
    /// - Precondition: `version` is within ``validVersions``.
    func write(to buffer: inout ByteBuffer, version: Int16)
}

extension KafkaMessage {
    /// Whether `version` uses compact encodings and tagged fields.
    public static func isFlexible(version: Int16) -> Bool {
        flexibleVersions?.contains(version) ?? false
    }

    /// Decodes with ``DecodeLimits/default``.
    public init(from buffer: inout ByteBuffer, version: Int16) throws(KafkaWireError) {
        try self.init(from: &buffer, version: version, limits: .default)
    }

    /// The body encoded at `version` into a new buffer.
    public func encoded(version: Int16, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64)
        self.write(to: &buffer, version: version)
        return buffer
    }
}

/// A request message: the body a client sends after a ``RequestHeader``.
public protocol KafkaRequest: KafkaMessage {
    /// The response message answering this request.
    associatedtype Response: KafkaResponse
    /// The API this request belongs to.
    static var apiKey: ApiKey { get }
    /// The request header version used with body `version`: 2 in flexible versions, else 1 (0 only for
    /// ControlledShutdown v0).
    static func headerVersion(for version: Int16) -> Int16
}

/// A response message: the body a broker sends after a ``ResponseHeader``.
public protocol KafkaResponse: KafkaMessage {
    /// The API this response belongs to.
    static var apiKey: ApiKey { get }
    /// The response header version used with body `version`: 1 in flexible versions, else 0 (always 0 for
    /// ApiVersions).
    static func headerVersion(for version: Int16) -> Int16
}
