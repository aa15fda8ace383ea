/// Why bytes from the wire (or from a segment file) could not be decoded.
///
/// Decoders never trust a length or count read from the input: each is bounded by the bytes remaining and by a
/// configured maximum, and a violation throws this error instead of allocating or reading out of bounds.
public struct KafkaWireError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        /// The input ended before the value did.
        case truncated
        /// A length or count is negative (where null is not allowed) or larger than the bytes left or the limit.
        case lengthOutOfRange
        /// A varint ran past its maximum width.
        case malformedVarint
        /// A value outside its legal range (a bad enum, an unknown magic byte, a bad UTF-8 string…).
        case invalidValue
        /// A record batch's CRC-32C does not match its bytes.
        case corruptChecksum
        /// The message's version is not one this codec knows.
        case unsupportedVersion
        /// Compression failed, or decompression would exceed its size cap.
        case compression
    }

    public var code: Code
    /// What was being decoded and what was wrong, for logs and error messages.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func truncated(_ what: String, needed: Int, remaining: Int) -> KafkaWireError {
        KafkaWireError(.truncated, "\(what): needs \(needed) bytes, \(remaining) remain")
    }

    public static func lengthOutOfRange(_ what: String, length: Int, limit: Int) -> KafkaWireError {
        KafkaWireError(.lengthOutOfRange, "\(what): length \(length) outside 0...\(limit)")
    }
}
