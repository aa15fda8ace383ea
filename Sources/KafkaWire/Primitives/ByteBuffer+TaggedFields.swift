import NIOCore

// A tagged-fields section (flexible versions): unsigned varint count, then per field an unsigned varint tag,
// an unsigned varint size and `size` bytes. Writers emit tags in ascending order, each at most once.
// Known fields are written by the message codec; unknown ones (`KafkaTaggedField`) are carried through.

extension ByteBuffer {
    /// Reads the field count that opens a tagged-fields section, bounded by the bytes remaining (each field
    /// takes at least 2 bytes) and by `limits.maxArrayCount`.
    @inlinable
    public mutating func readTaggedFieldCount(limits: DecodeLimits) throws(KafkaWireError) -> Int {
        let count = Int(try self.readUnsignedVarint())
        let fitting = min(self.readableBytes / 2, limits.maxArrayCount)
        guard count <= fitting else { throw .lengthOutOfRange("tagged field count", length: count, limit: fitting) }
        return count
    }

    /// Reads one tagged field's tag and size and returns the field with its bytes as a slice (no copy).
    @inlinable
    public mutating func readTaggedField(limits: DecodeLimits) throws(KafkaWireError) -> KafkaTaggedField {
        let tag = try self.readUnsignedVarint()
        let size = Int(try self.readUnsignedVarint())
        guard size <= limits.maxBytesLength else {
            throw .lengthOutOfRange("tagged field \(tag)", length: size, limit: limits.maxBytesLength)
        }
        guard let data = self.readSlice(length: size) else {
            throw .lengthOutOfRange("tagged field \(tag) (bytes left)", length: size, limit: self.readableBytes)
        }
        return KafkaTaggedField(tag: tag, data: data)
    }

    /// Reads a whole tagged-fields section in which no tag is known to the caller.
    @inlinable
    public mutating func readUnknownTaggedFields(limits: DecodeLimits) throws(KafkaWireError) -> [KafkaTaggedField] {
        let count = try self.readTaggedFieldCount(limits: limits)
        if count == 0 { return [] }
        var fields: [KafkaTaggedField] = []
        fields.reserveCapacity(count)
        for _ in 0..<count {
            fields.append(try self.readTaggedField(limits: limits))
        }
        return fields
    }

    /// Writes a tagged-fields section holding only `fields` (count, then each field).
    @inlinable
    public mutating func writeUnknownTaggedFields(_ fields: [KafkaTaggedField]) {
        self.writeUnsignedVarint(UInt32(fields.count))
        for field in fields {
            self.writeTaggedField(field)
        }
    }

    /// Writes one carried-through field: tag, size, bytes.
    @inlinable
    public mutating func writeTaggedField(_ field: KafkaTaggedField) {
        self.writeUnsignedVarint(field.tag)
        self.writeUnsignedVarint(UInt32(field.data.readableBytes))
        self.writeImmutableBuffer(field.data)
    }

    /// Writes the carried-through fields of `fields`, starting at `next`, whose tag is below `tag` (all remaining
    /// ones when `tag` is nil), and advances `next` past them. Message codecs call this before each known field
    /// they write so that the section stays in ascending tag order when `fields` is sorted.
    @inlinable
    public mutating func writeUnknownTaggedFields(_ fields: [KafkaTaggedField], before tag: UInt32?, next: inout Int) {
        while next < fields.count, tag.map({ fields[next].tag < $0 }) ?? true {
            self.writeTaggedField(fields[next])
            next += 1
        }
    }

    /// Writes one known tagged field: `tag`, then the size of what `body` writes, then those bytes.
    ///
    /// The size prefix is reserved as one byte and widened afterwards (moving the body) only when the body is
    /// 128 bytes or more, so small fields cost no extra copy.
    @inlinable
    public mutating func writeTaggedField(tag: UInt32, _ body: (inout ByteBuffer) -> Void) {
        self.writeUnsignedVarint(tag)
        let sizeIndex = self.writerIndex
        self.writeInteger(UInt8(0))
        let start = self.writerIndex
        body(&self)
        let length = self.writerIndex - start
        let sizeBytes = ByteBuffer.unsignedVarintSize(UInt32(length))
        if sizeBytes > 1 {
            self.writeRepeatingByte(0, count: sizeBytes - 1)
            // Cannot fail: the source range lies between the reader and writer indices.
            _ = try? self.copyBytes(at: start, to: start + sizeBytes - 1, length: length)
        }
        self.setUnsignedVarint(UInt32(length), at: sizeIndex)
    }
}
