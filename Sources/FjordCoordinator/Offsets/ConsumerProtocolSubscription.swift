/// Reads the topic list out of a consumer's JoinGroup metadata (Kafka's `ConsumerProtocolSubscription`).
///
/// Every version starts with the v0 layout: `version: int16`, `topics: [string]` (int32 count, then int16 length
/// and UTF-8 bytes each), then fields this reader does not need. The coordinator only uses the topics, to decide
/// which offsets of a Stable group may expire. Lengths and counts are bounded by the bytes remaining; anything
/// malformed yields nil ("subscriptions unknown"), as Kafka does on a schema error.
public enum ConsumerProtocolSubscription {
    /// The protocol type consumers use.
    public static let protocolType = "consumer"

    public static func topics(from metadata: [UInt8]) -> Set<String>? {
        var reader = Reader(bytes: metadata)
        guard let version = reader.int16(), version >= 0, let count = reader.int32(), count >= 0 else { return nil }
        // Each topic takes at least its 2-byte length, so a count beyond that is a lie.
        guard Int(count) <= reader.remaining / 2 else { return nil }
        var topics = Set<String>()
        for _ in 0..<count {
            guard let length = reader.int16(), length >= 0, let bytes = reader.bytes(Int(length)) else { return nil }
            topics.insert(String(decoding: bytes, as: UTF8.self))
        }
        return topics
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        var remaining: Int { bytes.count - index }

        mutating func int16() -> Int16? {
            guard remaining >= 2 else { return nil }
            defer { index += 2 }
            return Int16(bitPattern: UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]))
        }

        mutating func int32() -> Int32? {
            guard remaining >= 4 else { return nil }
            defer { index += 4 }
            var value: UInt32 = 0
            for i in 0..<4 { value = value << 8 | UInt32(bytes[index + i]) }
            return Int32(bitPattern: value)
        }

        mutating func bytes(_ count: Int) -> ArraySlice<UInt8>? {
            guard count <= remaining else { return nil }
            defer { index += count }
            return bytes[index..<index + count]
        }
    }
}
