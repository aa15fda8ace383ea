import NIOCore

/// One request as it arrived: the fields every request header version starts with, and the whole frame.
///
/// Every Kafka request header (v0, v1, v2) begins with `api_key int16, api_version int16, correlation_id int32`,
/// so these are read without knowing the version; the rest of the header and the body are decoded by the handler.
public struct RequestFrame: Sendable {
    public var apiKey: Int16
    public var apiVersion: Int16
    public var correlationId: Int32
    /// The frame without its size prefix, reader index at the start of the request header.
    public var buffer: ByteBuffer

    /// Reads the fixed header prefix; nil when the frame is shorter than 8 bytes.
    public init?(frame: ByteBuffer) {
        guard let apiKey = frame.getInteger(at: frame.readerIndex, as: Int16.self),
            let apiVersion = frame.getInteger(at: frame.readerIndex + 2, as: Int16.self),
            let correlationId = frame.getInteger(at: frame.readerIndex + 4, as: Int32.self)
        else { return nil }
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationId = correlationId
        self.buffer = frame
    }
}

/// A response ready to write: the bytes after the 4-byte size prefix, which the server computes and adds.
///
/// Parts are written in order. A `.file` part is sent with `sendfile` on plaintext connections (no copy through user
/// space). The server takes ownership of each file part's `NIOFileHandle` and closes it once the write completes or
/// fails, so producers of file parts hand over a handle of their own (for example a `dup` of a segment's descriptor).
public struct KafkaResponse: Sendable {
    public enum Part: Sendable {
        case bytes(ByteBuffer)
        case file(FileRegion)

        public var byteCount: Int {
            switch self {
            case .bytes(let b): b.readableBytes
            case .file(let r): r.readableBytes
            }
        }
    }

    public var parts: [Part]

    public init(parts: [Part]) { self.parts = parts }
    public init(_ buffer: ByteBuffer) { self.parts = [.bytes(buffer)] }

    /// Total bytes after the size prefix.
    public var byteCount: Int { parts.reduce(0) { $0 + $1.byteCount } }

    /// Closes the file handles of file parts (used when the response is dropped without being written).
    public func releaseFiles() {
        for case .file(let region) in parts { try? region.fileHandle.close() }
    }
}
