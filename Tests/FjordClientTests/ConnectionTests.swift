import FjordModel
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import FjordClient

/// A scripted broker on 127.0.0.1: answers each request frame with what `respond` returns (nil: no answer).
final class FakeBroker: Sendable {
    final class Log: Sendable {
        let headers = Mutex<[RequestHeader]>([])
    }

    let channel: any Channel
    let log = Log()
    var port: Int { channel.localAddress!.port! }

    init(
        group: any EventLoopGroup,
        respond: @escaping @Sendable (RequestHeader, ByteBuffer, ByteBufferAllocator) -> ByteBuffer?
    ) async throws {
        let log = self.log
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(ResponseFrameDecoder(maxFrameBytes: 1 << 20)))
                    try child.pipeline.syncOperations.addHandler(
                        FakeBrokerHandler(respond: respond, log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func close() async throws { try await channel.close() }
}

private final class FakeBrokerHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let respond: @Sendable (RequestHeader, ByteBuffer, ByteBufferAllocator) -> ByteBuffer?
    let log: FakeBroker.Log

    init(
        respond: @escaping @Sendable (RequestHeader, ByteBuffer, ByteBufferAllocator) -> ByteBuffer?,
        log: FakeBroker.Log
    ) {
        self.respond = respond
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let parsed = try? KafkaRequestFrame(parsing: frame, limits: .default) else { return }
        log.headers.withLock { $0.append(parsed.header) }
        guard let body = respond(parsed.header, parsed.body, context.channel.allocator) else { return }
        var out = context.channel.allocator.buffer(capacity: body.readableBytes + 8)
        out.writeInteger(Int32(body.readableBytes + 4))
        out.writeInteger(parsed.header.correlationId)
        out.writeImmutableBuffer(body)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }
}

@Suite("broker connections")
struct ConnectionTests {
    static let group = MultiThreadedEventLoopGroup.singleton

