import FjordNetwork
import Logging
import NIOCore
import NIOPosix
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Answers each request with its correlation id, the frame's length and an FNV-1a hash of its bytes, so a test can
/// check that frames split across reads arrive whole and unchanged.
private struct DigestProcessor: KafkaRequestProcessor {
    func mayPipeline(apiKey: Int16) -> Bool { true }
    func process(_ request: RequestFrame, connection: ConnectionInfo) -> EventLoopFuture<KafkaResponse?> {
        var out = ByteBufferAllocator().buffer(capacity: 16)
        out.writeInteger(request.correlationId)
        out.writeInteger(Int32(request.buffer.readableBytes))
        out.writeInteger(digest(request.buffer.readableBytesView))
        return connection.eventLoop.makeSucceededFuture(KafkaResponse(out))
    }
}

private func digest<C: Collection<UInt8>>(_ bytes: C) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
}

/// A frame as a client sends it: size, api key 0, version 0, correlation id, then `bodyBytes` bytes.
private func frame(correlationId: Int32, bodyBytes: Int) -> [UInt8] {
    var body: [UInt8] = [0, 0, 0, 0]
    withUnsafeBytes(of: correlationId.bigEndian) { body += $0 }
    body += (0..<bodyBytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(correlationId)) }
    var out: [UInt8] = []
    withUnsafeBytes(of: Int32(body.count).bigEndian) { out += $0 }
    return out + body
}

@Suite struct KafkaFrameHandlerTests {
    let group = MultiThreadedEventLoopGroup.singleton

    /// Sends `bytes` over a plain socket in pieces of the given sizes (cycled), pausing between pieces so the server
    /// sees them in separate reads, and returns `count` responses of 16 bytes each.
    private func exchange(port: Int, bytes: [UInt8], pieces: [Int], responses count: Int) throws -> [(
        Int32, Int32, UInt64
    )] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(connected == 0)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        var piece = 0
        while sent < bytes.count {
            let length = min(pieces[piece % pieces.count], bytes.count - sent)
            let n = bytes[sent..<(sent + length)].withUnsafeBytes { send(fd, $0.baseAddress, length, 0) }
            #expect(n == length)
            sent += length
            piece += 1
            usleep(2_000)
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while received.count < count * 20 {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 4096, 0) }
            if n <= 0 { break }
            received += chunk[..<n]
        }
        // Each response: size (4) + correlation id (4) + length (4) + digest (8).
        var result: [(Int32, Int32, UInt64)] = []
        var buffer = ByteBuffer(bytes: received)
        while let size = buffer.readInteger(as: Int32.self), size == 16 {
            result.append(
                (buffer.readInteger()!, buffer.readInteger()!, buffer.readInteger(as: UInt64.self)!))
        }
        return result
    }

    @Test func framesSplitAnywhereAcrossReadsArriveWhole() async throws {
        let server = try await KafkaServer.start(
            listeners: [(name: "PLAINTEXT", host: "127.0.0.1", port: 0)], group: group,
            configuration: .init(maxRequestBytes: 1 << 20, idleTimeoutMs: 0), processor: DigestProcessor(),
            logger: Logger(label: "test"))
        defer { Task { await server.stopAccepting() } }
        let sizes = [0, 1, 17, 300, 70_000, 5, 250_000]
        // Piece sizes that cut size prefixes (1, 2, 3 bytes), headers and bodies, and span several frames.
        let cases: [(bodies: [Int], pieces: [Int])] = [
            ([0, 0, 3], [1]), ([0, 1, 17, 300], [2, 3]), (sizes, [3, 7, 100_000]), (sizes, [65_536]),
        ]
        for (bodies, pieces) in cases {
            var bytes: [UInt8] = []
            for (i, size) in bodies.enumerated() { bytes += frame(correlationId: Int32(i), bodyBytes: size) }
            let replies = try exchange(
                port: server.listeners[0].port, bytes: bytes, pieces: pieces, responses: bodies.count)
            #expect(replies.count == bodies.count)
            for (i, reply) in replies.enumerated() {
                let sent = Array(frame(correlationId: Int32(i), bodyBytes: bodies[i]).dropFirst(4))
                #expect(reply.0 == Int32(i) && Int(reply.1) == sent.count && reply.2 == digest(sent))
            }
        }
    }

    @Test func aRefusedSizeSplitAcrossReadsStillClosesTheConnection() async throws {
        let server = try await KafkaServer.start(
            listeners: [(name: "PLAINTEXT", host: "127.0.0.1", port: 0)], group: group,
            configuration: .init(maxRequestBytes: 64, idleTimeoutMs: 0), processor: DigestProcessor(),
            logger: Logger(label: "test"))
        defer { Task { await server.stopAccepting() } }
        // A good frame, then a 1 GB size prefix in two pieces: the connection closes (the exchange ends before the two
        // answers it asks for). Whether the good frame's answer is written before the close is a race, as in Kafka,
        // which drops a refused connection's pending responses.
        var bytes = frame(correlationId: 5, bodyBytes: 10)
        withUnsafeBytes(of: Int32(1_000_000_000).bigEndian) { bytes += $0 }
        let started = ContinuousClock.now
        let replies = try exchange(port: server.listeners[0].port, bytes: bytes, pieces: [20, 2, 2], responses: 2)
        #expect(ContinuousClock.now - started < .seconds(8), "closed by the server, not ended by the 10 s recv timeout")
        #expect(replies.count <= 1 && replies.allSatisfy { $0.0 == 5 })
    }
}
