import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real standalone ZooKeeper server for tests: Debian's `zookeeper` package run by `java`, in a temporary
/// directory, on a free loopback port.
///
/// The directory holds `zoo.cfg`, `log4j.properties`, `data/` and `server.log` (the server's output). It survives
/// ``stop()`` and ``kill()`` so ``restart()`` brings the same server back (same port, same data, sessions that
/// have not yet timed out survive); ``removeDirectory()`` deletes it. The process is a ``ManagedProcess``, so it
/// dies with the test process even if the test never stops it.
///
/// A small `tickTime` (200 ms by default) lets sessions time out in well under a second
/// (`minSessionTimeout` = 2 × tick); `maxSessionTimeout` defaults to 30 s.
public final class ZooKeeperServer: Sendable {
    public struct Configuration: Sendable {
        public var tickTimeMs = 200
        /// Defaults to 2 × `tickTimeMs`.
        public var minSessionTimeoutMs: Int?
        public var maxSessionTimeoutMs = 30_000
        /// Whether the server fsyncs its transaction log before answering writes (ZooKeeper's default: yes).
        public var forceSync = true
        public var heapMegabytes = 256
        /// How long ``start(_:)`` and ``restart()`` wait for the server to serve.
        public var startTimeout: Duration = .seconds(30)
        /// Extra `zoo.cfg` lines (`key=value`).
        public var extraConfiguration: [String: String] = [:]
        public var javaPath = "/usr/bin/java"
        public var classPath = [
            "/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar",
        ]

        public init() {}
    }

    /// The server did not come up.
    public struct StartError: Error, CustomStringConvertible {
        public var reason: String
        public var logTail: String
        public var description: String { "ZooKeeper did not start: \(reason)\n--- server.log (tail) ---\n\(logTail)" }
    }

    public let port: UInt16
    /// The server's directory (configuration, data, log).
    public let directory: String
    public let configuration: Configuration
    private let process = Mutex<ManagedProcess?>(nil)

    /// `127.0.0.1:<port>`.
    public var connectString: String { "127.0.0.1:\(port)" }

    /// `127.0.0.1:<port><chroot>`, e.g. `connectString(chroot: "/fjord")`.
    public func connectString(chroot: String) -> String { connectString + chroot }

    /// The server's pid while it runs.
    public var pid: pid_t? { process.withLock { $0?.isRunning == true ? $0?.pid : nil } }

    public var logPath: String { directory + "/server.log" }

    private init(port: UInt16, directory: String, configuration: Configuration) {
        self.port = port
        self.directory = directory
        self.configuration = configuration
    }

    /// Writes the configuration into a new temporary directory, starts the server and waits until it serves
    /// (``isServing(timeout:)``).
    public static func start(_ configuration: Configuration = Configuration()) async throws -> ZooKeeperServer {
        let directory = try makeTemporaryDirectory(prefix: "fjord-zookeeper")
        let server = ZooKeeperServer(port: try freePort(), directory: directory, configuration: configuration)
        try server.writeConfiguration()
        do {
            try await server.launch()
        } catch {
            server.removeDirectory()
            throw error
        }
        return server
    }

    private static let sharedServer = Mutex<Task<ZooKeeperServer, any Error>?>(nil)

    /// One server shared by every test of the process, started (with the default configuration) on first use and
    /// killed, its directory deleted, when the process exits. Tests sharing it should each work under their own
    /// chroot or path prefix, and must not stop, restart or pause it (use ``start(_:)`` or ``withServer(_:_:)``).
    /// If starting fails, the error is returned to every caller.
    public static func shared() async throws -> ZooKeeperServer {
        let task = sharedServer.withLock { task in
            if let task { return task }
            let started = Task {
                let server = try await ZooKeeperServer.start()
                ExitCleanup.removeAtExit(server.directory)
                return server
            }
            task = started
            return started
        }
        return try await task.value
    }

    /// Starts a server, runs `body`, then stops the server and removes its directory, even if `body` throws.
    public static func withServer<Result>(
        _ configuration: Configuration = Configuration(), _ body: (ZooKeeperServer) async throws -> Result
    ) async throws -> Result {
        let server = try await start(configuration)
        do {
            let result = try await body(server)
            await server.stop()
            server.removeDirectory()
            return result
        } catch {
            await server.stop()
            server.removeDirectory()
            throw error
        }
    }

    /// Stops the server: `SIGTERM`, then `SIGKILL` after `gracePeriod`; returns once it has exited.
    /// Does nothing if it is not running.
    public func stop(gracePeriod: Duration = .seconds(10)) async {
        guard let process = takeProcess() else { return }
        await process.terminate(gracePeriod: gracePeriod)
    }

