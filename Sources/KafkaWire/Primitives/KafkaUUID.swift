/// A 128-bit Kafka UUID (topic ids, directory ids, incarnation ids), as Kafka's `uuid` wire type carries it:
/// 16 bytes, most significant half first.
///
/// Its text form, like Kafka's, is the 16 bytes in URL-safe base64 without padding (22 characters).
/// `KafkaUUID.zero` is Kafka's "no id" value.
public struct KafkaUUID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var mostSignificantBits: UInt64
    public var leastSignificantBits: UInt64

    public init(mostSignificantBits: UInt64, leastSignificantBits: UInt64) {
        self.mostSignificantBits = mostSignificantBits
        self.leastSignificantBits = leastSignificantBits
    }

    /// The all-zero UUID: Kafka's "unset" topic id.
    public static let zero = KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 0)
    /// The UUID Kafka reserves for its metadata topic (0, 1); never handed out by ``random(using:)``.
    public static let metadataTopicID = KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 1)

    /// A random version-4 UUID that is neither reserved value and whose text form does not start with `-`
    /// (Kafka avoids those because command-line tools would read them as flags).
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> KafkaUUID {
        while true {
            var msb = generator.next() as UInt64
            var lsb = generator.next() as UInt64
            msb = (msb & ~0xF000) | 0x4000  // version 4
            lsb = (lsb & ~(0xC000_0000_0000_0000 as UInt64)) | 0x8000_0000_0000_0000  // IETF variant
            let candidate = KafkaUUID(mostSignificantBits: msb, leastSignificantBits: lsb)
            if candidate != .zero && candidate != .metadataTopicID && !candidate.description.hasPrefix("-") {
                return candidate
            }
        }
    }

    /// A random version-4 UUID from the system generator.
    public static func random() -> KafkaUUID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// The 16 bytes, most significant first.
    public var bytes: [UInt8] {
        var result = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            result[i] = UInt8(truncatingIfNeeded: mostSignificantBits >> (56 - 8 * UInt64(i)))
            result[8 + i] = UInt8(truncatingIfNeeded: leastSignificantBits >> (56 - 8 * UInt64(i)))
        }
        return result
    }

    /// The URL-safe base64 form without padding, as Kafka prints topic ids.
    public var description: String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let input = self.bytes
        var output: [UInt8] = []
        output.reserveCapacity(22)
        var index = 0
        while index + 3 <= 15 {
            let group = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            for shift in [18, 12, 6, 0] as [UInt32] { output.append(alphabet[Int((group >> shift) & 0x3F)]) }
            index += 3
        }
        // One byte left (16 = 5 × 3 + 1): two characters, no padding.
        let last = UInt32(input[15]) << 16
        output.append(alphabet[Int((last >> 18) & 0x3F)])
        output.append(alphabet[Int((last >> 12) & 0x3F)])
        return String(decoding: output, as: UTF8.self)
    }

    /// Parses the 22-character URL-safe base64 form; nil if it is not exactly that.
    public init?(base64URL text: String) {
        let characters = Array(text.utf8)
        guard characters.count == 22 else { return nil }
        var values: [UInt32] = []
        values.reserveCapacity(22)
        for character in characters {
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(UInt32(character - UInt8(ascii: "A")))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(UInt32(character - UInt8(ascii: "a")) + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(UInt32(character - UInt8(ascii: "0")) + 52)
            case UInt8(ascii: "-"): values.append(62)
            case UInt8(ascii: "_"): values.append(63)
            default: return nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var index = 0
        while index + 4 <= 20 {
            let group = values[index] << 18 | values[index + 1] << 12 | values[index + 2] << 6 | values[index + 3]
            bytes.append(UInt8(truncatingIfNeeded: group >> 16))
            bytes.append(UInt8(truncatingIfNeeded: group >> 8))
            bytes.append(UInt8(truncatingIfNeeded: group))
            index += 4
        }
        // The last two characters carry one byte; the 4 bits below it must be zero (canonical form).
        let tail = values[20] << 6 | values[21]
        guard tail & 0xF == 0 else { return nil }
        bytes.append(UInt8(truncatingIfNeeded: tail >> 4))
        self.init(bytes: bytes)
    }

    /// Builds a UUID from exactly 16 bytes, most significant first.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "a Kafka UUID is 16 bytes, got \(bytes.count)")
        var msb: UInt64 = 0
        var lsb: UInt64 = 0
        for i in 0..<8 {
            msb = msb << 8 | UInt64(bytes[i])
            lsb = lsb << 8 | UInt64(bytes[8 + i])
        }
        self.init(mostSignificantBits: msb, leastSignificantBits: lsb)
    }

    public static func < (lhs: KafkaUUID, rhs: KafkaUUID) -> Bool {
        (lhs.mostSignificantBits, lhs.leastSignificantBits) < (rhs.mostSignificantBits, rhs.leastSignificantBits)
    }
}
