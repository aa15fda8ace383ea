import KafkaWire
import NIOCore
import Testing

@Suite struct PrimitivesTaggedFieldsHeadersTests {
    @Test func unknownTaggedFieldsRoundTrip() throws {
        let fields = [
            KafkaTaggedField(tag: 0, data: ByteBuffer(bytes: [1, 2])),
            KafkaTaggedField(tag: 300, data: ByteBuffer(bytes: [])),
        ]
        var buffer = ByteBuffer()
        buffer.writeUnknownTaggedFields(fields)
        #expect(Array(buffer.readableBytesView) == [0x02, 0x00, 0x02, 1, 2, 0xAC, 0x02, 0x00])
        #expect(try buffer.readUnknownTaggedFields(limits: .default) == fields)
        #expect(buffer.readableBytes == 0)
    }

    /// A known field's size prefix grows past one byte when its body reaches 128 bytes; the body moves intact.
    @Test func knownTaggedFieldSizePrefixWidens() throws {
        for length in [0, 1, 127, 128, 300, 16384] {
            var buffer = ByteBuffer(bytes: [0xEE])
            buffer.moveReaderIndex(forwardBy: 1)
            let body = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7) }
            buffer.writeTaggedField(tag: 5) { $0.writeBytes(body) }
            var expected = ByteBuffer()
            expected.writeUnsignedVarint(5)
            expected.writeUnsignedVarint(UInt32(length))
            expected.writeBytes(body)
            #expect(buffer == expected, "length \(length)")
            let field = try buffer.readTaggedField(limits: .default)
            #expect(field.tag == 5 && Array(field.data.readableBytesView) == body)
        }
    }

    @Test func unknownFieldsInterleaveWithKnownOnesInTagOrder() {
        let unknown = [
            KafkaTaggedField(tag: 1, data: ByteBuffer(bytes: [0x11])),
            KafkaTaggedField(tag: 4, data: ByteBuffer(bytes: [0x44])),
        ]
        var buffer = ByteBuffer()
        var next = 0
        buffer.writeUnknownTaggedFields(unknown, before: 3, next: &next)
        buffer.writeTaggedField(tag: 3) { $0.writeInt8(0x33) }
        buffer.writeUnknownTaggedFields(unknown, before: nil, next: &next)
        #expect(Array(buffer.readableBytesView) == [1, 1, 0x11, 3, 1, 0x33, 4, 1, 0x44])
    }

    @Test func taggedFieldCountAndSizeAreBounded() {
        var count = ByteBuffer(bytes: [0x10, 0, 0])
        #expect(throws: KafkaWireError.self) { try count.readTaggedFieldCount(limits: .default) }
        var size = ByteBuffer(bytes: [0x01, 0x00, 0x05, 1, 2])
        #expect(throws: KafkaWireError.self) { try size.readUnknownTaggedFields(limits: .default) }
    }

    @Test func requestHeaderVersions() throws {
        let header = RequestHeader(apiKey: 18, apiVersion: 3, correlationId: 7, clientId: "c")
        for version in Int16(0)...2 {
            var buffer = ByteBuffer()
            header.write(to: &buffer, headerVersion: version)
            let expectedSize = [8, 11, 12][Int(version)]
            #expect(buffer.readableBytes == expectedSize)
            #expect(try RequestHeader.peekPrefix(buffer) == .init(apiKey: 18, apiVersion: 3, correlationId: 7))
            let decoded = try RequestHeader(from: &buffer, headerVersion: version, limits: .default)
            #expect(decoded.clientId == (version == 0 ? nil : "c"))
            #expect(decoded.correlationId == 7)
            #expect(buffer.readableBytes == 0)
        }
        var nullClient = ByteBuffer()
        RequestHeader(apiKey: 3, apiVersion: 0, correlationId: 1, clientId: nil).write(
            to: &nullClient, headerVersion: 1)
        #expect(Array(nullClient.readableBytesView) == [0, 3, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF])
        var short = ByteBuffer(bytes: [0, 3, 0])
        #expect(throws: KafkaWireError.self) { try RequestHeader.peekPrefix(short) }
        #expect(throws: KafkaWireError.self) {
            try RequestHeader(from: &short, headerVersion: 1, limits: .default)
        }
    }

    @Test func responseHeaderVersions() throws {
        var v0 = ByteBuffer()
        ResponseHeader(correlationId: 0x0102_0304).write(to: &v0, headerVersion: 0)
        #expect(Array(v0.readableBytesView) == [1, 2, 3, 4])
        var v1 = ByteBuffer()
        let tagged = ResponseHeader(
            correlationId: 9, unknownTaggedFields: [KafkaTaggedField(tag: 2, data: ByteBuffer(bytes: [7]))])
        tagged.write(to: &v1, headerVersion: 1)
        #expect(Array(v1.readableBytesView) == [0, 0, 0, 9, 1, 2, 1, 7])
        #expect(try ResponseHeader(from: &v1, headerVersion: 1, limits: .default) == tagged)
    }
}
