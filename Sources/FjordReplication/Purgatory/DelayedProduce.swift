import FjordModel
import KafkaProtocol
import NIOCore
import Synchronization

/// An acks=all produce waiting until the high watermark of every partition it appended to reaches the end of its
/// append (Kafka's `DelayedProduce`), or until its timeout (REQUEST_TIMED_OUT for the partitions still waiting).
///
/// A partition whose leader moved away completes with NOT_LEADER_OR_FOLLOWER; one whose ISR shrank below
/// `min.insync.replicas` after the append completes with NOT_ENOUGH_REPLICAS_AFTER_APPEND once its HW gets there.
/// A broker that must assume its ZooKeeper session lost (`isFenced`) acknowledges nothing more: whatever is still
/// waiting completes with NOT_LEADER_OR_FOLLOWER (a successor may already lead; an idempotent retry there is
/// de-duplicated). The promise is completed exactly once, outside the operation's lock.
final class DelayedProduce: DelayedOperation {
    private struct State {
        /// Partition → the offset its HW must reach (last appended offset + 1).
        var waiting: [TopicPartition: Offset]
        var results: [TopicPartition: PartitionAppendResult]
        var completed = false
        var timeout: Scheduled<Void>?
    }

    private let state: Mutex<State>
    private let promise: EventLoopPromise<[TopicPartition: PartitionAppendResult]>
    private let partition: @Sendable (TopicPartition) -> Partition?
    private let isFenced: @Sendable () -> Bool

    init(
        waiting: [TopicPartition: Offset], results: [TopicPartition: PartitionAppendResult],
        promise: EventLoopPromise<[TopicPartition: PartitionAppendResult]>,
        isFenced: @escaping @Sendable () -> Bool = { false },
        partition: @escaping @Sendable (TopicPartition) -> Partition?
    ) {
        self.state = Mutex(State(waiting: waiting, results: results))
        self.promise = promise
        self.isFenced = isFenced
        self.partition = partition
    }

    /// Arms the timeout on `eventLoop`.
    func scheduleTimeout(on eventLoop: any EventLoop, afterMs timeoutMs: Int64) {
        let task = eventLoop.scheduleTask(in: .milliseconds(max(0, timeoutMs))) { [weak self] () -> Void in
            self?.expire()
        }
        let alreadyDone = state.withLock { state -> Bool in
            if state.completed { return true }
            state.timeout = task
            return false
        }
        if alreadyDone { task.cancel() }
    }

    var isCompleted: Bool { state.withLock { $0.completed } }

    func tryComplete() -> Bool {
        let fenced = isFenced()
        let finished = state.withLock { state -> [TopicPartition: PartitionAppendResult]? in
            guard !state.completed else { return nil }
            if fenced {
                for topicPartition in state.waiting.keys { state.results[topicPartition]?.fail(.notLeaderOrFollower) }
                state.waiting.removeAll()
                return finish(&state)
            }
            for (topicPartition, required) in state.waiting {
                let (done, error) =
                    partition(topicPartition)?.checkEnoughReplicasReachOffset(required) ?? (true, .notLeaderOrFollower)
                guard done else { continue }
                state.waiting[topicPartition] = nil
                if error != .noError { state.results[topicPartition]?.fail(error) }
            }
            guard state.waiting.isEmpty else { return nil }
            return finish(&state)
        }
        if let finished { promise.succeed(finished) }
        return isCompleted
    }

    func expire() {
        let finished = state.withLock { state -> [TopicPartition: PartitionAppendResult]? in
            guard !state.completed else { return nil }
            for topicPartition in state.waiting.keys { state.results[topicPartition]?.fail(.requestTimedOut) }
            state.waiting.removeAll()
            return finish(&state)
        }
        if let finished { promise.succeed(finished) }
    }

    private func finish(_ state: inout State) -> [TopicPartition: PartitionAppendResult] {
        state.completed = true
        state.timeout?.cancel()
        state.timeout = nil
        return state.results
    }
}