    static func settings(port: Int, timeout: Duration = .seconds(5)) -> ConnectionSettings {
        ConnectionSettings(
            bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: port)], clientId: "test", requestTimeout: timeout)
    }

    /// ApiVersions answer (body only) in the v0 layout with UNSUPPORTED_VERSION, as brokers answer a too-new request.
    static func unsupported(_ allocator: ByteBufferAllocator) -> ByteBuffer {
        ApiVersionsResponse(
            errorCode: ErrorCode.unsupportedVersion.rawValue,
            apiKeys: [.init(apiKey: ApiKey.apiVersions.rawValue, minVersion: 0, maxVersion: 2)]
        ).encoded(version: 0, allocator: allocator)
    }

    static func supported(_ version: Int16, _ allocator: ByteBufferAllocator) -> ByteBuffer {
        ApiVersionsResponse(errorCode: 0, apiKeys: ApiVersionTable.fjord.responseEntries).encoded(
            version: version, allocator: allocator)
    }

    @Test func apiVersionsFallsBackWhenTheBrokerIsOlder() async throws {
        let broker = try await FakeBroker(group: Self.group) { header, _, allocator in
            guard header.apiKey == ApiKey.apiVersions.rawValue else { return nil }
            return header.apiVersion > 2 ? Self.unsupported(allocator) : Self.supported(header.apiVersion, allocator)
        }
        let connection = try await BrokerConnection.connect(
            to: BrokerAddress(host: "127.0.0.1", port: broker.port), brokerID: nil,
            settings: Self.settings(port: broker.port), group: Self.group, logger: Logger(label: "test"))
        #expect(broker.log.headers.withLock { $0.map(\.apiVersion) } == [3, 2])
        #expect(connection.versions.version(for: .produce) == 8)
        #expect(connection.versions.version(for: .fetch) == 11)
        connection.close()
        try await broker.close()
    }

    @Test func pipelinedRequestsMatchTheirResponses() async throws {
        let broker = try await FakeBroker(group: Self.group) { header, body, allocator in
            if header.apiKey == ApiKey.apiVersions.rawValue { return Self.supported(3, allocator) }
            var body = body
            let request = try! FindCoordinatorRequest(from: &body, version: header.apiVersion)
            return FindCoordinatorResponse(errorCode: 0, nodeId: Int32(request.key)!, host: "h", port: 1)
                .encoded(version: header.apiVersion, allocator: allocator)
        }
        let connection = try await BrokerConnection.connect(
            to: BrokerAddress(host: "127.0.0.1", port: broker.port), brokerID: nil,
            settings: Self.settings(port: broker.port), group: Self.group, logger: Logger(label: "test"))
        let ids = try await withThrowingTaskGroup(of: (Int32, Int32).self) { group in
            for i in 0..<50 {
                group.addTask {
                    let response = try await connection.send(FindCoordinatorRequest(key: String(i), keyType: 0))
                    return (Int32(i), response.nodeId)
                }
            }
            var pairs: [(Int32, Int32)] = []
            for try await pair in group { pairs.append(pair) }
            return pairs
        }
        #expect(ids.count == 50 && ids.allSatisfy { $0.0 == $0.1 })
        let correlationIds = broker.log.headers.withLock { $0.dropFirst().map(\.correlationId) }
        #expect(Set(correlationIds).count == 50, "every request has its own correlation id")
        connection.close()
        try await broker.close()
    }

    @Test func aRequestWithoutResponseTimesOutAndClosesTheConnection() async throws {
        let broker = try await FakeBroker(group: Self.group) { header, _, allocator in
            header.apiKey == ApiKey.apiVersions.rawValue ? Self.supported(3, allocator) : nil
        }
        let connection = try await BrokerConnection.connect(
            to: BrokerAddress(host: "127.0.0.1", port: broker.port), brokerID: nil,
            settings: Self.settings(port: broker.port, timeout: .milliseconds(200)), group: Self.group,
            logger: Logger(label: "test"))
        do {
            _ = try await connection.send(FindCoordinatorRequest(key: "g", keyType: 0))
            Issue.record("a request without an answer must time out")
        } catch let error as KafkaClientError {
            #expect(error.kind == .requestTimedOut)
        }
        try await connection.closeFuture.get()
        #expect(!connection.isActive)
        try await broker.close()
    }

    @Test func anOversizedResponseFrameClosesTheConnection() async throws {
        let broker = try await FakeBroker(group: Self.group) { header, _, allocator in
            if header.apiKey == ApiKey.apiVersions.rawValue { return Self.supported(3, allocator) }
            return allocator.buffer(bytes: [UInt8](repeating: 0, count: 4096))
        }
        var settings = Self.settings(port: broker.port)
        settings.maxResponseSizeBytes = 1024
        let connection = try await BrokerConnection.connect(
            to: BrokerAddress(host: "127.0.0.1", port: broker.port), brokerID: nil, settings: settings,
            group: Self.group, logger: Logger(label: "test"))
        await #expect(throws: KafkaClientError.self) {
            _ = try await connection.send(FindCoordinatorRequest(key: "g", keyType: 0))
        }
        try await broker.close()
    }

    @Test func unreachableBootstrapServersFailWithAHint() async throws {
        let cluster = ClusterClient(
            settings: Self.settings(port: 1), logger: Logger(label: "test"), group: Self.group)
        do {
            _ = try await cluster.anyConnection()
            Issue.record("port 1 must refuse")
        } catch let error as KafkaClientError {
            #expect(error.kind == .noBrokersAvailable && error.message.contains("127.0.0.1:1"))
        }
        cluster.close()
    }

    @Test func wakeupsAreNeverLostAndDeadlinesFire() async {
        let wakeup = LoopWakeup(eventLoop: Self.group.next())
        wakeup.signal()
        await wakeup.wait(untilNs: nil)  // returns at once: the signal was remembered
        let start = MonotonicClock.nowNs()
        await wakeup.wait(untilNs: start + 20_000_000)
        #expect(MonotonicClock.nowNs() - start >= 20_000_000)
        Task { wakeup.signal() }
        await wakeup.wait(untilNs: nil)
    }
}
