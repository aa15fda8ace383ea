import NIOCore

// Kafka's variable-length integers (protobuf-style base-128, least significant group first):
// - unsigned varint: up to 32 bits in at most 5 bytes (lengths and counts in flexible versions, tags);
// - varint: a signed 32-bit value zigzag-encoded, at most 5 bytes (record fields);
// - varlong: a signed 64-bit value zigzag-encoded, at most 10 bytes (record timestamp and offset deltas).
// Like Kafka, a reader accepts a value whose last permitted byte carries bits above the type's width and drops
// them; it rejects a continuation bit on that last byte with `.malformedVarint`.

extension ByteBuffer {
    /// The bytes `writeUnsignedVarint(value)` writes: 1 to 5.
    @inlinable
    public static func unsignedVarintSize(_ value: UInt32) -> Int {
        let bits = 32 - value.leadingZeroBitCount
        return bits == 0 ? 1 : (bits + 6) / 7
    }

    /// The bytes `writeVarint(value)` writes: 1 to 5.
    @inlinable
    public static func varintSize(_ value: Int32) -> Int {
        unsignedVarintSize(KafkaVarint.zigzag(value))
    }

    /// The bytes `writeVarlong(value)` writes: 1 to 10.
    @inlinable
    public static func varlongSize(_ value: Int64) -> Int {
        let bits = 64 - KafkaVarint.zigzag(value).leadingZeroBitCount
        return bits == 0 ? 1 : (bits + 6) / 7
    }

    /// Reads an unsigned varint of at most 5 bytes.
    ///
    /// - Throws: `.truncated` if the input ends inside the varint, `.malformedVarint` past 5 bytes.
    @inlinable
    public mutating func readUnsignedVarint() throws(KafkaWireError) -> UInt32 {
        UInt32(truncatingIfNeeded: try self._readVarintBits(maxBytes: 5, "unsigned varint"))
    }

    /// Reads a zigzag-encoded signed 32-bit varint of at most 5 bytes.
    @inlinable
    public mutating func readVarint() throws(KafkaWireError) -> Int32 {
        KafkaVarint.unzigzag(UInt32(truncatingIfNeeded: try self._readVarintBits(maxBytes: 5, "varint")))
    }

    /// Reads a zigzag-encoded signed 64-bit varlong of at most 10 bytes.
    @inlinable
    public mutating func readVarlong() throws(KafkaWireError) -> Int64 {
        KafkaVarint.unzigzag(try self._readVarintBits(maxBytes: 10, "varlong"))
    }

    /// Decodes up to `maxBytes` base-128 groups from the readable bytes with one storage access, then moves the
    /// reader index past them. (Every ByteBuffer accessor pays a uniqueness/exclusivity check; one per varint keeps
    /// record parsing cheap. Code that parses many varints in a row can use `KafkaVarint` on raw bytes instead.)
    @inlinable
    mutating func _readVarintBits(maxBytes: Int, _ what: StaticString) throws(KafkaWireError) -> UInt64 {
        let decoded = self.withUnsafeReadableBytes { bytes in KafkaVarint.decode(bytes, maxBytes: maxBytes) }
        switch decoded.length {
        case 0: throw .truncated("\(what)", needed: self.readableBytes + 1, remaining: self.readableBytes)
        case -1: throw .malformedVarint("\(what)", maxBytes: maxBytes)
        default:
            self.moveReaderIndex(forwardBy: decoded.length)
            return decoded.value
        }
    }

    /// Writes `value` as an unsigned varint (1 to 5 bytes).
    @inlinable
    public mutating func writeUnsignedVarint(_ value: UInt32) {
        self._writeVarintBits(UInt64(value))
    }

    /// Writes `value` zigzag-encoded as a varint (1 to 5 bytes).
    @inlinable
    public mutating func writeVarint(_ value: Int32) {
        self._writeVarintBits(UInt64(KafkaVarint.zigzag(value)))
    }

    /// Writes `value` zigzag-encoded as a varlong (1 to 10 bytes).
    @inlinable
    public mutating func writeVarlong(_ value: Int64) {
        self._writeVarintBits(KafkaVarint.zigzag(value))
    }

    /// Overwrites the bytes at `index` with `value` as an unsigned varint, without moving any index. The caller
    /// guarantees `ByteBuffer.unsignedVarintSize(value)` bytes are already written there.
    @inlinable
    public mutating func setUnsignedVarint(_ value: UInt32, at index: Int) {
        var remaining = value
        var position = index
        while remaining >= 0x80 {
            self.setInteger(UInt8(truncatingIfNeeded: remaining) | 0x80, at: position)
            remaining >>= 7
            position += 1
        }
        self.setInteger(UInt8(truncatingIfNeeded: remaining), at: position)
    }

    /// Writes the base-128 groups of `value` with one storage access.
    @inlinable
    mutating func _writeVarintBits(_ value: UInt64) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: 10) { bytes in KafkaVarint.encode(value, into: bytes) }
    }
}
