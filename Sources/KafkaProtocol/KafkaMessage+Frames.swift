import KafkaWire
import NIOCore

// Whole frames as they travel on a connection: int32 size, header, body.

extension ByteBuffer {
    /// Writes an int32 size prefix, then what `body` writes, and patches the prefix with that size.
    @inlinable
    mutating func writeSizePrefixed(_ body: (inout ByteBuffer) -> Void) {
        let sizeIndex = self.writerIndex
        self.writeInteger(Int32(0))
        body(&self)
        let size = self.writerIndex - sizeIndex - 4
        precondition(size <= Int(Int32.max), "frame of \(size) bytes does not fit an int32 size")
        self.setInteger(Int32(size), at: sizeIndex)
    }
}

extension KafkaResponse {
    /// Writes the response header (of the version ``headerVersion(for:)`` picks) and the body at `version`.
    public func writeWithHeader(to buffer: inout ByteBuffer, correlationId: Int32, version: Int16) {
        ResponseHeader(correlationId: correlationId).write(to: &buffer, headerVersion: Self.headerVersion(for: version))
        self.write(to: &buffer, version: version)
    }

    /// Writes a complete response frame: int32 size, response header, body at `version`.
    public func writeFrame(to buffer: inout ByteBuffer, correlationId: Int32, version: Int16) {
        buffer.writeSizePrefixed { buffer in
            self.writeWithHeader(to: &buffer, correlationId: correlationId, version: version)
        }
    }

    /// Decodes a response frame's header and body (the bytes after the size prefix) at `version`, the version of
    /// the request it answers.
    public static func decodeWithHeader(from buffer: inout ByteBuffer, version: Int16, limits: DecodeLimits)
        throws(KafkaWireError) -> (header: ResponseHeader, body: Self)
    {
        let header = try ResponseHeader(from: &buffer, headerVersion: headerVersion(for: version), limits: limits)
        return (header, try Self(from: &buffer, version: version, limits: limits))
    }
}

extension KafkaRequest {
    /// The request header a client sends with this request at `version`.
    public static func header(version: Int16, correlationId: Int32, clientId: String?) -> RequestHeader {
        RequestHeader(apiKey: apiKey.rawValue, apiVersion: version, correlationId: correlationId, clientId: clientId)
    }

    /// Writes the request header (of the version ``headerVersion(for:)`` picks) and the body at `version`.
    public func writeWithHeader(to buffer: inout ByteBuffer, correlationId: Int32, clientId: String?, version: Int16) {
        Self.header(version: version, correlationId: correlationId, clientId: clientId)
            .write(to: &buffer, headerVersion: Self.headerVersion(for: version))
        self.write(to: &buffer, version: version)
    }

    /// Writes a complete request frame: int32 size, request header, body at `version`.
    public func writeFrame(to buffer: inout ByteBuffer, correlationId: Int32, clientId: String?, version: Int16) {
        buffer.writeSizePrefixed { buffer in
            self.writeWithHeader(to: &buffer, correlationId: correlationId, clientId: clientId, version: version)
        }
    }
}
