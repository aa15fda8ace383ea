import FjordNetwork
import Logging
import NIOCore
import NIOPosix
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A processor that answers each request with its own correlation id and the request bytes after the header,
/// delaying requests whose api key is 1 by `delayMs` so responses complete out of order.
private struct EchoProcessor: KafkaRequestProcessor {
    var delayMs: Int64 = 50
    func mayPipeline(apiKey: Int16) -> Bool { apiKey != 99 }
    func process(_ request: RequestFrame, connection: ConnectionInfo) -> EventLoopFuture<KafkaResponse?> {
        var out = ByteBufferAllocator().buffer(capacity: 16)
        out.writeInteger(request.correlationId)
        out.writeInteger(request.apiKey)
        let loop = connection.eventLoop
        if request.apiKey == 7 { return loop.makeSucceededFuture(nil) }  // no response, like acks=0
        if request.apiKey == 1 || request.apiKey == 99 {
            let reply = out
            return loop.scheduleTask(in: .milliseconds(delayMs)) { KafkaResponse(reply) }.futureResult
        }
        return loop.makeSucceededFuture(KafkaResponse(out))
    }
}

@Suite struct KafkaServerTests {
    let group = MultiThreadedEventLoopGroup.singleton

    private func startServer(maxRequestBytes: Int = 1024) async throws -> KafkaServer {
        try await KafkaServer.start(
            listeners: [(name: "PLAINTEXT", host: "127.0.0.1", port: 0)], group: group,
            configuration: .init(maxRequestBytes: maxRequestBytes, idleTimeoutMs: 0), processor: EchoProcessor(),
            logger: Logger(label: "test"))
    }

    @Test func responsesKeepRequestOrderWhenPipelined() async throws {
        let server = try await startServer()
        let connection = try await KafkaClientConnection.connect(
            host: "127.0.0.1", port: server.listeners[0].port, group: group, configuration: .init(clientId: "t"))
        // Key 1 completes late, key 2 at once: responses must still come back in request order.
        var futures: [EventLoopFuture<ByteBuffer>] = []
        for i in 0..<20 {
            let key: Int16 = i % 3 == 0 ? 1 : (i == 10 ? 7 : 2)
            futures.append(
                connection.send(apiKey: key, apiVersion: 0, expectsResponse: key != 7) { $0.writeInteger(UInt8(i)) })
        }
        for (i, future) in futures.enumerated() {
            var response = try await future.get()
            if i == 10 {
                #expect(response.readableBytes == 0)
                continue
            }
            let key = response.readInteger(as: Int16.self)
            #expect(key == (i % 3 == 0 ? 1 : 2))
        }
        connection.close()
        await server.stopAccepting()
    }

    @Test func oversizedFrameClosesOnlyThatConnection() async throws {
        let server = try await startServer(maxRequestBytes: 64)
        let port = server.listeners[0].port
        let good = try await KafkaClientConnection.connect(
            host: "127.0.0.1", port: port, group: group, configuration: .init(clientId: "good"))
        let bad = try await KafkaClientConnection.connect(
            host: "127.0.0.1", port: port, group: group, configuration: .init(clientId: "bad"))
        // Only the 4-byte size of a huge frame is sent: the server must close without waiting for the body.
        var header = ByteBufferAllocator().buffer(capacity: 4)
        header.writeInteger(Int32(1_000_000_000))
        try await bad.channel.writeAndFlush(header)
        try await bad.closeFuture.get()
        #expect(!bad.isActive)
        var response = try await good.send(apiKey: 2, apiVersion: 0) { _ in }.get()
        #expect(response.readInteger(as: Int16.self) == 2)
        good.close()
        await server.stopAccepting()
    }

    @Test func nonPipelinedRequestWaitsForEarlierOnes() async throws {
        let server = try await startServer()
        let connection = try await KafkaClientConnection.connect(
            host: "127.0.0.1", port: server.listeners[0].port, group: group, configuration: .init(clientId: "t"))
        let first = connection.send(apiKey: 99, apiVersion: 0) { _ in }
        let second = connection.send(apiKey: 2, apiVersion: 0) { _ in }
        var a = try await first.get()
        var b = try await second.get()
        #expect(a.readInteger(as: Int16.self) == 99)
        #expect(b.readInteger(as: Int16.self) == 2)
        connection.close()
        await server.stopAccepting()
    }
}
