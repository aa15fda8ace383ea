import FjordModel
import FjordObservability
import FjordReplication
import KafkaProtocol
import ZooKeeper

/// The broker's metrics: one registry (served at `/metrics`) and the typed groups the broker updates.
///
/// Who updates what:
/// - ``requests``: the request processor, per request (count, latency, top-level error) and the Produce/Fetch
///   handlers (one error per failed partition);
/// - ``topics``: the Produce handler (bytes and records appended) and the Fetch handler (record bytes sent);
/// - ``replication``: the replica manager through ``replicationObserver`` (ISR changes, replica fetch bytes) and a
///   scrape hook counting the partition table and the metadata cache (``installScrapeHooks(_:)``);
/// - ``zooKeeper``: one ``followSession(_:)`` task per ZooKeeper session;
/// - ``groups``: rebalances from the JoinGroup responses the processor sends (``observeJoinGroupResponse(_:)``),
///   groups per state from a periodic count (``recordGroupStates(_:)``).
///
/// Thread-safe; every group is.
public final class BrokerMetrics: Sendable {
    public let registry: FjordMetrics
    public let requests: RequestMetrics
    public let topics: TopicMetricsRegistry
    public let replication: ReplicaManagerMetrics
    public let groups: GroupCoordinatorMetrics
    public let zooKeeper: ZooKeeperSessionMetrics

    public init(registry: FjordMetrics = FjordMetrics()) {
        self.registry = registry
        var extra: [ApiDescriptor] = []
        extra.append(
            ApiDescriptor(
                key: ReplicaFetchProtocol.apiKey, name: "ReplicaFetch",
                versions: ReplicaFetchProtocol.supportedVersions))
        requests = RequestMetrics(metrics: registry, served: ServedVersions.table, extra: extra)
        topics = TopicMetricsRegistry(metrics: registry)
        replication = ReplicaManagerMetrics(metrics: registry)
        groups = GroupCoordinatorMetrics(metrics: registry)
        zooKeeper = ZooKeeperSessionMetrics(metrics: registry)
    }

    /// The callbacks the replica manager reports through.
    var replicationObserver: ReplicationObserver {
        let replication = self.replication
        return ReplicationObserver(
            isrChanged: { _, shrunk in
                if shrunk { replication.recordIsrShrink() } else { replication.recordIsrExpand() }
            },
            followerFetched: { replication.recordFollowerFetch(bytes: $0) },
            servedFollower: { replication.recordLeaderServedFollower(bytes: $0) })
    }

    /// Registers the scrape hook that sets the partition gauges from the replica manager's table and the metadata
    /// cache. Holds the context weakly (the registry outlives nothing it refers to).
    func installScrapeHooks(_ context: BrokerContext) {
        let replication = self.replication
        registry.onScrape { [weak context] in
            guard let context else { return }
            let counts = context.replicaManager.partitionCounts()
            replication.setPartitionCounts(
                replicas: counts.replicas, leaders: counts.leaders, underReplicated: counts.underReplicated,
                underMinIsr: counts.underMinIsr)
            replication.setMetadataOfflinePartitions(Self.offlinePartitions(context.metadataCache.snapshot))
        }
    }

    /// Partitions in `snapshot` whose leader is none or not a live broker.
    static func offlinePartitions(_ snapshot: MetadataSnapshot) -> Int {
        var count = 0
        for partitions in snapshot.topics.values {
            for partition in partitions.values {
                let live = partition.leader.rawValue >= 0 && snapshot.brokers[partition.leader] != nil
                if !live { count += 1 }
            }
        }
        return count
    }

    /// Counts a completed rebalance when a JoinGroup response without error goes to the group's leader: the
    /// coordinator answers the leader exactly once per new generation, with the member list to assign.
    func observeJoinGroupResponse(_ response: any KafkaResponse) {
        guard let join = response as? JoinGroupResponse, join.errorCode == 0, !join.memberId.isEmpty,
            join.leader == join.memberId
        else { return }
        groups.recordRebalance()
    }

    /// Sets `fjord_groups{state}` from the states of the groups this broker coordinates.
    func recordGroupStates(_ states: [String]) {
        var counts: [GroupStateLabel: Int] = [:]
        for state in states {
            if let label = GroupStateLabel(rawValue: state) { counts[label, default: 0] += 1 }
        }
        groups.setGroupCounts(counts)
    }

    /// Records the states of one ZooKeeper session until it is closed. Start one per session; a late `closed` of
    /// an older session does not overwrite a newer one's state.
    func followSession(_ zk: ZooKeeperClient) -> Task<Void, Never> {
        let metrics = zooKeeper
        let session = metrics.beginSession()
        return Task { await metrics.follow(zk.sessionStates(), session: session, map: Self.label) }
    }

    static func label(_ state: SessionState) -> ZooKeeperSessionStateLabel {
        switch state {
        case .connecting: .connecting
        case .connected: .connected
        case .expired: .expired
        case .authFailed: .authFailed
        case .closed: .closed
        }
    }
}
