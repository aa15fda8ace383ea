import Synchronization

#if FJORD_TSAN_LOCKS
    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Darwin)
        import Darwin
    #endif

    /// A pthread mutex with `Mutex`'s `withLock`, compiled in only for ThreadSanitizer runs
    /// (`-Xswiftc -DFJORD_TSAN_LOCKS`): on Linux, TSan cannot see `Synchronization.Mutex`'s futex-based locking
    /// and reports races on every value it guards, even in a two-line program; pthread locks are intercepted.
    final class LogLock<Value>: @unchecked Sendable {
        // @unchecked: `value` is only touched between pthread_mutex_lock and pthread_mutex_unlock.
        private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private var value: Value

        init(_ value: Value) {
            self.value = value
            mutex.initialize(to: pthread_mutex_t())
            pthread_mutex_init(mutex, nil)
        }

        deinit {
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
        }

        func withLock<Result, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return try body(&value)
        }
    }
#else
    /// The lock guarding the log's shared state: `Synchronization.Mutex` (see the `FJORD_TSAN_LOCKS` variant).
    typealias LogLock<Value> = Mutex<Value>
#endif
