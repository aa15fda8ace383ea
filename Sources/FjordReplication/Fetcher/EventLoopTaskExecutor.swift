import NIOCore

/// A `TaskExecutor` that runs jobs on one NIO ``EventLoop``, so a task started with it as its executor preference
/// (a replica fetcher's loop) runs its nonisolated code on the event loop of its connection instead of the
/// cooperative pool: awaiting a future of that loop resumes on the same thread, with no wakeup of another thread.
///
/// Invariants: every job enqueued runs on `eventLoop`, in enqueue order, synchronously and only once. A job enqueued
/// after the loop shut down is dropped by NIO (the task never resumes), so the loop must outlive every task that
/// prefers it: the broker and the tests shut the ``ReplicaManager`` down before its event loop group.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
