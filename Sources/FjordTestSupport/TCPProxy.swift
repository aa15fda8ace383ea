import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A loopback TCP proxy that a test can stall, to simulate a network partition between a client and a server
/// without touching either process.
///
/// Clients connect to ``port``; each connection is forwarded to 127.0.0.1:`targetPort`. ``pause()`` stops moving
/// bytes in both directions (connections stay open, new ones are accepted and connected upstream but not served;
/// the kernel buffers what the peers send), ``resume()`` lets everything through again, ``dropConnections()``
/// closes every proxied connection (both sides see the connection end). Use it, for example, to make a ZooKeeper
/// session expire deterministically: pause longer than the session timeout, then resume.
///
/// One thread accepts, one thread per connection pumps both directions; they notice ``stop()`` within ~50 ms.
public final class TCPProxy: Sendable {
    /// The port clients connect to.
    public let port: UInt16
    /// The port connections are forwarded to.
    public let targetPort: UInt16

    private struct State {
        var paused = false
        var stopped = false
        var nextConnectionID = 0
        /// Open connections: client socket and upstream socket. Only the pump thread closes them.
        var connections: [Int: (client: Int32, upstream: Int32)] = [:]
    }

    private let state = Mutex(State())
    private let threads = DispatchGroup()
    private let listener: Int32

    /// Starts listening on a free loopback port.
    public init(targetPort: UInt16) throws {
        self.targetPort = targetPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError(call: "socket", errno: errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = loopbackAddress(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            let error = SystemCallError(call: "bind/listen", errno: errno)
            close(fd)
            throw error
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        startThread(name: "tcp-proxy-accept-\(port)") { [self] in acceptLoop() }
    }

    /// Stops forwarding in both directions until ``resume()``.
    public func pause() { state.withLock { $0.paused = true } }

    /// Forwards again, including whatever was buffered while paused.
    public func resume() { state.withLock { $0.paused = false } }

    public var isPaused: Bool { state.withLock { $0.paused } }

    /// The number of proxied connections currently open.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Closes every proxied connection (new ones are still accepted).
    public func dropConnections() {
        state.withLock { state in
            for (client, upstream) in state.connections.values {
                shutdown(client, Int32(SHUT_RDWR))
                shutdown(upstream, Int32(SHUT_RDWR))
            }
        }
    }

    /// Closes everything and waits (up to 2 s) for the proxy's threads to end. Idempotent.
    public func stop() {
        state.withLock { $0.stopped = true }
        dropConnections()
        _ = threads.wait(timeout: .now() + 2)
    }

    deinit {
        stop()
    }

    private func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
        threads.enter()
        let thread = Thread { [threads] in
            body()
            threads.leave()
        }
        thread.name = name
        thread.start()
    }

    private func acceptLoop() {
        defer { close(listener) }
        while !state.withLock({ $0.stopped }) {
            var pollDescriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&pollDescriptor, 1, 50) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            guard let upstream = try? connectLoopback(port: targetPort) else {
                close(client)
                continue
            }
            for fd in [client, upstream] { setTimeouts(fd, .milliseconds(100)) }
            let id: Int? = state.withLock { state in
                guard !state.stopped else { return nil }
                let id = state.nextConnectionID
                state.nextConnectionID += 1
                state.connections[id] = (client, upstream)
                return id
            }
            guard let id else {
                close(client)
                close(upstream)
                return
            }
            startThread(name: "tcp-proxy-\(port)-\(id)") { [self] in pump(id: id, client: client, upstream: upstream) }
        }
    }

    /// Moves bytes both ways until either side closes or the proxy stops; then closes both sockets.
    private func pump(id: Int, client: Int32, upstream: Int32) {
        defer {
            state.withLock { _ = $0.connections.removeValue(forKey: id) }
            close(client)
            close(upstream)
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let (paused, stopped) = state.withLock { ($0.paused, $0.stopped) }
            if stopped { return }
            if paused {
                // Not even polling the sockets: a peer that hung up would make poll return at once, forever.
                _ = poll(nil, 0, 20)
                continue
            }
            var descriptors = [
                pollfd(fd: client, events: Int16(POLLIN), revents: 0),
                pollfd(fd: upstream, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&descriptors, 2, 20) > 0 else { continue }
            for (index, descriptor) in descriptors.enumerated() where descriptor.revents != 0 {
                let (from, to) = index == 0 ? (client, upstream) : (upstream, client)
                guard forward(from: from, to: to, buffer: &buffer) else { return }
            }
        }
    }

    /// Copies what is readable on `from` to `to`; false when the connection is over.
    private func forward(from: Int32, to: Int32, buffer: inout [UInt8]) -> Bool {
        let count = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return true }
        guard count > 0 else { return false }
        var sent = 0
        while sent < count {
            let written = buffer.withUnsafeBytes {
                send(to, $0.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                sent += written
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                if state.withLock({ $0.stopped }) { return false }
            } else {
                return false
            }
        }
        return true
    }
}
