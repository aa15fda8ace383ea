import NIOCore

// Kafka `bytes` and `records`:
// - bytes / nullable bytes: int32 length, then the bytes; -1 is null;
// - compact bytes / compact nullable bytes: unsigned varint length + 1, then the bytes; 0 is null.
// Reads return a slice of the input buffer: no bytes are copied, the slice shares the input's storage.
// `records` fields travel exactly like nullable bytes.

extension ByteBuffer {
    /// Reads nullable bytes in the classic or compact encoding, as a slice sharing this buffer's storage.
    ///
    /// - Throws: `.lengthOutOfRange` for a length below -1, above `limits.maxBytesLength` or above the bytes
    ///   remaining.
    @inlinable
    public mutating func readKafkaNullableBytes(compact: Bool, limits: DecodeLimits) throws(KafkaWireError)
        -> ByteBuffer?
    {
        let length: Int
        if compact {
            length = Int(try self.readUnsignedVarint()) - 1
        } else {
            length = Int(try self.readInt32())
        }
        if length < 0 {
            guard length == -1 else {
                throw .lengthOutOfRange("bytes", length: length, limit: limits.maxBytesLength)
            }
            return nil
        }
        guard length <= limits.maxBytesLength else {
            throw .lengthOutOfRange("bytes", length: length, limit: limits.maxBytesLength)
        }
        guard let slice = self.readSlice(length: length) else {
            throw .lengthOutOfRange("bytes (bytes left)", length: length, limit: self.readableBytes)
        }
        return slice
    }

    /// Reads non-nullable bytes in the classic or compact encoding, as a slice sharing this buffer's storage.
    ///
    /// - Throws: `.invalidValue` for a null, and as ``readKafkaNullableBytes(compact:limits:)``.
    @inlinable
    public mutating func readKafkaBytes(compact: Bool, limits: DecodeLimits) throws(KafkaWireError) -> ByteBuffer {
        guard let bytes = try self.readKafkaNullableBytes(compact: compact, limits: limits) else {
            throw .unexpectedNull("bytes")
        }
        return bytes
    }

    /// Reads classic bytes (int32 length).
    @inlinable public mutating func readKafkaBytes(limits: DecodeLimits) throws(KafkaWireError) -> ByteBuffer {
        try self.readKafkaBytes(compact: false, limits: limits)
    }

    /// Reads classic nullable bytes (int32 length, -1 for null).
    @inlinable public mutating func readKafkaNullableBytes(limits: DecodeLimits) throws(KafkaWireError)
        -> ByteBuffer?
    {
        try self.readKafkaNullableBytes(compact: false, limits: limits)
    }

    /// Reads compact bytes (unsigned varint length + 1).
    @inlinable public mutating func readCompactBytes(limits: DecodeLimits) throws(KafkaWireError) -> ByteBuffer {
        try self.readKafkaBytes(compact: true, limits: limits)
    }

    /// Reads compact nullable bytes (unsigned varint length + 1, 0 for null).
    @inlinable public mutating func readCompactNullableBytes(limits: DecodeLimits) throws(KafkaWireError)
        -> ByteBuffer?
    {
        try self.readKafkaNullableBytes(compact: true, limits: limits)
    }

    /// Writes the readable bytes of `bytes` (nil for null) in the classic or compact encoding.
    @inlinable
    public mutating func writeKafkaNullableBytes(_ bytes: ByteBuffer?, compact: Bool) {
        guard let bytes else {
            if compact { self.writeInteger(UInt8(0)) } else { self.writeInteger(Int32(-1)) }
            return
        }
        self.writeKafkaBytes(bytes, compact: compact)
    }

    /// Writes the readable bytes of `bytes` in the classic or compact encoding.
    @inlinable
    public mutating func writeKafkaBytes(_ bytes: ByteBuffer, compact: Bool) {
        let length = bytes.readableBytes
        precondition(length < Int(Int32.max), "Kafka bytes hold at most 2^31-2 bytes, this one has \(length)")
        if compact {
            self.writeUnsignedVarint(UInt32(length + 1))
        } else {
            self.writeInteger(Int32(length))
        }
        self.writeImmutableBuffer(bytes)
    }

    /// Writes classic bytes (int32 length).
    @inlinable public mutating func writeKafkaBytes(_ bytes: ByteBuffer) {
        self.writeKafkaBytes(bytes, compact: false)
    }

    /// Writes classic nullable bytes (int32 length, -1 for null).
    @inlinable public mutating func writeKafkaNullableBytes(_ bytes: ByteBuffer?) {
        self.writeKafkaNullableBytes(bytes, compact: false)
    }

    /// Writes compact bytes (unsigned varint length + 1).
    @inlinable public mutating func writeCompactBytes(_ bytes: ByteBuffer) {
        self.writeKafkaBytes(bytes, compact: true)
    }

    /// Writes compact nullable bytes (unsigned varint length + 1, 0 for null).
    @inlinable public mutating func writeCompactNullableBytes(_ bytes: ByteBuffer?) {
        self.writeKafkaNullableBytes(bytes, compact: true)
    }
}
