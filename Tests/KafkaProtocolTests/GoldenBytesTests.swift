import KafkaProtocol
import KafkaWire
import NIOCore
import Testing

/// Byte layouts written by hand from the Kafka protocol specification, compared with what the codecs produce.
@Suite struct GoldenBytesTests {
    /// ApiVersions v3 as librdkafka sends it: request header v2 (client_id keeps its int16 length, then an empty
    /// tagged-fields section), body with compact strings and its own empty tagged-fields section.
    @Test func apiVersionsRequestV3WithHeaderV2() throws {
        let expected: [UInt8] =
            [0x00, 0x00, 0x00, 0x24]  // frame size 36
            + [0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]  // api key 18, version 3, correlation id 1
            + [0x00, 0x07] + Array("rdkafka".utf8)  // client_id: classic nullable string
            + [0x00]  // header tagged fields: none
            + [0x0B] + Array("librdkafka".utf8)  // client_software_name: compact string, length + 1
            + [0x06] + Array("2.0.2".utf8)  // client_software_version
            + [0x00]  // body tagged fields: none
        let request = ApiVersionsRequest(clientSoftwareName: "librdkafka", clientSoftwareVersion: "2.0.2")
        var buffer = ByteBuffer()
        request.writeFrame(to: &buffer, correlationId: 1, clientId: "rdkafka", version: 3)
        #expect(Array(buffer.readableBytesView) == expected)

        var frame = ByteBuffer(bytes: expected.dropFirst(4))
        let parsed = try KafkaRequestFrame(parsing: frame, limits: .default)
        #expect(parsed.headerVersion == 2)
        #expect(parsed.header == RequestHeader(apiKey: 18, apiVersion: 3, correlationId: 1, clientId: "rdkafka"))
        #expect(try parsed.decodeBody(limits: .default) == .apiVersions(request))
        frame.moveReaderIndex(forwardBy: frame.readableBytes)
    }

    /// Metadata v0 with an empty topic array (meaning every topic), after request header v1.
    @Test func metadataRequestV0Empty() throws {
        let expected: [UInt8] =
            [0x00, 0x00, 0x00, 0x1A]  // frame size 26
            + [0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02]  // api key 3, version 0, correlation id 2
            + [0x00, 0x0C] + Array("kafka-python".utf8)
            + [0x00, 0x00, 0x00, 0x00]  // topics: int32 count 0
        var buffer = ByteBuffer()
        MetadataRequest(topics: []).writeFrame(to: &buffer, correlationId: 2, clientId: "kafka-python", version: 0)
        #expect(Array(buffer.readableBytesView) == expected)
        var body = ByteBuffer(bytes: [0x00, 0x00, 0x00, 0x00])
        #expect(try MetadataRequest(from: &body, version: 0, limits: .default).topics == [])
    }

    /// Produce v3: nullable transactional id, acks, timeout, then topic → partition → records as int32-length
    /// bytes. The decoded records are a slice of the frame, not a copy.
    @Test func produceRequestV3Layout() throws {
        let records: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF, 0x42]
        let body: [UInt8] =
            [0xFF, 0xFF]  // transactional_id: null
            + [0xFF, 0xFF]  // acks: -1
            + [0x00, 0x00, 0x75, 0x30]  // timeout_ms: 30000
            + [0x00, 0x00, 0x00, 0x01]  // topic_data: 1 topic
            + [0x00, 0x06] + Array("orders".utf8)
            + [0x00, 0x00, 0x00, 0x01]  // partition_data: 1 partition
            + [0x00, 0x00, 0x00, 0x07]  // index 7
            + [0x00, 0x00, 0x00, 0x05] + records  // records: int32 length, bytes
        let request = ProduceRequest(
            transactionalId: nil, acks: -1, timeoutMs: 30000,
            topicData: [
                .init(name: "orders", partitionData: [.init(index: 7, records: ByteBuffer(bytes: records))])
            ])
        #expect(Array(request.encoded(version: 3).readableBytesView) == body)

        var buffer = ByteBuffer(bytes: body)
        let base = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let decoded = try ProduceRequest(from: &buffer, version: 3, limits: .default)
        #expect(decoded == request)
        let slice = try #require(decoded.topicData.first?.partitionData.first?.records)
        #expect(slice.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == base + UInt(body.count - 5))
    }

    /// The ApiVersions answer to an unknown version (PROFILE trap 1): a v0 body with UNSUPPORTED_VERSION and
    /// ApiVersions' own range, after response header v0.
    @Test func apiVersionsUnsupportedVersionAnswer() {
        let response = ApiVersionsResponse(
            errorCode: ErrorCode.unsupportedVersion.rawValue,
            apiKeys: [.init(apiKey: ApiKey.apiVersions.rawValue, minVersion: 0, maxVersion: 3)])
        var buffer = ByteBuffer()
        response.writeFrame(to: &buffer, correlationId: 5, version: 0)
        let expected: [UInt8] =
            [0x00, 0x00, 0x00, 0x10]  // frame size 16
            + [0x00, 0x00, 0x00, 0x05]  // response header v0: correlation id
            + [0x00, 0x23]  // error_code 35
            + [0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03]  // [ApiVersions 0...3]
        #expect(Array(buffer.readableBytesView) == expected)
    }

    /// ApiVersions v3 response: flexible body but response header v0; a known tagged field (tag 1, the finalized
    /// features epoch) in the body's tagged-fields section; defaults of the other tagged fields left out.
    @Test func apiVersionsResponseV3WithTaggedField() throws {
        let response = ApiVersionsResponse(
            errorCode: 0, apiKeys: [.init(apiKey: 3, minVersion: 0, maxVersion: 8)], throttleTimeMs: 0,
            finalizedFeaturesEpoch: 5)
        var buffer = ByteBuffer()
        response.writeWithHeader(to: &buffer, correlationId: 9, version: 3)
        let expected: [UInt8] =
            [0x00, 0x00, 0x00, 0x09]  // header v0, no tagged fields
            + [0x00, 0x00]  // error_code
            + [0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00]  // compact array of 1: key, min, max, no tags
            + [0x00, 0x00, 0x00, 0x00]  // throttle_time_ms
            + [0x01, 0x01, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x05]  // 1 tagged field: tag 1, size 8, int64 5
        #expect(Array(buffer.readableBytesView) == expected)
        let (header, body) = try ApiVersionsResponse.decodeWithHeader(from: &buffer, version: 3, limits: .default)
        #expect(header.correlationId == 9)
        #expect(body == response)
    }

    /// An unknown tagged field between known ones survives a decode/encode round trip in tag order.
    @Test func unknownTaggedFieldIsCarriedThrough() throws {
        // FetchRequest v12 body with tagged fields: tag 0 (ClusterId) known, tag 7 unknown.
        var request = FetchRequest(clusterId: "c1", maxWaitMs: 500, minBytes: 1)
        request.unknownTaggedFields = [KafkaTaggedField(tag: 7, data: ByteBuffer(bytes: [1, 2, 3]))]
        let encoded = request.encoded(version: 12)
        // The body's closing tagged-fields section: 2 fields; tag 0, size 3, compact "c1"; tag 7, size 3, bytes.
        #expect(
            Array(encoded.readableBytesView.suffix(11)) == [0x02, 0x00, 0x03, 0x03, 0x63, 0x31, 0x07, 0x03, 1, 2, 3])
        var buffer = encoded
        #expect(try FetchRequest(from: &buffer, version: 12, limits: .default) == request)
    }
}
