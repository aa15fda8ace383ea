import KafkaWire
import NIOCore
import Testing

@Suite struct PrimitivesArrayUUIDTests {
    @Test func arrayCountLayouts() throws {
        var buffer = ByteBuffer()
        buffer.writeKafkaArrayCount(2, compact: false)
        buffer.writeKafkaArrayCount(nil, compact: false)
        buffer.writeKafkaArrayCount(2, compact: true)
        buffer.writeKafkaArrayCount(nil, compact: true)
        buffer.writeRepeatingByte(0, count: 8)
        #expect(Array(buffer.readableBytesView.prefix(10)) == [0, 0, 0, 2, 0xFF, 0xFF, 0xFF, 0xFF, 0x03, 0x00])
        #expect(try buffer.readKafkaArrayCount(compact: false, minimumElementSize: 4, limits: .default) == 2)
        #expect(try buffer.readKafkaNullableArrayCount(compact: false, minimumElementSize: 4, limits: .default) == nil)
        #expect(try buffer.readKafkaArrayCount(compact: true, minimumElementSize: 4, limits: .default) == 2)
        #expect(try buffer.readKafkaNullableArrayCount(compact: true, minimumElementSize: 4, limits: .default) == nil)
    }

    /// A count whose elements cannot fit in the bytes left, or above the limit, is refused before any allocation.
    @Test func arrayCountIsBounded() {
        var buffer = ByteBuffer()
        buffer.writeKafkaArrayCount(1000, compact: false)
        buffer.writeRepeatingByte(0, count: 3999)
        var copy = buffer
        do {
            _ = try copy.readKafkaArrayCount(compact: false, minimumElementSize: 4, limits: .default)
            Issue.record("expected lengthOutOfRange")
        } catch {
            #expect(error.code == .lengthOutOfRange)
        }
        copy = buffer
        #expect(throws: KafkaWireError.self) {
            try copy.readKafkaArrayCount(
                compact: false, minimumElementSize: 1, limits: DecodeLimits(maxArrayCount: 999))
        }
        copy = buffer
        #expect(throws: Never.self) {
            try copy.readKafkaArrayCount(compact: false, minimumElementSize: 3, limits: .default)
        }
        var huge = ByteBuffer(bytes: [0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: KafkaWireError.self) {
            try huge.readKafkaArrayCount(compact: false, minimumElementSize: 0, limits: .default)
        }
        var negative = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFE])
        #expect(throws: KafkaWireError.self) {
            try negative.readKafkaNullableArrayCount(compact: false, minimumElementSize: 1, limits: .default)
        }
    }

    @Test func fixedWidthLayouts() throws {
        var buffer = ByteBuffer()
        buffer.writeInt8(-2)
        buffer.writeInt16(0x0102)
        buffer.writeInt32(-1)
        buffer.writeInt64(0x0102_0304_0506_0708)
        buffer.writeUInt16(0xFFFE)
        buffer.writeUInt32(0x8000_0001)
        buffer.writeFloat64(1.5)
        buffer.writeBool(true)
        buffer.writeBool(false)
        #expect(buffer.readableBytes == 1 + 2 + 4 + 8 + 2 + 4 + 8 + 2)
        #expect(Array(buffer.readableBytesView.prefix(3)) == [0xFE, 0x01, 0x02])
        #expect(try buffer.readInt8() == -2)
        #expect(try buffer.readInt16() == 0x0102)
        #expect(try buffer.readInt32() == -1)
        #expect(try buffer.readInt64() == 0x0102_0304_0506_0708)
        #expect(try buffer.readUInt16() == 0xFFFE)
        #expect(try buffer.readUInt32() == 0x8000_0001)
        #expect(try buffer.readFloat64() == 1.5)
        #expect(try buffer.readBool() == true)
        #expect(try buffer.readBool() == false)
        #expect(throws: KafkaWireError.self) { try buffer.readInt8() }
        var nonZero = ByteBuffer(bytes: [7])
        #expect(try nonZero.readBool() == true)
    }

    @Test func uuidWireFormAndText() throws {
        let uuid = KafkaUUID(mostSignificantBits: 0x0123_4567_89AB_CDEF, leastSignificantBits: 0xFEDC_BA98_7654_3210)
        var buffer = ByteBuffer()
        buffer.writeKafkaUUID(uuid)
        #expect(Array(buffer.readableBytesView) == uuid.bytes)
        #expect(buffer.readableBytes == 16)
        #expect(try buffer.readKafkaUUID() == uuid)
        // URL-safe base64 without padding: 16 bytes → 22 characters.
        #expect(uuid.description == "ASNFZ4mrze_-3LqYdlQyEA")
        #expect(KafkaUUID(base64URL: "ASNFZ4mrze_-3LqYdlQyEA") == uuid)
        #expect(KafkaUUID.zero.description == "AAAAAAAAAAAAAAAAAAAAAA")
        #expect(KafkaUUID(base64URL: "too-short") == nil)
        #expect(KafkaUUID(base64URL: "ASNFZ4mrze_-3LqYdlQyEB") == nil)  // non-canonical trailing bits
        #expect(KafkaUUID(base64URL: "ASNFZ4mrze_-3LqYdlQy=A") == nil)
        var truncated = ByteBuffer(bytes: [1, 2, 3])
        #expect(throws: KafkaWireError.self) { try truncated.readKafkaUUID() }
    }

    @Test func randomUUIDsAvoidReservedForms() {
        var generator = PrimitivesTestRandom(seed: 7)
        for _ in 0..<2000 {
            let uuid = KafkaUUID.random(using: &generator)
            #expect(uuid != .zero && uuid != .metadataTopicID)
            #expect(!uuid.description.hasPrefix("-"))
            #expect(KafkaUUID(base64URL: uuid.description) == uuid)
        }
    }
}
