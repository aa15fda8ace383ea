import KafkaProtocol
import KafkaWire
import NIOCore
import Testing

/// Every generated message at every version it defines (which covers every version in PROFILE.md's tables,
/// both what clients send and what Fjord advertises, and all versions of the control-plane messages).
@Suite struct RoundTripTests {
    /// A value with every field present at the version set to a non-default value encodes, decodes to an equal
    /// value, and the decoder consumes exactly the encoded bytes.
    @Test(arguments: MessageType.all)
    func sampleRoundTripsAtEveryVersion(_ messageType: MessageType) throws {
        try checkSamples(messageType.type)
    }

    /// The all-defaults value round-trips too (nulls where the defaults are null).
    @Test(arguments: MessageType.all)
    func defaultValueRoundTripsAtEveryVersion(_ messageType: MessageType) throws {
        try checkDefaults(messageType.type)
    }

    private func checkSamples<T: SampledMessage>(_ type: T.Type) throws {
        for version in T.validVersions {
            let sample = T.sample(version: version)
            let (decoded, encoded, left) = try roundTrip(sample, version: version)
            #expect(decoded == sample, "\(T.self) v\(version)")
            #expect(left == 0, "\(T.self) v\(version): \(left) bytes left")
            // The fixture must exercise something: its encoding differs from the defaults' unless the message
            // has no field at this version.
            let defaults = T.defaultValue().encoded(version: version)
            if T.defaultValue() != sample {
                #expect(encoded != defaults, "\(T.self) v\(version): sample encodes like the default")
            }
            // Writing is deterministic.
            #expect(sample.encoded(version: version) == encoded)
        }
    }

    private func checkDefaults<T: SampledMessage>(_ type: T.Type) throws {
        for version in T.validVersions {
            let value = T.defaultValue()
            let (decoded, _, left) = try roundTrip(value, version: version)
            #expect(decoded == value, "\(T.self) v\(version)")
            #expect(left == 0, "\(T.self) v\(version): \(left) bytes left")
        }
    }

    /// Versions outside the codec's range are refused on decode (and never trap).
    @Test(arguments: MessageType.all)
    func unknownVersionsAreRefused(_ messageType: MessageType) {
        checkUnknownVersions(messageType.type)
    }

    private func checkUnknownVersions<T: SampledMessage>(_ type: T.Type) {
        for version in [T.validVersions.lowerBound - 1, T.validVersions.upperBound + 1, Int16.max, Int16.min] {
            var buffer = T.sample(version: T.validVersions.upperBound).encoded(version: T.validVersions.upperBound)
            do {
                _ = try T(from: &buffer, version: version, limits: .default)
                Issue.record("\(T.self) decoded at version \(version)")
            } catch {
                #expect(error.code == .unsupportedVersion)
            }
        }
    }
}
