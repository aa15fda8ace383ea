import KafkaWire
import NIOCore
import Testing

@Suite struct PrimitivesStringBytesTests {
    @Test func classicAndCompactStringLayouts() throws {
        var buffer = ByteBuffer()
        buffer.writeKafkaString("ab")
        buffer.writeKafkaNullableString(nil)
        buffer.writeCompactString("ab")
        buffer.writeCompactNullableString(nil)
        buffer.writeCompactString("")
        #expect(Array(buffer.readableBytesView) == [0x00, 0x02, 0x61, 0x62, 0xFF, 0xFF, 0x03, 0x61, 0x62, 0x00, 0x01])
        #expect(try buffer.readKafkaString(limits: .default) == "ab")
        #expect(try buffer.readKafkaNullableString(limits: .default) == nil)
        #expect(try buffer.readCompactString(limits: .default) == "ab")
        #expect(try buffer.readCompactNullableString(limits: .default) == nil)
        #expect(try buffer.readCompactString(limits: .default) == "")
        #expect(buffer.readableBytes == 0)
    }

    @Test func multibyteUTF8RoundTrips() throws {
        var buffer = ByteBuffer()
        let text = "fjörd-ストリーム-🐟"
        buffer.writeKafkaString(text, compact: true)
        #expect(try buffer.readKafkaString(compact: true, limits: .default) == text)
    }

    @Test func nullWhereNotNullableIsInvalid() {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF])
        #expect(throws: KafkaWireError(.invalidValue, "string: null where the field is not nullable")) {
            try buffer.readKafkaString(limits: .default)
        }
    }

    @Test func lengthsAreBoundedBeforeReading() {
        // Declares 32767 bytes but holds 2.
        var short = ByteBuffer(bytes: [0x7F, 0xFF, 0x61, 0x62])
        #expect(throws: KafkaWireError.self) { try short.readKafkaString(limits: .default) }
        // Compact string declaring 4 GiB.
        var huge = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        do {
            _ = try huge.readCompactString(limits: .default)
            Issue.record("expected lengthOutOfRange")
        } catch {
            #expect(error.code == .lengthOutOfRange)
        }
        // Below -1.
        var negative = ByteBuffer(bytes: [0xFF, 0xFE])
        #expect(throws: KafkaWireError.self) { try negative.readKafkaNullableString(limits: .default) }
        // A configured limit below the actual length.
        var limited = ByteBuffer()
        limited.writeKafkaString("abcdef")
        #expect(throws: KafkaWireError.self) {
            try limited.readKafkaString(limits: DecodeLimits(maxStringBytes: 3))
        }
    }

    @Test func invalidUTF8IsRejected() {
        var buffer = ByteBuffer(bytes: [0x00, 0x02, 0xC3, 0x28])
        #expect(throws: KafkaWireError.self) { try buffer.readKafkaString(limits: .default) }
    }

    @Test func bytesAreSlicesWithoutCopy() throws {
        var buffer = ByteBuffer()
        buffer.writeKafkaBytes(ByteBuffer(bytes: [1, 2, 3]))
        buffer.writeCompactNullableBytes(nil)
        buffer.writeCompactBytes(ByteBuffer(bytes: [4]))
        buffer.writeKafkaNullableBytes(nil)
        #expect(Array(buffer.readableBytesView) == [0, 0, 0, 3, 1, 2, 3, 0x00, 0x02, 4, 0xFF, 0xFF, 0xFF, 0xFF])
        let storageStart = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let slice = try buffer.readKafkaBytes(limits: .default)
        #expect(Array(slice.readableBytesView) == [1, 2, 3])
        // Same storage: the slice's bytes sit 4 bytes into the original buffer.
        #expect(slice.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == storageStart + 4)
        #expect(try buffer.readCompactNullableBytes(limits: .default) == nil)
        #expect(try buffer.readCompactBytes(limits: .default) == ByteBuffer(bytes: [4]))
        #expect(try buffer.readKafkaNullableBytes(limits: .default) == nil)
    }

    @Test func bytesLengthIsBounded() {
        var declaresTooMuch = ByteBuffer(bytes: [0x00, 0x00, 0x10, 0x00, 1, 2])
        #expect(throws: KafkaWireError.self) { try declaresTooMuch.readKafkaBytes(limits: .default) }
        var overLimit = ByteBuffer()
        overLimit.writeKafkaBytes(ByteBuffer(bytes: [UInt8](repeating: 7, count: 100)))
        do {
            _ = try overLimit.readKafkaBytes(limits: DecodeLimits(maxBytesLength: 10))
            Issue.record("expected lengthOutOfRange")
        } catch {
            #expect(error.code == .lengthOutOfRange)
        }
        var nullNotAllowed = ByteBuffer(bytes: [0x00])
        #expect(throws: KafkaWireError.self) { try nullNotAllowed.readCompactBytes(limits: .default) }
    }
}
