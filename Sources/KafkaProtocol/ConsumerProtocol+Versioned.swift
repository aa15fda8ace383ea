import KafkaWire
import NIOCore

/// The consumer group protocol's payloads (JoinGroup protocol metadata, SyncGroup assignments) travel as an int16
/// version followed by the body. A newer version than the codec knows is read with the newest known layout:
/// Kafka promises later versions only append fields.
public protocol VersionPrefixedMessage: KafkaMessage {}

extension ConsumerProtocolSubscription: VersionPrefixedMessage {}
extension ConsumerProtocolAssignment: VersionPrefixedMessage {}

extension VersionPrefixedMessage {
    /// Reads the int16 version and the body; returns the version as written (possibly newer than known).
    ///
    /// - Throws: `KafkaWireError` `.unsupportedVersion` for a negative version, or any body decoding error.
    public static func decodeVersionPrefixed(from buffer: inout ByteBuffer, limits: DecodeLimits)
        throws(KafkaWireError) -> (version: Int16, value: Self)
    {
        let version = try buffer.readInt16()
        guard version >= validVersions.lowerBound else {
            throw .unsupportedVersion(String(describing: Self.self), version: version, valid: validVersions)
        }
        let value = try Self(from: &buffer, version: min(version, validVersions.upperBound), limits: limits)
        return (version, value)
    }

    /// Writes the int16 version, then the body at that version.
    public func writeVersionPrefixed(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt16(version)
        self.write(to: &buffer, version: version)
    }
}
