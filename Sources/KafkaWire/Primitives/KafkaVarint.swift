/// Varint coding on raw memory, for code that handles many varints under one `withUnsafe…Bytes` (a record
/// parser or builder); the `ByteBuffer` methods (`readVarint()`, `writeVarlong(_:)`…) are built on these.
///
/// Layout: base-128 groups, least significant first, high bit set on every byte but the last. Signed values are
/// zigzag-encoded first (`zigzag(_:)`), so small magnitudes of either sign take few bytes.
public enum KafkaVarint {
    /// Decodes one varint of at most `maxBytes` bytes (5 for 32-bit values, 10 for 64-bit) at the start of
    /// `bytes`. Returns the raw (still zigzag-encoded, for signed values) bits and the bytes used; the length is 0
    /// when `bytes` ends inside the varint and -1 when the varint runs past `maxBytes`.
    @inlinable
    public static func decode(_ bytes: UnsafeRawBufferPointer, maxBytes: Int) -> (value: UInt64, length: Int) {
        guard let first = bytes.first else { return (0, 0) }
        if first & 0x80 == 0 { return (UInt64(first), 1) }
        var value = UInt64(first & 0x7F)
        var shift: UInt64 = 7
        var index = 1
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return (value, index) }
            if index == maxBytes { return (0, -1) }
            shift += 7
        }
        return (0, 0)
    }

    /// Encodes `value`'s base-128 groups at the start of `bytes` and returns the bytes written (1 to 10).
    ///
    /// - Precondition: `bytes` has room for them (10 bytes always suffice).
    @inlinable
    public static func encode(_ value: UInt64, into bytes: UnsafeMutableRawBufferPointer) -> Int {
        var remaining = value
        var index = 0
        while remaining >= 0x80 {
            bytes[index] = UInt8(truncatingIfNeeded: remaining) | 0x80
            remaining >>= 7
            index += 1
        }
        bytes[index] = UInt8(truncatingIfNeeded: remaining)
        return index + 1
    }

    /// The zigzag form of a signed 32-bit value (0, -1, 1, -2… → 0, 1, 2, 3…).
    @inlinable
    public static func zigzag(_ value: Int32) -> UInt32 { UInt32(bitPattern: (value << 1) ^ (value >> 31)) }

    /// The zigzag form of a signed 64-bit value.
    @inlinable
    public static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }

    /// The signed 32-bit value of a zigzag form.
    @inlinable
    public static func unzigzag(_ raw: UInt32) -> Int32 { Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))) }

    /// The signed 64-bit value of a zigzag form.
    @inlinable
    public static func unzigzag(_ raw: UInt64) -> Int64 { Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))) }
}
