/// Error constructors used by the Kafka primitive decoders. They sit outside the hot paths (only called when
/// decoding fails), so building the message string costs nothing on success.
extension KafkaWireError {
    /// A null (length -1, or compact length 0) where the field is not nullable.
    public static func unexpectedNull(_ what: String) -> KafkaWireError {
        KafkaWireError(.invalidValue, "\(what): null where the field is not nullable")
    }

    /// A varint longer than its type allows (5 bytes for 32 bits, 10 for 64).
    public static func malformedVarint(_ what: String, maxBytes: Int) -> KafkaWireError {
        KafkaWireError(.malformedVarint, "\(what): more than \(maxBytes) bytes")
    }

    /// String bytes that are not valid UTF-8.
    public static func invalidUTF8(length: Int) -> KafkaWireError {
        KafkaWireError(.invalidValue, "string of \(length) bytes is not valid UTF-8")
    }

    /// A message version the codec does not know.
    public static func unsupportedVersion(_ message: String, version: Int16, valid: ClosedRange<Int16>)
        -> KafkaWireError
    {
        KafkaWireError(
            .unsupportedVersion, "\(message) version \(version) outside \(valid.lowerBound)...\(valid.upperBound)")
    }
}
