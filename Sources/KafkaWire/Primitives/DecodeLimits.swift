/// Upper bounds a decoder applies to lengths and counts read from the wire, on top of the bytes actually remaining.
///
/// Every length or count read from input is checked against both the bytes left in the buffer and these limits
/// before anything is allocated, so a hostile or corrupt frame costs at most the bytes it really contains.
public struct DecodeLimits: Hashable, Sendable {
    /// The longest string accepted, in UTF-8 bytes. Kafka itself never writes strings longer than 32767 bytes,
    /// compact or not.
    public var maxStringBytes: Int
    /// The largest element count accepted for any array.
    public var maxArrayCount: Int
    /// The longest `bytes` or `records` field accepted, in bytes (Kafka's `socket.request.max.bytes` default).
    public var maxBytesLength: Int

    public init(maxStringBytes: Int = 32767, maxArrayCount: Int = 1 << 20, maxBytesLength: Int = 104_857_600) {
        precondition(maxStringBytes >= 0 && maxArrayCount >= 0 && maxBytesLength >= 0, "decode limits are negative")
        self.maxStringBytes = maxStringBytes
        self.maxArrayCount = maxArrayCount
        self.maxBytesLength = maxBytesLength
    }

    /// The limits used when a caller does not choose: Kafka's own string limit, a million array elements,
    /// 100 MiB of bytes.
    public static let `default` = DecodeLimits()
}
