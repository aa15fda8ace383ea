import FjordModel
import FjordNetwork
import FjordStorage
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The broker's replication subsystem: hosts the partitions assigned to this broker, leads or follows each as the
/// controller's LeaderAndIsr requests say, serves produce and consumer fetch on leaders, serves and runs Fjord's
/// replica fetch protocol, keeps the ISR and high watermark, and holds acks=all produces and long-poll fetches in
/// purgatories until they can be answered (Kafka's `ReplicaManager`).
///
/// Concurrency and ownership:
/// - `partitions` (a `Mutex`) maps partitions to their ``Partition`` shells; each shell guards its own state.
/// - Control requests (LeaderAndIsr, StopReplica) are serialized by `controlLock` and may block (log creation,
///   checkpoint writes): the broker runs them off its event loops.
/// - Produce and fetch run on the calling event loop: a produce appends (page cache) under the partition's lock;
///   fetches read without locks. Futures complete on the event loop the caller named.
/// - Events that may complete delayed operations (HW or LEO moved, leadership changed) are signalled after the
///   partition lock is released: lock order is delayed operation → partition.
/// - Blocking background work (HW checkpoints, flushes, follower truncation) runs on `blockingPool`; AlterPartition
///   exchanges are Swift tasks doing network I/O only; replica fetchers are Swift tasks that run on the event loop
///   of their connection (a ``ReplicaFetcher``'s executor preference) and append there, as produce does.
public final class ReplicaManager: Sendable {
    public let config: ReplicaManagerConfig
    let logManager: LogManager
    let eventLoopGroup: any EventLoopGroup
    let endpoints: any BrokerEndpointResolver
    let brokerEpoch: @Sendable () -> BrokerEpoch
    let topicConfig: @Sendable (TopicName) -> LogConfig
    let minInsyncReplicas: @Sendable (TopicName) -> Int
    let isFenced: @Sendable () -> Bool
    let observer: ReplicationObserver
    let logger: Logger

    let partitions = Mutex<[TopicPartition: Partition]>([:])
    let topicIDs = Mutex<[TopicName: KafkaUUID]>([:])
    let controlLock = Mutex(())
    let producePurgatory = Purgatory<DelayedProduce>()
    let fetchPurgatory = Purgatory<DelayedFetch>()
    let blockingPool: NIOThreadPool
    let alterPartitionManager: AlterPartitionManager
    let fetcherManager: ReplicaFetcherManager
    let background = Mutex<[RepeatedTask]>([])
    let isShutDown = Mutex(false)

    public init(
        config: ReplicaManagerConfig, logManager: LogManager, eventLoopGroup: any EventLoopGroup,
        controller: any ControllerChannel, endpoints: any BrokerEndpointResolver,
        brokerEpoch: @escaping @Sendable () -> BrokerEpoch,
        topicConfig: @escaping @Sendable (TopicName) -> LogConfig,
        minInsyncReplicas: @escaping @Sendable (TopicName) -> Int,
        isFenced: @escaping @Sendable () -> Bool,
        observer: ReplicationObserver = .none,
        logger: Logger
    ) {
        self.config = config
        self.logManager = logManager
        self.eventLoopGroup = eventLoopGroup
        self.endpoints = endpoints
        self.brokerEpoch = brokerEpoch
        self.topicConfig = topicConfig
        self.minInsyncReplicas = minInsyncReplicas
        self.isFenced = isFenced
        self.observer = observer
        self.logger = logger
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        self.blockingPool = pool
        let weakSelf = WeakReplicaManager()
        self.alterPartitionManager = AlterPartitionManager(
            controller: controller, brokerID: config.brokerID, brokerEpoch: brokerEpoch,
            retryBackoffMs: config.alterPartitionRetryBackoffMs, logger: logger
        ) { topicPartition, proposal, answer in
            weakSelf.value?.alterPartitionAnswered(topicPartition, proposal, answer) ?? .stale
        }
        self.fetcherManager = ReplicaFetcherManager(
            config: config, eventLoopGroup: eventLoopGroup, endpoints: endpoints, brokerEpoch: brokerEpoch,
            blockingPool: pool, logger: logger, onFetched: observer.followerFetched
        ) { weakSelf.value?.partition($0) }
        weakSelf.value = self
    }

