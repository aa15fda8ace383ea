import FjordCluster
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import FjordObservability

@Suite struct MetricsServerTests {
    /// One raw HTTP exchange: sends `request`, reads until the server closes the connection.
    static func exchange(port: Int, _ request: String) async throws -> String {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        if !request.isEmpty { try await channel.writeAndFlush(channel.allocator.buffer(string: request)) }
        try await channel.closeFuture.get()
        return collector.received.withLock { String(buffer: $0) }
    }

    /// Collects every byte the server sends.
    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = Mutex(ByteBuffer())

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            received.withLock { _ = $0.writeBuffer(&buffer) }
        }
    }

    static func get(port: Int, _ path: String, method: String = "GET") async throws -> (
        status: Int, headers: String, body: String
    ) {
        let response = try await exchange(
            port: port, "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        let split = try #require(response.range(of: "\r\n\r\n"))
        let head = String(response[..<split.lowerBound])
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let status = Int(statusLine.split(separator: " ")[1]) ?? 0
        return (status, head, String(response[split.upperBound...]))
    }

    @Test func servesMetricsAndHealthOnARandomPort() async throws {
        let metrics = FjordMetrics()
        let requests = RequestMetrics(
            metrics: metrics, apis: [ApiDescriptor(key: 3, name: "Metadata", versions: 0...12)])
        requests.api(3).record(version: 12, durationNanoseconds: 1_500_000)
        let healthy = Mutex(true)
        let server = try await MetricsServer.start(
            host: "127.0.0.1", port: 0, metrics: metrics,
            health: { healthy.withLock { $0 } ? .healthy : .unhealthy("not registered in ZooKeeper") },
            logger: Logger(label: "test"))
        #expect(server.port > 0)

        let scrape = try await Self.get(port: server.port, "/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.headers.lowercased().contains("content-type: text/plain; version=0.0.4; charset=utf-8"))
        let exposition = try Exposition(scrape.body)
        #expect(exposition.value(MetricName.requests, ["api": "Metadata", "version": "12"]) == 1)

        let health = try await Self.get(port: server.port, "/health")
        #expect(health.status == 200 && health.body == "ok\n")
        healthy.withLock { $0 = false }
        let sick = try await Self.get(port: server.port, "/health?verbose=1")
        #expect(sick.status == 503 && sick.body == "not registered in ZooKeeper\n")

        #expect(try await Self.get(port: server.port, "/nope").status == 404)
        let post = try await Self.get(port: server.port, "/metrics", method: "POST")
        #expect(post.status == 405 && post.headers.contains("Allow: GET, HEAD"))
        let head = try await Self.get(port: server.port, "/metrics", method: "HEAD")
        #expect(head.status == 200 && head.body.isEmpty)

        await server.shutdown()
        await #expect(throws: (any Error).self) { _ = try await Self.get(port: server.port, "/metrics") }
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        let metrics = FjordMetrics()
        let server = try await MetricsServer.start(
            host: "127.0.0.1", port: 0, metrics: metrics, logger: Logger(label: "test"))
        let request =
            "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let response = try await Self.exchange(port: server.port, request)
        #expect(response.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        await server.shutdown()
    }

    @Test func idleConnectionsAreClosed() async throws {
        let server = try await MetricsServer.start(
            host: "127.0.0.1", port: 0, metrics: FjordMetrics(), idleTimeoutSeconds: 1, logger: Logger(label: "test"))
        // Sends nothing: the exchange returns only because the server closes the idle connection.
        let response = try await Self.exchange(port: server.port, "")
        #expect(response.isEmpty)
        await server.shutdown()
    }

    @Test func observabilityConfigFromPropertiesAndEnvironment() throws {
        let resolved = try ResolvedConfig(
            definitions: ObservabilityConfig.definitions,
            file: Properties.parse("log.level=debug\nmetrics.port=9301\n"),
            environment: ["KAFKA_METRICS_PORT": "9400", "FJORD_LOG_FORMAT": "json", "KAFKA_LOG_FILE": ""],
            flags: Properties())
        let config = try ObservabilityConfig(resolved)
        #expect(config == ObservabilityConfig(logLevel: .debug, logFormat: .json, logFile: nil, metricsPort: 9400))
        let defaults = try ObservabilityConfig(
            ResolvedConfig(
                definitions: ObservabilityConfig.definitions, file: nil, environment: [:], flags: Properties()))
        #expect(defaults == ObservabilityConfig())
        #expect(defaults.metricsPort == 0)
        for (key, value) in [("log.level", "loud"), ("log.format", "xml"), ("metrics.port", "70000")] {
            #expect(throws: ConfigError.self) {
                try ObservabilityConfig(
                    ResolvedConfig(
                        definitions: ObservabilityConfig.definitions, file: nil, environment: [:],
                        flags: Properties([key: value], source: "flag")))
            }
        }
    }
}
