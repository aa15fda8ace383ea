import FjordModel
import Synchronization

/// An operation waiting for a condition on some partitions (an acks=all produce waiting for the high watermark, a
/// fetch waiting for data), completed exactly once: by ``tryComplete()`` when the condition holds, or by
/// ``expire()`` at its deadline (Kafka's `DelayedOperation`).
protocol DelayedOperation: AnyObject, Sendable {
    /// Completes the operation if its condition holds now; returns whether it is (now or already) completed.
    /// Takes partition locks: never call it while holding one.
    func tryComplete() -> Bool
    /// Completes the operation with whatever it has (timeout); a no-op if already completed.
    func expire()
    var isCompleted: Bool { get }
}

/// Delayed operations watched by partition (Kafka's `DelayedOperationPurgatory`): an event on a partition (the
/// high watermark or log end offset moved, the leader changed) calls ``checkAndComplete(_:)`` for it.
///
/// Concurrency: the watch lists sit behind one `Mutex`, held only to copy or edit lists, never while an operation
/// runs. An operation is added to its watch lists and then tried once more, so an event between its first try and
/// its registration is not missed. Completed operations are dropped from a list when the list is next checked, or
/// when it grows past ``purgeThreshold``.
final class Purgatory<Operation: DelayedOperation>: Sendable {
    private let watchers = Mutex<[TopicPartition: [Operation]]>([:])
    let purgeThreshold = 256

    /// Tries `operation`; if it cannot complete now, watches it under `keys` and tries once more. Returns whether it
    /// completed.
    @discardableResult
    func tryCompleteElseWatch(_ operation: Operation, keys: [TopicPartition]) -> Bool {
        if operation.tryComplete() { return true }
        watchers.withLock { watchers in
            for key in keys {
                var list = watchers[key, default: []]
                if list.count >= purgeThreshold { list.removeAll { $0.isCompleted } }
                list.append(operation)
                watchers[key] = list
            }
        }
        return operation.tryComplete()
    }

    /// Tries every operation watching `key`; returns how many completed now.
    @discardableResult
    func checkAndComplete(_ key: TopicPartition) -> Int {
        let operations = watchers.withLock { $0[key] ?? [] }
        guard !operations.isEmpty else { return 0 }
        var completed = 0
        for operation in operations where !operation.isCompleted {
            if operation.tryComplete() { completed += 1 }
        }
        watchers.withLock { watchers in
            guard var list = watchers[key] else { return }
            list.removeAll { $0.isCompleted }
            watchers[key] = list.isEmpty ? nil : list
        }
        return completed
    }

    /// Operations still watched (completed ones included until purged), for metrics and tests.
    var watchedCount: Int { watchers.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// Drops completed operations from every list.
    func purgeCompleted() {
        watchers.withLock { watchers in
            for (key, list) in watchers {
                let remaining = list.filter { !$0.isCompleted }
                watchers[key] = remaining.isEmpty ? nil : remaining
            }
        }
    }

    /// Expires every watched operation (shutdown).
    func expireAll() {
        let all = watchers.withLock { watchers -> [Operation] in
            defer { watchers.removeAll() }
            return watchers.values.flatMap { $0 }
        }
        for operation in all { operation.expire() }
    }
}