    /// Starts the periodic work: ISR shrink checks and HW checkpoints (both on the replication thread pool, off the
    /// event loops), purgatory purges.
    public func start() {
        let loop = eventLoopGroup.next()
        let isrInterval = TimeAmount.milliseconds(config.effectiveIsrCheckIntervalMs)
        let checkpointInterval = TimeAmount.milliseconds(config.highWatermarkCheckpointIntervalMs)
        let tasks = [
            loop.scheduleRepeatedTask(initialDelay: isrInterval, delay: isrInterval) { [weak self] _ in
                guard let self else { return }
                self.runBlocking { [weak self] in self?.checkIsrs() }
            },
            loop.scheduleRepeatedTask(initialDelay: checkpointInterval, delay: checkpointInterval) { [weak self] _ in
                self?.checkpointHighWatermarks()
            },
            loop.scheduleRepeatedTask(initialDelay: .seconds(5), delay: .seconds(5)) { [weak self] _ in
                self?.producePurgatory.purgeCompleted()
                self?.fetchPurgatory.purgeCompleted()
            },
        ]
        background.withLock { $0.append(contentsOf: tasks) }
    }

    /// Stops fetchers and periodic work, answers every delayed operation (produce: REQUEST_TIMED_OUT; fetch: what
    /// is there), writes the HW checkpoints.
    public func shutdown() async {
        guard
            isShutDown.withLock({ done in
                defer { done = true }; return !done
            })
        else { return }
        for task in background.withLock({ tasks in
            defer { tasks.removeAll() }; return tasks
        }) { task.cancel() }
        await fetcherManager.shutdown()
        alterPartitionManager.shutdown()
        producePurgatory.expireAll()
        fetchPurgatory.expireAll()
        let logManager = self.logManager
        do {
            try await blockingPool.runIfActive { try logManager.writeCheckpoints() }
        } catch {
            logger.error("writing checkpoints at shutdown failed", metadata: ["error": "\(error)"])
        }
        try? await blockingPool.shutdownGracefully()
    }

    func partition(_ topicPartition: TopicPartition) -> Partition? {
        partitions.withLock { $0[topicPartition] }
    }

    /// The HW of `topicPartition` advanced: acks=all produces and consumer fetches waiting on it may complete.
    func highWatermarkAdvanced(_ topicPartition: TopicPartition) {
        producePurgatory.checkAndComplete(topicPartition)
        fetchPurgatory.checkAndComplete(topicPartition)
    }

    /// The leader's LEO advanced: replica fetches waiting on it may complete.
    func logEndOffsetAdvanced(_ topicPartition: TopicPartition) {
        fetchPurgatory.checkAndComplete(topicPartition)
    }

    /// Leadership of `topicPartition` changed or it stopped: every delayed operation on it re-checks.
    func completeDelayedRequests(_ topicPartition: TopicPartition) {
        producePurgatory.checkAndComplete(topicPartition)
        fetchPurgatory.checkAndComplete(topicPartition)
    }

    /// Runs blocking work on the replication thread pool.
    func runBlocking(_ body: @escaping @Sendable () throws -> Void) {
        let logger = self.logger
        blockingPool.submit { state in
            guard state == .active else { return }
            do { try body() } catch { logger.error("background work failed", metadata: ["error": "\(error)"]) }
        }
    }
}

/// Breaks the reference cycle between the manager and the helpers that call back into it.
final class WeakReplicaManager: Sendable {
    private let reference = Mutex<Reference>(Reference())

    private struct Reference: @unchecked Sendable {
        // A weak reference to a Sendable class, only touched under the mutex.
        weak var manager: ReplicaManager?
    }

    var value: ReplicaManager? {
        get { reference.withLock { $0.manager } }
        set { reference.withLock { $0.manager = newValue } }
    }
}
