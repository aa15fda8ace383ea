import NIOCore

// Kafka's fixed-width primitives: big-endian integers, IEEE 754 float64, and bool as one byte.
// Reads throw `.truncated` instead of returning nil, so decoders can use `try` throughout.

extension ByteBuffer {
    @inlinable
    mutating func _readKafkaInteger<T: FixedWidthInteger>(as: T.Type, _ what: StaticString) throws(KafkaWireError)
        -> T
    {
        guard let value = self.readInteger(as: T.self) else {
            throw .truncated("\(what)", needed: MemoryLayout<T>.size, remaining: self.readableBytes)
        }
        return value
    }

    /// Reads a Kafka `int8`.
    @inlinable public mutating func readInt8() throws(KafkaWireError) -> Int8 {
        try self._readKafkaInteger(as: Int8.self, "int8")
    }

    /// Reads a Kafka `int16` (big-endian).
    @inlinable public mutating func readInt16() throws(KafkaWireError) -> Int16 {
        try self._readKafkaInteger(as: Int16.self, "int16")
    }

    /// Reads a Kafka `int32` (big-endian).
    @inlinable public mutating func readInt32() throws(KafkaWireError) -> Int32 {
        try self._readKafkaInteger(as: Int32.self, "int32")
    }

    /// Reads a Kafka `int64` (big-endian).
    @inlinable public mutating func readInt64() throws(KafkaWireError) -> Int64 {
        try self._readKafkaInteger(as: Int64.self, "int64")
    }

    /// Reads a Kafka `uint16` (big-endian).
    @inlinable public mutating func readUInt16() throws(KafkaWireError) -> UInt16 {
        try self._readKafkaInteger(as: UInt16.self, "uint16")
    }

    /// Reads a Kafka `uint32` (big-endian).
    @inlinable public mutating func readUInt32() throws(KafkaWireError) -> UInt32 {
        try self._readKafkaInteger(as: UInt32.self, "uint32")
    }

    /// Reads a Kafka `float64`: an IEEE 754 double, big-endian.
    @inlinable public mutating func readFloat64() throws(KafkaWireError) -> Double {
        Double(bitPattern: try self._readKafkaInteger(as: UInt64.self, "float64"))
    }

    /// Reads a Kafka `bool`: one byte, any non-zero value is true (as Kafka reads it).
    @inlinable public mutating func readBool() throws(KafkaWireError) -> Bool {
        try self._readKafkaInteger(as: UInt8.self, "bool") != 0
    }

    /// Writes a Kafka `int8`.
    @inlinable public mutating func writeInt8(_ value: Int8) { self.writeInteger(value) }
    /// Writes a Kafka `int16` (big-endian).
    @inlinable public mutating func writeInt16(_ value: Int16) { self.writeInteger(value) }
    /// Writes a Kafka `int32` (big-endian).
    @inlinable public mutating func writeInt32(_ value: Int32) { self.writeInteger(value) }
    /// Writes a Kafka `int64` (big-endian).
    @inlinable public mutating func writeInt64(_ value: Int64) { self.writeInteger(value) }
    /// Writes a Kafka `uint16` (big-endian).
    @inlinable public mutating func writeUInt16(_ value: UInt16) { self.writeInteger(value) }
    /// Writes a Kafka `uint32` (big-endian).
    @inlinable public mutating func writeUInt32(_ value: UInt32) { self.writeInteger(value) }
    /// Writes a Kafka `float64` (IEEE 754, big-endian).
    @inlinable public mutating func writeFloat64(_ value: Double) { self.writeInteger(value.bitPattern) }
    /// Writes a Kafka `bool` as 1 or 0.
    @inlinable public mutating func writeBool(_ value: Bool) { self.writeInteger(UInt8(value ? 1 : 0)) }
}
