import KafkaProtocol
import KafkaWire
import NIOCore
import Testing

/// A generated message with a generated fixture: `sample(version:)` sets every field present at `version` to a
/// non-default value (Tests/KafkaProtocolTests/Generated, written by fjord-protocol-gen).
protocol SampledMessage: KafkaMessage {
    /// The value with every field at its default.
    static func defaultValue() -> Self
    /// A value with every field present at `version` set to something other than its default, plus (when
    /// `unknownTaggedFields` and the version is flexible) an unknown tagged field in every struct.
    static func sample(version: Int16, unknownTaggedFields: Bool) -> Self
}

extension SampledMessage {
    /// The sample with unknown tagged fields.
    static func sample(version: Int16) -> Self { sample(version: version, unknownTaggedFields: true) }
}

/// A message type as a test argument, named after the type.
struct MessageType: Sendable, CustomTestStringConvertible {
    let type: any SampledMessage.Type
    var testDescription: String { "\(type)" }

    static let all: [MessageType] = allSampledMessageTypes.map { MessageType(type: $0) }
}

/// Encodes `value` at `version`, decodes it back and returns the decoded value and the bytes left over.
func roundTrip<T: KafkaMessage>(_ value: T, version: Int16) throws(KafkaWireError) -> (
    T, encoded: ByteBuffer, left: Int
) {
    var buffer = ByteBuffer()
    value.write(to: &buffer, version: version)
    let encoded = buffer
    let decoded = try T(from: &buffer, version: version, limits: .default)
    return (decoded, encoded, buffer.readableBytes)
}

/// A small deterministic generator for reproducible fuzzing (SplitMix64).
struct ProtocolTestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
