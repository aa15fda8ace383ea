import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Spawns processes from one dedicated thread that lives as long as the test process.
///
/// Why a dedicated thread: Linux delivers a child's parent-death signal (`PR_SET_PDEATHSIG`, set by
/// `setpriv --pdeathsig`) when the *thread* that created the child exits, not the process. Swift's cooperative
/// pool and Dispatch retire idle threads, so a server spawned from one of them could be killed in the middle of a
/// test. Spawning from a thread that never exits ties the child's life to the process's.
final class ProcessSpawner: @unchecked Sendable {
    // @unchecked: `requests` is only touched under `condition`'s lock.
    static let shared = ProcessSpawner()

    private let condition = NSCondition()
    private var requests: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [unowned self] in self.serve() }
        thread.name = "fjord-process-spawner"
        thread.start()
    }

    /// Runs `body` on the spawner thread and waits for its result (spawning takes about a millisecond).
    func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) throws -> Result {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<Result>()
        condition.lock()
        requests.append {
            box.set(Swift.Result { try body() })
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        return try box.get()
    }

    private func serve() -> Never {
        while true {
            condition.lock()
            while requests.isEmpty { condition.wait() }
            let request = requests.removeFirst()
            condition.unlock()
            request()
        }
    }
}

/// Hands a result from the spawner thread to the waiting caller (the semaphore orders the accesses).
private final class ResultBox<Value: Sendable>: @unchecked Sendable {
    // @unchecked: written once before `DispatchSemaphore.signal`, read after `wait`.
    private var result: Result<Value, any Error>?

    func set(_ result: Result<Value, any Error>) { self.result = result }

    func get() throws -> Value {
        guard let result else { preconditionFailure("spawner finished without a result") }
        return try result.get()
    }
}

/// Makes the child close every descriptor from 3 up: SwiftNIO opens sockets without `FD_CLOEXEC`, and a child (a
/// ZooKeeper server) holding a copy of a test's socket keeps its port listening after the test closed it, or keeps a
/// connection open after the test's server closed its end. glibc 2.34+ has the file action; Swift's Glibc module does
/// not declare it, so it is looked up at run time (where it is missing, children inherit as before).
private func closeInheritedDescriptors(_ fileActions: inout posix_spawn_file_actions_t) {
    #if canImport(Glibc)
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&fileActions, 3)
    #endif
}

/// A `posix_spawn` failure.
public struct SpawnError: Error, CustomStringConvertible {
    public var executable: String
    public var errno: Int32
    public var description: String { "cannot spawn \(executable): \(String(cString: strerror(errno)))" }
}

enum PosixSpawn {
    /// Spawns `argv[0]` (searched in PATH) in a new process group, with stdin from /dev/null and stdout and stderr
    /// appended to `logPath` (or /dev/null), an empty signal mask and default dispositions for the usual signals.
    static func spawn(argv: [String], environment: [String: String]?, logPath: String?) throws -> pid_t {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, logPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)
        closeInheritedDescriptors(&fileActions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        let flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let environmentLines =
            environment.map { $0.map { "\($0.key)=\($0.value)" } }
            ?? ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environmentLines.map { strdup($0) } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &fileActions, &attributes, cArguments, cEnvironment)
        guard rc == 0 else { throw SpawnError(executable: argv[0], errno: rc) }
        return pid
    }
}
