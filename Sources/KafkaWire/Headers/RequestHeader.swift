import NIOCore

/// The header in front of every Kafka request body (hand-written from Kafka's `RequestHeader.json`).
///
/// Layout by header version:
///
///     v0  api_key int16, api_version int16, correlation_id int32        (only ControlledShutdown v0)
///     v1  v0 + client_id nullable string (int16 length)
///     v2  v1 + tagged fields                                             (requests in flexible versions)
///
/// `client_id` keeps the classic int16 length even in v2, so any broker can read the header of an
/// ApiVersions request whatever its version. Which header version a request uses depends on its API key and
/// version (KafkaProtocol's `ApiKey.requestHeaderVersion(apiVersion:)`); `apiKey` is the raw number here
/// because this layer does not know the API catalogue.
public struct RequestHeader: Hashable, Sendable {
    /// The API key of the request (KafkaProtocol's `ApiKey` raw value).
    public var apiKey: Int16
    /// The version of the request body.
    public var apiVersion: Int16
    /// Echoed in the response so the client can match it to this request.
    public var correlationId: Int32
    /// The client's self-chosen id; absent (nil) in header v0.
    public var clientId: String?
    /// Tagged fields of a v2 header; Kafka 3.9 defines none, so all are carried through unread.
    public var unknownTaggedFields: [KafkaTaggedField]

    public init(
        apiKey: Int16, apiVersion: Int16, correlationId: Int32, clientId: String? = nil,
        unknownTaggedFields: [KafkaTaggedField] = []
    ) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationId = correlationId
        self.clientId = clientId
        self.unknownTaggedFields = unknownTaggedFields
    }

    /// The first 8 bytes every request header starts with, whatever its version.
    public struct Prefix: Hashable, Sendable {
        public var apiKey: Int16
        public var apiVersion: Int16
        public var correlationId: Int32

        public init(apiKey: Int16, apiVersion: Int16, correlationId: Int32) {
            self.apiKey = apiKey
            self.apiVersion = apiVersion
            self.correlationId = correlationId
        }
    }

    /// Reads api key, api version and correlation id at the start of `buffer` without consuming them: enough
    /// to choose the header version, and to answer even a request that cannot be parsed further.
    public static func peekPrefix(_ buffer: ByteBuffer) throws(KafkaWireError) -> Prefix {
        guard buffer.readableBytes >= 8 else {
            throw .truncated("request header", needed: 8, remaining: buffer.readableBytes)
        }
        let start = buffer.readerIndex
        return Prefix(
            apiKey: buffer.getInteger(at: start, as: Int16.self)!,
            apiVersion: buffer.getInteger(at: start + 2, as: Int16.self)!,
            correlationId: buffer.getInteger(at: start + 4, as: Int32.self)!)
    }

    /// Reads a header of `headerVersion` (0, 1 or 2) from `buffer`.
    public init(from buffer: inout ByteBuffer, headerVersion: Int16, limits: DecodeLimits) throws(KafkaWireError) {
        guard (0...2).contains(headerVersion) else {
            throw .unsupportedVersion("RequestHeader", version: headerVersion, valid: 0...2)
        }
        self.apiKey = try buffer.readInt16()
        self.apiVersion = try buffer.readInt16()
        self.correlationId = try buffer.readInt32()
        self.clientId = headerVersion >= 1 ? try buffer.readKafkaNullableString(compact: false, limits: limits) : nil
        self.unknownTaggedFields = headerVersion >= 2 ? try buffer.readUnknownTaggedFields(limits: limits) : []
    }

    /// Writes the header at `headerVersion` (0, 1 or 2). Fields the version lacks (client id in v0, tagged fields
    /// before v2) are left out.
    public func write(to buffer: inout ByteBuffer, headerVersion: Int16) {
        precondition((0...2).contains(headerVersion), "request header version \(headerVersion) outside 0...2")
        buffer.writeInt16(self.apiKey)
        buffer.writeInt16(self.apiVersion)
        buffer.writeInt32(self.correlationId)
        if headerVersion >= 1 {
            buffer.writeKafkaNullableString(self.clientId, compact: false)
        }
        if headerVersion >= 2 {
            buffer.writeUnknownTaggedFields(self.unknownTaggedFields)
        }
    }
}
