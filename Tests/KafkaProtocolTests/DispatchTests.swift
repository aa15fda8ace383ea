import KafkaProtocol
import KafkaWire
import NIOCore
import Testing

/// Request frames: header parsing by API key and version, body dispatch, and response frames.
@Suite struct DispatchTests {
    /// Every generated request, at every version, written as a frame and read back through
    /// `KafkaRequestFrame` and `KafkaRequestBody`.
    @Test func everyRequestDispatchesThroughTheFrame() throws {
        var checked = 0
        for apiKey in ApiKey.allCases {
            guard let type = apiKey.requestType as? any SampledMessage.Type else { continue }
            checked += try checkFrames(type, apiKey: apiKey)
        }
        #expect(checked > 150)
    }

    private func checkFrames<T: SampledMessage>(_ type: T.Type, apiKey: ApiKey) throws -> Int {
        guard let requestType = T.self as? any KafkaRequest.Type else { return 0 }
        var count = 0
        for version in T.validVersions {
            let sample = T.sample(version: version)
            let request = sample as! any KafkaRequest
            var frame = ByteBuffer()
            request.writeFrame(to: &frame, correlationId: 42, clientId: "client", version: version)
            let size = try frame.readInt32()
            #expect(Int(size) == frame.readableBytes)
            let parsed = try KafkaRequestFrame(parsing: frame, limits: .default)
            #expect(parsed.apiKey == apiKey)
            #expect(parsed.headerVersion == requestType.headerVersion(for: version))
            #expect(parsed.header.correlationId == 42)
            #expect(parsed.header.clientId == (parsed.headerVersion == 0 ? nil : "client"))
            #expect(parsed.hasCodec)
            let body = try parsed.decodeBody(limits: .default)
            #expect(body.apiKey == apiKey)
            #expect(body.message as? T == sample)
            var rewritten = ByteBuffer()
            body.write(to: &rewritten, version: version)
            #expect(rewritten == parsed.body)
            count += 1
        }
        return count
    }

    /// PROFILE trap 1: an ApiVersions request at a version newer than any codec here (v5, flexible header) still
    /// yields its header, and the body is refused with `.unsupportedVersion` rather than misparsed.
    @Test func unknownApiVersionsVersionKeepsItsHeader() throws {
        var frame = ByteBuffer()
        RequestHeader(apiKey: 18, apiVersion: 5, correlationId: 77, clientId: "kafka-python")
            .write(to: &frame, headerVersion: 2)
        frame.writeBytes([0x07, 0x6B, 0x70, 0x79, 0x2D, 0x33, 0x2E, 0x00])  // some body
        let parsed = try KafkaRequestFrame(parsing: frame, limits: .default)
        #expect(parsed.headerVersion == 2)
        #expect(parsed.header.correlationId == 77 && parsed.header.clientId == "kafka-python")
        #expect(!parsed.hasCodec)
        do {
            _ = try parsed.decodeBody(limits: .default)
            Issue.record("expected unsupportedVersion")
        } catch {
            #expect(error.code == .unsupportedVersion)
        }
    }

    @Test func unknownApiKeyIsRefusedButItsCorrelationIdIsReadable() throws {
        var frame = ByteBuffer()
        RequestHeader(apiKey: 999, apiVersion: 0, correlationId: 3, clientId: nil).write(to: &frame, headerVersion: 1)
        #expect(throws: KafkaWireError.self) { try KafkaRequestFrame(parsing: frame, limits: .default) }
        #expect(try RequestHeader.peekPrefix(frame).correlationId == 3)
    }

    @Test func headerVersionsFollowKafkaRules() {
        #expect(ApiKey.controlledShutdown.requestHeaderVersion(apiVersion: 0) == 0)
        #expect(ApiKey.controlledShutdown.requestHeaderVersion(apiVersion: 1) == 1)
        #expect(ApiKey.controlledShutdown.requestHeaderVersion(apiVersion: 3) == 2)
        #expect(ApiKey.apiVersions.requestHeaderVersion(apiVersion: 3) == 2)
        #expect(ApiKey.apiVersions.requestHeaderVersion(apiVersion: 99) == 2)
        #expect(ApiKey.apiVersions.responseHeaderVersion(apiVersion: 3) == 0)
        #expect(ApiKey.metadata.responseHeaderVersion(apiVersion: 9) == 1)
        #expect(ApiKey.metadata.responseHeaderVersion(apiVersion: 8) == 0)
        #expect(ApiKey.saslHandshake.requestHeaderVersion(apiVersion: 1) == 1)
        #expect(ApiVersionsResponse.headerVersion(for: 4) == 0)
        #expect(ProduceRequest.headerVersion(for: 9) == 2 && ProduceRequest.headerVersion(for: 8) == 1)
        // The generated per-type functions and ApiKey's agree everywhere.
        for apiKey in ApiKey.allCases {
            guard let request = apiKey.requestType, let response = apiKey.responseType else { continue }
            #expect(request.apiKey == apiKey && response.apiKey == apiKey)
            #expect(request.validVersions == apiKey.definedVersions)
            #expect(response.validVersions == apiKey.definedVersions)
            for version in apiKey.definedVersions {
                #expect(request.headerVersion(for: version) == apiKey.requestHeaderVersion(apiVersion: version))
                #expect(response.headerVersion(for: version) == apiKey.responseHeaderVersion(apiVersion: version))
                #expect(request.isFlexible(version: version) == apiKey.isFlexible(apiVersion: version))
            }
        }
    }

    @Test func responseFramesCarryTheirSize() throws {
        var buffer = ByteBuffer()
        let response = MetadataResponse(brokers: [.init(nodeId: 1, host: "localhost", port: 9092)], controllerId: 1)
        response.writeFrame(to: &buffer, correlationId: 11, version: 9)
        let size = try buffer.readInt32()
        #expect(Int(size) == buffer.readableBytes)
        let (header, body) = try MetadataResponse.decodeWithHeader(from: &buffer, version: 9, limits: .default)
        #expect(header.correlationId == 11)
        #expect(body == response)
        #expect(buffer.readableBytes == 0)
    }
}
