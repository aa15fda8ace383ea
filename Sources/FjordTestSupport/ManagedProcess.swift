import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a child process ended.
public enum ExitStatus: Hashable, Sendable, CustomStringConvertible {
    case exited(code: Int32)
    case signaled(signal: Int32)

    public var description: String {
        switch self {
        case .exited(let code): "exited with code \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}

/// A child process started by a test (a ZooKeeper server, a broker…), stopped by pid.
///
/// Guarantees against leftover processes:
/// - the child runs under `setpriv --pdeathsig KILL` (when `/usr/bin/setpriv` exists and `dieWithParent` is
///   true), spawned from a thread that lives as long as the test process (``ProcessSpawner``): the kernel kills it
///   when the test process dies, however it dies (crash, `SIGKILL`, timeout of the runner);
/// - every child still running at normal exit is sent `SIGKILL` by an `atexit` handler;
/// - tests should still stop their processes in their own teardown (``terminate(gracePeriod:)``).
///
/// Each child gets its own process group; signals go to the whole group, so helpers it starts are included.
/// The child is reaped by this object only (`waitpid` on its pid), under a lock, so a pid is never signalled after
/// it was reaped and possibly reused.
public final class ManagedProcess: Sendable {
    /// The process id (and process group id).
    public let pid: pid_t
    /// The command line as started (without the `setpriv` prefix).
    public let arguments: [String]
    /// Where stdout and stderr go, if anywhere.
    public let logPath: String?

    private let exitStatus = Mutex<ExitStatus?>(nil)

    private static let live = Mutex<Set<pid_t>>([])

    private init(pid: pid_t, arguments: [String], logPath: String?) {
        self.pid = pid
        self.arguments = arguments
        self.logPath = logPath
    }

    /// Starts `arguments[0]` (an absolute path or a name searched in PATH) with the rest as its arguments.
    ///
    /// - Parameters:
    ///   - environment: the complete environment, or nil to inherit this process's.
    ///   - logPath: file that receives stdout and stderr (appended); nil discards them.
    ///   - dieWithParent: run under `setpriv --pdeathsig KILL` so the child cannot outlive the test process.
    public static func spawn(
        _ arguments: [String], environment: [String: String]? = nil, logPath: String? = nil,
        dieWithParent: Bool = true
    ) throws -> ManagedProcess {
        precondition(!arguments.isEmpty, "spawn needs at least the executable")
        ExitCleanup.install()
        let setpriv = "/usr/bin/setpriv"
        let argv =
            dieWithParent && FileManager.default.isExecutableFile(atPath: setpriv)
            ? [setpriv, "--pdeathsig", "KILL", "--"] + arguments : arguments
        let pid = try ProcessSpawner.shared.run {
            let pid = try PosixSpawn.spawn(argv: argv, environment: environment, logPath: logPath)
            ManagedProcess.live.withLock { _ = $0.insert(pid) }
            return pid
        }
        return ManagedProcess(pid: pid, arguments: arguments, logPath: logPath)
    }

    /// Sends `signal` to the child's process group; does nothing once it has exited.
    public func signal(_ signal: Int32) {
        exitStatus.withLock { status in
            guard status == nil else { return }
            sendSignal(toGroup: pid, signal)
        }
    }

    /// The exit status if the child has exited (reaping it), nil while it runs.
    public func poll() -> ExitStatus? {
        let status: ExitStatus? = exitStatus.withLock { status in
            if status == nil { status = Self.reap(pid) }
            return status
        }
        if status != nil { Self.live.withLock { _ = $0.remove(pid) } }
        return status
    }

    /// True while the child has not exited (a stopped child is running).
    public var isRunning: Bool { poll() == nil }

    /// Waits until the child exits, polling every 10 ms. Throws ``WaitTimeoutError`` after `timeout`.
    @discardableResult
    public func waitForExit(timeout: Duration) async throws -> ExitStatus {
        var result: ExitStatus?
        try await waitUntil(
            "\(arguments.first ?? "process") pid \(pid) to exit", timeout: timeout,
            pollInterval: .milliseconds(10)
        ) {
            result = poll()
            return result != nil
        }
        return result!
    }

    /// Freezes the child (`SIGSTOP` to its group) and returns once every thread of it is stopped: signal delivery
    /// is asynchronous, and a busy machine can leave a multi-threaded child (a JVM) running for a while.
    public func suspend(timeout: Duration = .seconds(10)) async throws {
        signal(SIGSTOP)
        try await waitUntil("pid \(pid) to stop", timeout: timeout, pollInterval: .milliseconds(5)) {
            poll() != nil || threadStates().allSatisfy { $0 == "T" }
        }
    }

    /// Unfreezes the child (`SIGCONT`) and returns once none of its threads is stopped any more.
    public func resume(timeout: Duration = .seconds(10)) async throws {
        signal(SIGCONT)
        try await waitUntil("pid \(pid) to continue", timeout: timeout, pollInterval: .milliseconds(5)) {
            poll() != nil || !threadStates().contains("T")
        }
    }

    /// The scheduler state letter of each thread (`R`, `S`, `T`…) from `/proc/<pid>/task/*/stat` (Linux).
    func threadStates() -> [Character] {
        let taskDirectory = "/proc/\(pid)/task"
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: taskDirectory)) ?? []
        return threads.compactMap { thread in
            guard let stat = try? String(contentsOfFile: "\(taskDirectory)/\(thread)/stat", encoding: .utf8),
                let closing = stat.lastIndex(of: ")")
            else { return nil }
            // "pid (comm) S …": the state follows the command name, which may itself contain ") ".
            return stat[stat.index(after: closing)...].first { $0 != " " }
        }
    }

    /// Stops the child: `SIGCONT` (in case it is stopped) and `SIGTERM`, then `SIGKILL` if it is still running
    /// after `gracePeriod`; returns once it has exited.
    @discardableResult
    public func terminate(gracePeriod: Duration = .seconds(10)) async -> ExitStatus {
        signal(SIGCONT)
        signal(SIGTERM)
        if let status = try? await waitForExit(timeout: gracePeriod) { return status }
        return await kill()
    }

    /// Sends `SIGKILL` and returns once the child has exited.
    @discardableResult
    public func kill() async -> ExitStatus {
        signal(SIGKILL)
        // A killed process exits at once; the bound only guards against an unkillable (D-state) child.
        return (try? await waitForExit(timeout: .seconds(30))) ?? .signaled(signal: SIGKILL)
    }

    /// The last `maxBytes` of the log file, for failure messages.
    public func logTail(maxBytes: Int = 4000) -> String {
        guard let logPath, let data = FileManager.default.contents(atPath: logPath) else { return "" }
        return String(decoding: data.suffix(maxBytes), as: UTF8.self)
    }

    /// Sends `SIGKILL` to every child still running (the exit handler).
    static func killAllLive() {
        for pid in live.withLock({ $0 }) { sendSignal(toGroup: pid, SIGKILL) }
    }

    private static func reap(_ pid: pid_t) -> ExitStatus? {
        var status: Int32 = 0
        let rc = waitpid(pid, &status, WNOHANG)
        guard rc == pid else {
            // -1 (ECHILD): already reaped elsewhere; report it as gone rather than running forever.
            return rc == -1 ? .exited(code: -1) : nil
        }
        let low = status & 0x7f
        return low == 0 ? .exited(code: (status >> 8) & 0xff) : .signaled(signal: low)
    }
}

/// `kill(-group, signal)`; a free function because `ManagedProcess.kill()` shadows the C function inside the class.
private func sendSignal(toGroup group: pid_t, _ signal: Int32) {
    _ = kill(-group, signal)
}
