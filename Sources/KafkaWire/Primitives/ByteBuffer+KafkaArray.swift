import NIOCore

// Kafka array lengths:
// - array: int32 count, then the elements; -1 is null;
// - compact array (flexible versions): unsigned varint count + 1; 0 is null.
// The elements follow; their codec is the caller's. A count is accepted only if count × the smallest possible
// element size fits in the bytes remaining and count ≤ `DecodeLimits.maxArrayCount`, so reserving capacity for
// `count` elements is always safe.

extension ByteBuffer {
    /// Reads an array length; nil means a null array.
    ///
    /// - Parameters:
    ///   - compact: the flexible-version encoding (unsigned varint count + 1).
    ///   - minimumElementSize: the fewest bytes one element can take on the wire (0 if elements can be empty;
    ///     then only `limits.maxArrayCount` bounds the count).
    /// - Throws: `.lengthOutOfRange` for a count below -1, above `limits.maxArrayCount`, or whose elements
    ///   cannot fit in the bytes remaining.
    @inlinable
    public mutating func readKafkaNullableArrayCount(
        compact: Bool, minimumElementSize: Int, limits: DecodeLimits
    ) throws(KafkaWireError) -> Int? {
        let count: Int
        if compact {
            count = Int(try self.readUnsignedVarint()) - 1
        } else {
            count = Int(try self.readInt32())
        }
        if count < 0 {
            guard count == -1 else {
                throw .lengthOutOfRange("array count", length: count, limit: limits.maxArrayCount)
            }
            return nil
        }
        guard count <= limits.maxArrayCount else {
            throw .lengthOutOfRange("array count", length: count, limit: limits.maxArrayCount)
        }
        if minimumElementSize > 0 {
            let fitting = self.readableBytes / minimumElementSize
            guard count <= fitting else {
                throw .lengthOutOfRange(
                    "array count (\(minimumElementSize)+ bytes each)", length: count, limit: fitting)
            }
        }
        return count
    }

    /// Reads the length of a non-nullable array.
    ///
    /// - Throws: `.invalidValue` for a null array, and as
    ///   ``readKafkaNullableArrayCount(compact:minimumElementSize:limits:)``.
    @inlinable
    public mutating func readKafkaArrayCount(compact: Bool, minimumElementSize: Int, limits: DecodeLimits)
        throws(KafkaWireError) -> Int
    {
        guard
            let count = try self.readKafkaNullableArrayCount(
                compact: compact, minimumElementSize: minimumElementSize, limits: limits)
        else {
            throw .unexpectedNull("array")
        }
        return count
    }

    /// Writes an array length in the classic or compact encoding; nil writes a null array.
    @inlinable
    public mutating func writeKafkaArrayCount(_ count: Int?, compact: Bool) {
        guard let count else {
            if compact { self.writeInteger(UInt8(0)) } else { self.writeInteger(Int32(-1)) }
            return
        }
        precondition(count >= 0 && count < Int(Int32.max), "array count \(count) cannot be encoded")
        if compact {
            self.writeUnsignedVarint(UInt32(count + 1))
        } else {
            self.writeInteger(Int32(count))
        }
    }
}
