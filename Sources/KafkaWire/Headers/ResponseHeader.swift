import NIOCore

/// The header in front of every Kafka response body (hand-written from Kafka's `ResponseHeader.json`).
///
/// Layout by header version:
///
///     v0  correlation_id int32
///     v1  v0 + tagged fields     (responses in flexible versions, except ApiVersions, which always uses v0)
public struct ResponseHeader: Hashable, Sendable {
    /// The correlation id of the request this answers.
    public var correlationId: Int32
    /// Tagged fields of a v1 header; Kafka 3.9 defines none, so all are carried through unread.
    public var unknownTaggedFields: [KafkaTaggedField]

    public init(correlationId: Int32, unknownTaggedFields: [KafkaTaggedField] = []) {
        self.correlationId = correlationId
        self.unknownTaggedFields = unknownTaggedFields
    }

    /// Reads a header of `headerVersion` (0 or 1) from `buffer`.
    public init(from buffer: inout ByteBuffer, headerVersion: Int16, limits: DecodeLimits) throws(KafkaWireError) {
        guard (0...1).contains(headerVersion) else {
            throw .unsupportedVersion("ResponseHeader", version: headerVersion, valid: 0...1)
        }
        self.correlationId = try buffer.readInt32()
        self.unknownTaggedFields = headerVersion >= 1 ? try buffer.readUnknownTaggedFields(limits: limits) : []
    }

    /// Writes the header at `headerVersion` (0 or 1).
    public func write(to buffer: inout ByteBuffer, headerVersion: Int16) {
        precondition((0...1).contains(headerVersion), "response header version \(headerVersion) outside 0...1")
        buffer.writeInt32(self.correlationId)
        if headerVersion >= 1 {
            buffer.writeUnknownTaggedFields(self.unknownTaggedFields)
        }
    }
}
