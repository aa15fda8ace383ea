import KafkaWire
import NIOCore

/// A request frame split into its header and its still-encoded body: the first step of serving a request.
///
/// Parsing the header needs only the API key and version (which fix the header version), so it works for
/// versions no codec here knows, such as a newer client's ApiVersions request: the broker reads the header,
/// compares the version with what it serves and answers UNSUPPORTED_VERSION without touching the body.
public struct KafkaRequestFrame: Sendable {
    /// The decoded request header.
    public var header: RequestHeader
    /// The header's API key.
    public var apiKey: ApiKey
    /// The header version the frame was parsed with (0, 1 or 2).
    public var headerVersion: Int16
    /// The body's bytes: a slice of the frame, not yet decoded.
    public var body: ByteBuffer

    /// Parses the header at the start of `frame` (the bytes after the 4-byte size prefix).
    ///
    /// - Throws: `KafkaWireError` `.invalidValue` for an API key Kafka 3.9 does not define (the caller can still
    ///   read the correlation id with `RequestHeader.peekPrefix`), or any header decoding error.
    public init(parsing frame: ByteBuffer, limits: DecodeLimits) throws(KafkaWireError) {
        let prefix = try RequestHeader.peekPrefix(frame)
        guard let apiKey = ApiKey(rawValue: prefix.apiKey) else {
            throw KafkaWireError(.invalidValue, "unknown API key \(prefix.apiKey)")
        }
        var buffer = frame
        let headerVersion = apiKey.requestHeaderVersion(apiVersion: prefix.apiVersion)
        self.header = try RequestHeader(from: &buffer, headerVersion: headerVersion, limits: limits)
        self.apiKey = apiKey
        self.headerVersion = headerVersion
        self.body = buffer
    }

    /// The request's API version.
    public var apiVersion: Int16 { header.apiVersion }

    /// Whether a generated codec exists for this API at this version.
    public var hasCodec: Bool { apiKey.requestType?.validVersions.contains(header.apiVersion) ?? false }

    /// Decodes the body. Bytes after the body (a newer client's trailing data) are ignored, as Kafka does.
    ///
    /// - Throws: `KafkaWireError` `.unsupportedVersion` when ``hasCodec`` is false, or any body decoding error.
    public func decodeBody(limits: DecodeLimits) throws(KafkaWireError) -> KafkaRequestBody {
        var buffer = body
        return try KafkaRequestBody.decode(apiKey: apiKey, version: header.apiVersion, from: &buffer, limits: limits)
    }
}
