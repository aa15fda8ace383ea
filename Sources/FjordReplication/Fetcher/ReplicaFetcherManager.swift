import FjordModel
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The follower side of replication (Kafka's `ReplicaFetcherManager`): one ``ReplicaFetcher`` per (leader broker,
/// fetcher index) — `num.replica.fetchers` sessions per leader, partitions spread over them by a stable hash — each
/// carrying every partition it follows from that leader in each request.
///
/// Concurrency: `fetchers` (a `Mutex`) maps keys to fetchers; a fetcher with no partitions left is shut down.
final class ReplicaFetcherManager: Sendable {
    struct PartitionToFetch: Sendable {
        var topicPartition: TopicPartition
        var leader: BrokerID
        var leaderEpoch: LeaderEpoch
        var fetchOffset: Offset
        var lastFetchedEpoch: LeaderEpoch?
    }

    struct FetcherKey: Hashable, Sendable {
        var leader: BrokerID
        var index: Int
    }

    private let config: ReplicaManagerConfig
    private let eventLoopGroup: any EventLoopGroup
    private let endpoints: any BrokerEndpointResolver
    private let brokerEpoch: @Sendable () -> BrokerEpoch
    private let blockingPool: NIOThreadPool
    private let logger: Logger
    private let partitionLookup: @Sendable (TopicPartition) -> Partition?
    private let onFetched: @Sendable (Int) -> Void
    private let fetchers = Mutex<[FetcherKey: ReplicaFetcher]>([:])

    init(
        config: ReplicaManagerConfig, eventLoopGroup: any EventLoopGroup, endpoints: any BrokerEndpointResolver,
        brokerEpoch: @escaping @Sendable () -> BrokerEpoch, blockingPool: NIOThreadPool, logger: Logger,
        onFetched: @escaping @Sendable (Int) -> Void = { _ in },
        partitionLookup: @escaping @Sendable (TopicPartition) -> Partition?
    ) {
        self.config = config
        self.eventLoopGroup = eventLoopGroup
        self.endpoints = endpoints
        self.brokerEpoch = brokerEpoch
        self.blockingPool = blockingPool
        self.logger = logger
        self.partitionLookup = partitionLookup
        self.onFetched = onFetched
    }

    /// Kafka's `getFetcherId`: a stable hash of the partition, so a partition stays with its session.
    func fetcherIndex(_ tp: TopicPartition) -> Int {
        var hash: UInt32 = 0
        for byte in tp.topic.rawValue.utf8 { hash = hash &* 31 &+ UInt32(byte) }
        hash = hash &* 31 &+ UInt32(bitPattern: tp.partition.rawValue)
        return Int(hash % UInt32(max(1, config.numReplicaFetchers)))
    }

    /// Starts fetching `partitions` from their leaders (a partition already fetched elsewhere must be removed first).
    func addPartitions(_ partitions: [PartitionToFetch]) {
        let grouped = Dictionary(grouping: partitions) {
            FetcherKey(leader: $0.leader, index: fetcherIndex($0.topicPartition))
        }
        for (key, items) in grouped {
            let (fetcher, isNew) = fetchers.withLock { fetchers -> (ReplicaFetcher, Bool) in
                if let existing = fetchers[key] { return (existing, false) }
                let fetcher = ReplicaFetcher(
                    leader: key.leader, index: key.index, config: config, eventLoopGroup: eventLoopGroup,
                    endpoints: endpoints, brokerEpoch: brokerEpoch, blockingPool: blockingPool, logger: logger,
                    onFetched: onFetched, partitionLookup: partitionLookup)
                fetchers[key] = fetcher
                return (fetcher, true)
            }
            fetcher.add(items)
            if isNew { fetcher.start() }
        }
    }

    /// Stops fetching `partitions`; fetchers left without partitions shut down.
    func removePartitions(_ partitions: Set<TopicPartition>) {
        guard !partitions.isEmpty else { return }
        let idle = fetchers.withLock { fetchers -> [ReplicaFetcher] in
            var idle: [ReplicaFetcher] = []
            for (key, fetcher) in fetchers {
                fetcher.remove(partitions)
                if fetcher.isEmpty {
                    fetchers[key] = nil
                    idle.append(fetcher)
                }
            }
            return idle
        }
        for fetcher in idle { fetcher.stop() }
    }

    /// The partitions fetched and their fetch state, for tests and metrics.
    var fetchedPartitions: [TopicPartition: ReplicaFetcher.PartitionFetchState] {
        fetchers.withLock { fetchers in
            var all: [TopicPartition: ReplicaFetcher.PartitionFetchState] = [:]
            for fetcher in fetchers.values { all.merge(fetcher.partitionStates) { a, _ in a } }
            return all
        }
    }

    func shutdown() async {
        let all = fetchers.withLock { fetchers in
            defer { fetchers.removeAll() }
            return Array(fetchers.values)
        }
        for fetcher in all { await fetcher.shutdown() }
    }
}
