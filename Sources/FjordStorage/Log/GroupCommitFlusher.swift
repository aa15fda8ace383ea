import FjordModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Group commit: makes appends durable with as few `fdatasync`s as possible, on threads of its own (never an event
/// loop, never Swift's cooperative pool).
///
/// Callers register a waiter — a log, an offset, a completion — after their append. Per log, at most one sync runs
/// at a time; every waiter that registers while it runs is covered by the next one, which syncs up to the log end
/// offset of its start, so one `fdatasync` acknowledges everything that arrived during the previous one. Different
/// logs sync in parallel on up to `threads` threads.
///
/// Invariants (under `lock`): a log has an entry in `queues` exactly while it is queued in `runnable` or being
/// synced by a worker; waiters of a log are completed in the order their syncs finish, each exactly once. The
/// flusher holds a log only while it has waiters.
public final class GroupCommitFlusher: @unchecked Sendable {
    // @unchecked: every stored property below is guarded by `lock`/`condition` (pthread primitives, so workers can
    // sleep on the condition), except `threads`, which is immutable.

    /// The process-wide flusher, started on first use with four threads.
    public static let shared = GroupCommitFlusher(threads: 4)

    private struct Waiter {
        var offset: Offset
        var completion: @Sendable (Result<Void, LogError>) -> Void
    }

    private struct LogQueue {
        var log: PartitionLog
        var waiters: [Waiter]
    }

    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queues: [ObjectIdentifier: LogQueue] = [:]
    private var runnable: [ObjectIdentifier] = []
    private var runnableHead = 0
    private var started = false
    private let threads: Int
    /// Syncs done so far (for tests and benchmarks: how many appends shared each one).
    private var syncCount = 0

    public init(threads: Int) {
        precondition(threads > 0, "a flusher needs at least one thread")
        self.threads = threads
        lock.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        pthread_mutex_init(lock, nil)
        pthread_cond_init(condition, nil)
    }

    /// Number of data syncs run so far.
    public var syncsCompleted: Int { withLock { syncCount } }

    func enqueue(
        _ log: PartitionLog, upTo offset: Offset, _ completion: @escaping @Sendable (Result<Void, LogError>) -> Void
    ) {
        if log.durableOffset >= offset {
            completion(.success(()))
            return
        }
        let id = ObjectIdentifier(log)
        withLock {
            startIfNeeded()
            if queues[id] != nil {
                queues[id]!.waiters.append(Waiter(offset: offset, completion: completion))
            } else {
                queues[id] = LogQueue(log: log, waiters: [Waiter(offset: offset, completion: completion)])
                runnable.append(id)
                pthread_cond_signal(condition)
            }
        }
    }

    private func withLock<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return body()
    }

    /// Lock held.
    private func startIfNeeded() {
        guard !started else { return }
        started = true
        for _ in 0..<threads {
            let box = Unmanaged.passRetained(WorkerBox(self))
            var thread = pthread_t()
            let rc = pthread_create(
                &thread, nil,
                { raw in
                    guard let raw else { return nil }
                    let box = Unmanaged<WorkerBox>.fromOpaque(raw).takeRetainedValue()
                    box.flusher.runWorker()
                    return nil
                }, box.toOpaque())
            precondition(rc == 0, "could not start a group commit thread (error \(rc))")
            pthread_detach(thread)
        }
    }

    /// A worker: takes a log, syncs it for the waiters it has, completes them, requeues the log if more arrived.
    private func runWorker() {
        pthread_mutex_lock(lock)
        while true {
            while runnableHead == runnable.count { pthread_cond_wait(condition, lock) }
            let id = runnable[runnableHead]
            runnableHead += 1
            if runnableHead > 1024 && runnableHead * 2 > runnable.count {
                runnable.removeFirst(runnableHead)
                runnableHead = 0
            }
            guard let queue = queues[id] else { continue }
            queues[id]!.waiters = []
            pthread_mutex_unlock(lock)

            let result = Result { () throws(LogError) -> Offset in try queue.log.syncData() }
            let logEnd = queue.log.logEndOffset
            var retry: [Waiter] = []
            for waiter in queue.waiters {
                switch result {
                case .success(let durable) where waiter.offset <= durable:
                    waiter.completion(.success(()))
                case .success where waiter.offset > logEnd:
                    waiter.completion(
                        .failure(
                            LogError(
                                .storage,
                                "\(queue.log.topicPartition): truncated below \(waiter.offset) before it was synced")))
                case .success:
                    retry.append(waiter)  // a truncation raced the sync: the next sync covers it
                case .failure(let error):
                    waiter.completion(.failure(error))
                }
            }

            pthread_mutex_lock(lock)
            syncCount += 1
            queues[id]!.waiters = retry + queues[id]!.waiters
            if queues[id]!.waiters.isEmpty {
                queues[id] = nil
            } else {
                runnable.append(id)
            }
        }
    }
}

/// Carries the flusher into a new thread.
private final class WorkerBox {
    let flusher: GroupCommitFlusher
    init(_ flusher: GroupCommitFlusher) { self.flusher = flusher }
}
