import NIOCore

// Kafka strings, UTF-8:
// - string / nullable string: int16 length, then the bytes; -1 is null;
// - compact string / compact nullable string (flexible versions): unsigned varint length + 1, then the bytes;
//   0 is null.
// Lengths are checked against the bytes remaining and `DecodeLimits.maxStringBytes` before anything is read
// (`.lengthOutOfRange` when either is exceeded); the bytes must be valid UTF-8. Kafka never writes a string
// longer than 32767 bytes in either form.

extension ByteBuffer {
    /// Reads a nullable string in the classic (`compact == false`) or compact encoding.
    @inlinable
    public mutating func readKafkaNullableString(compact: Bool, limits: DecodeLimits) throws(KafkaWireError)
        -> String?
    {
        let length: Int
        if compact {
            length = Int(try self.readUnsignedVarint()) - 1
        } else {
            length = Int(try self.readInt16())
        }
        if length < 0 {
            guard length == -1 else {
                throw .lengthOutOfRange("string", length: length, limit: limits.maxStringBytes)
            }
            return nil
        }
        return try self._readKafkaStringBytes(length: length, limits: limits)
    }

    /// Reads a non-nullable string in the classic or compact encoding.
    ///
    /// - Throws: `.invalidValue` for a null.
    @inlinable
    public mutating func readKafkaString(compact: Bool, limits: DecodeLimits) throws(KafkaWireError) -> String {
        guard let string = try self.readKafkaNullableString(compact: compact, limits: limits) else {
            throw .unexpectedNull("string")
        }
        return string
    }

    /// Reads a classic string (int16 length).
    @inlinable
    public mutating func readKafkaString(limits: DecodeLimits) throws(KafkaWireError) -> String {
        try self.readKafkaString(compact: false, limits: limits)
    }

    /// Reads a classic nullable string (int16 length, -1 for null).
    @inlinable
    public mutating func readKafkaNullableString(limits: DecodeLimits) throws(KafkaWireError) -> String? {
        try self.readKafkaNullableString(compact: false, limits: limits)
    }

    /// Reads a compact string (unsigned varint length + 1).
    @inlinable
    public mutating func readCompactString(limits: DecodeLimits) throws(KafkaWireError) -> String {
        try self.readKafkaString(compact: true, limits: limits)
    }

    /// Reads a compact nullable string (unsigned varint length + 1, 0 for null).
    @inlinable
    public mutating func readCompactNullableString(limits: DecodeLimits) throws(KafkaWireError) -> String? {
        try self.readKafkaNullableString(compact: true, limits: limits)
    }

    @inlinable
    mutating func _readKafkaStringBytes(length: Int, limits: DecodeLimits) throws(KafkaWireError) -> String {
        guard length <= limits.maxStringBytes else {
            throw .lengthOutOfRange("string", length: length, limit: limits.maxStringBytes)
        }
        guard length <= self.readableBytes else {
            throw .lengthOutOfRange("string (bytes left)", length: length, limit: self.readableBytes)
        }
        if length == 0 { return "" }
        let string = self.withUnsafeReadableBytes { raw in
            raw.withMemoryRebound(to: UInt8.self) { bytes in
                String(validating: UnsafeBufferPointer(rebasing: bytes[0..<length]), as: UTF8.self)
            }
        }
        guard let string else { throw .invalidUTF8(length: length) }
        self.moveReaderIndex(forwardBy: length)
        return string
    }

    /// Writes a nullable string in the classic or compact encoding.
    ///
    /// - Precondition: at most 32767 UTF-8 bytes (Kafka's limit for both encodings).
    @inlinable
    public mutating func writeKafkaNullableString(_ string: String?, compact: Bool) {
        guard let string else {
            if compact { self.writeInteger(UInt8(0)) } else { self.writeInteger(Int16(-1)) }
            return
        }
        self.writeKafkaString(string, compact: compact)
    }

    /// Writes a non-null string in the classic or compact encoding.
    ///
    /// - Precondition: at most 32767 UTF-8 bytes (Kafka's limit for both encodings).
    @inlinable
    public mutating func writeKafkaString(_ string: String, compact: Bool) {
        let length = string.utf8.count
        precondition(length <= Int(Int16.max), "Kafka strings hold at most 32767 bytes, this one has \(length)")
        if compact {
            self.writeUnsignedVarint(UInt32(length + 1))
        } else {
            self.writeInteger(Int16(length))
        }
        self.writeString(string)
    }

    /// Writes a classic string (int16 length).
    @inlinable public mutating func writeKafkaString(_ string: String) {
        self.writeKafkaString(string, compact: false)
    }

    /// Writes a classic nullable string (int16 length, -1 for null).
    @inlinable public mutating func writeKafkaNullableString(_ string: String?) {
        self.writeKafkaNullableString(string, compact: false)
    }

    /// Writes a compact string (unsigned varint length + 1).
    @inlinable public mutating func writeCompactString(_ string: String) {
        self.writeKafkaString(string, compact: true)
    }

    /// Writes a compact nullable string (unsigned varint length + 1, 0 for null).
    @inlinable public mutating func writeCompactNullableString(_ string: String?) {
        self.writeKafkaNullableString(string, compact: true)
    }
}
