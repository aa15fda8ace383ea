import FjordTestSupport
import Foundation
import Synchronization
import Testing
import ZooKeeper

/// The ZooKeeper server shared by this test target, and helpers to get an isolated client on it.
///
/// One server (``ZooKeeperServer/shared()``: started on first use, killed when the test process exits) serves every test that does not need a
/// server of its own; each test works under its own chroot, so tests run in parallel without seeing each other.
enum TestZooKeeper {
    static func server() async throws -> ZooKeeperServer {
        quietLibrary()
        return try await ZooKeeperServer.shared()
    }

    /// The C library's own messages would flood the test output while servers are down on purpose.
    static func quietLibrary() {
        ZooKeeperLibraryLogging.setLevel(.off)
    }

    /// A fresh, empty chroot path on `server`.
    static func makeChroot(on server: ZooKeeperServer, prefix: String = "test") async throws -> String {
        let chroot = "/\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        try await ZooKeeperClient.ensureChroot(connectString: server.connectString(chroot: chroot))
        return chroot
    }

    /// Runs `body` with a client connected to the shared server under a fresh chroot; closes it afterwards.
    static func withClient<Result>(
        sessionTimeout: Duration = .seconds(4), _ body: (ZooKeeperClient, String) async throws -> Result
    ) async throws -> Result {
        let server = try await server()
        let chroot = try await makeChroot(on: server)
        let client = try await ZooKeeperClient.connect(
            connectString: server.connectString(chroot: chroot), sessionTimeout: sessionTimeout)
        do {
            let result = try await body(client, chroot)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}

/// Collects what an async sequence produces, on a background task, so tests can poll for it with `waitUntil`.
final class Recorder<Element: Sendable>: Sendable {
    private struct State {
        var elements: [Element] = []
        var finished = false
        var error: (any Error)?
    }

    private let state = Mutex(State())
    private let task = Mutex<Task<Void, Never>?>(nil)

    init<Sequence: AsyncSequence & Sendable>(_ sequence: Sequence) where Sequence.Element == Element {
        let started = Task { [self] in
            do {
                for try await element in sequence { self.state.withLock { $0.elements.append(element) } }
                self.state.withLock { $0.finished = true }
            } catch {
                self.state.withLock {
                    $0.finished = true
                    $0.error = error
                }
            }
        }
        task.withLock { $0 = started }
    }

    var elements: [Element] { state.withLock { $0.elements } }
    var isFinished: Bool { state.withLock { $0.finished } }
    var error: (any Error)? { state.withLock { $0.error } }

    /// Waits until at least `count` elements arrived and returns them.
    @discardableResult
    func waitForCount(_ count: Int, timeout: Duration = .seconds(5)) async throws -> [Element] {
        try await waitUntil("\(count) elements (have \(elements.count))", timeout: timeout) { elements.count >= count }
        return elements
    }

    func waitForFinish(timeout: Duration = .seconds(5)) async throws {
        try await waitUntil("the sequence to finish", timeout: timeout) { isFinished }
    }
}

/// A thread-safe counter for tests.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// UTF-8 bytes of `string`.
func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

/// Runs `body` and returns the `ZooKeeperError` it throws (failing the test if it throws nothing or another error).
func zooKeeperError(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> ZooKeeperError? {
    do {
        try await body()
        Issue.record("expected a ZooKeeperError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as ZooKeeperError {
        return error
    } catch {
        Issue.record("expected a ZooKeeperError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