    /// Kills the server with `SIGKILL` (a crash: nothing is flushed beyond what was fsynced) and waits for exit.
    public func kill() async {
        guard let process = takeProcess() else { return }
        await process.kill()
    }

    /// Starts the server again on the same port with the same data, after ``stop()`` or ``kill()``; stops it
    /// first if it is running. Waits until it serves.
    public func restart() async throws {
        await stop()
        try await launch()
    }

    /// Freezes the server process (`SIGSTOP`) and returns once it is stopped: connections stay open, the kernel
    /// still accepts new ones, but nothing is answered.
    public func pause() async throws {
        try await process.withLock { $0 }?.suspend()
    }

    /// Unfreezes the server (`SIGCONT`) and returns once it runs again.
    public func resume() async throws {
        try await process.withLock { $0 }?.resume()
    }

    /// Sends a four-letter word (`ruok`, `srvr`, `stat`, `mntr`) and returns the answer, nil if none.
    /// Blocks the calling thread for at most about `timeout`.
    public func fourLetterWord(_ word: String, timeout: Duration = .seconds(2)) -> String? {
        tcpRequest(port: port, word, timeout: timeout)
    }

    /// True if the server answers `ruok` with `imok` *and* `srvr` with its mode. `imok` alone only means the
    /// process runs: right after start it answers `imok` while `srvr` still says "not currently serving requests"
    /// and clients cannot connect yet.
    public func isServing(timeout: Duration = .seconds(2)) -> Bool {
        guard fourLetterWord("ruok", timeout: timeout) == "imok" else { return false }
        return fourLetterWord("srvr", timeout: timeout)?.contains("Mode: ") == true
    }

    /// Deletes the server's directory (stop it first).
    public func removeDirectory() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func takeProcess() -> ManagedProcess? {
        process.withLock { process in
            defer { process = nil }
            return process
        }
    }

    private func launch() async throws {
        let java = configuration
        let arguments =
            [
                java.javaPath, "-Xmx\(java.heapMegabytes)m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dlog4j.configuration=file:\(directory)/log4j.properties",
                "-Dzookeeper.snapshot.trust.empty=true", "-Dzookeeper.jmx.log4j.disable=true",
                "-cp", ([directory] + java.classPath).joined(separator: ":"),
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", "\(directory)/zoo.cfg",
            ]
        let started = try ManagedProcess.spawn(arguments, logPath: logPath)
        process.withLock { $0 = started }
        do {
            try await waitUntil(
                "ZooKeeper on port \(port) to serve", timeout: configuration.startTimeout,
                pollInterval: .milliseconds(50)
            ) {
                if let status = started.poll() {
                    throw StartError(reason: "java \(status)", logTail: started.logTail())
                }
                return isServing(timeout: .milliseconds(500))
            }
        } catch let error as WaitTimeoutError {
            await stop()
            throw StartError(reason: error.description, logTail: started.logTail())
        }
    }

    private func writeConfiguration() throws {
        let tick = configuration.tickTimeMs
        var lines = [
            "tickTime=\(tick)",
            "initLimit=10",
            "syncLimit=5",
            "dataDir=\(directory)/data",
            "clientPort=\(port)",
            "clientPortAddress=127.0.0.1",
            "maxClientCnxns=0",
            "admin.enableServer=false",
            "4lw.commands.whitelist=ruok,srvr,stat,mntr",
            "minSessionTimeout=\(configuration.minSessionTimeoutMs ?? 2 * tick)",
            "maxSessionTimeout=\(configuration.maxSessionTimeoutMs)",
            "forceSync=\(configuration.forceSync ? "yes" : "no")",
            "preAllocSize=1024",
        ]
        lines += configuration.extraConfiguration.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: "\(directory)/zoo.cfg", atomically: true, encoding: .utf8)
        let log4j = """
            log4j.rootLogger=INFO, CONSOLE
            log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
            log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
            log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} %-5p [%t] %c{1}: %m%n

            """
        try log4j.write(toFile: "\(directory)/log4j.properties", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(directory)/data", withIntermediateDirectories: true)
    }
}

/// Creates a new, empty, private directory under the system's temporary directory.
public func makeTemporaryDirectory(prefix: String) throws -> String {
    var template = Array((NSTemporaryDirectory() + "/\(prefix)-XXXXXX").utf8CString)
    let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    guard created != nil else { throw SystemCallError(call: "mkdtemp", errno: errno) }
    return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
