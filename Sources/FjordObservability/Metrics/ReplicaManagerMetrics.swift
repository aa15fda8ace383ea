import Prometheus

/// A broker's partition and replication metrics (Kafka's `ReplicaManager` group).
///
/// Gauges: `fjord_broker_partitions` (replicas hosted), `fjord_broker_leader_partitions`,
/// `fjord_broker_under_replicated_partitions` (led partitions whose ISR is smaller than the replica set),
/// `fjord_broker_under_min_isr_partitions`, `fjord_broker_metadata_offline_partitions`. Counters:
/// `fjord_broker_isr_shrinks_total`, `fjord_broker_isr_expands_total` (ISR changes of partitions this broker leads,
/// one per change),
/// `fjord_broker_replication_bytes_in_total` / `_out_total` (follower fetch traffic).
///
/// Set the gauges from a scrape hook (``FjordMetrics/onScrape(_:)``) counting the partition table, or whenever it
/// changes. Thread-safe (atomics).
public final class ReplicaManagerMetrics: Sendable {
    private let partitionCount: Prometheus.Gauge
    private let leaderCount: Prometheus.Gauge
    private let underReplicatedCount: Prometheus.Gauge
    private let underMinIsrCount: Prometheus.Gauge
    private let metadataOfflineCount: Prometheus.Gauge
    private let isrShrinks: Prometheus.Counter
    private let isrExpands: Prometheus.Counter
    private let replicationBytesIn: Prometheus.Counter
    private let replicationBytesOut: Prometheus.Counter

    public init(metrics: FjordMetrics) {
        partitionCount = metrics.gauge(MetricName.partitions, "Partition replicas hosted by this broker.")
        leaderCount = metrics.gauge(MetricName.leaderPartitions, "Partitions this broker leads.")
        underReplicatedCount = metrics.gauge(
            MetricName.underReplicatedPartitions,
            "Partitions this broker leads whose ISR is smaller than the replica set.")
        underMinIsrCount = metrics.gauge(
            MetricName.underMinIsrPartitions, "Partitions this broker leads whose ISR is below min.insync.replicas.")
        metadataOfflineCount = metrics.gauge(
            MetricName.metadataOfflinePartitions, "Partitions without a live leader in this broker's metadata cache.")
        isrShrinks = metrics.counter(MetricName.isrShrinks, "ISR shrinks of partitions this broker leads.")
        isrExpands = metrics.counter(MetricName.isrExpands, "ISR expansions of partitions this broker leads.")
        replicationBytesIn = metrics.counter(
            MetricName.replicationBytesIn, "Record bytes this broker fetched from leaders as a follower.")
        replicationBytesOut = metrics.counter(
            MetricName.replicationBytesOut, "Record bytes this broker sent to followers as a leader.")
    }

    /// Sets the partition gauges from one pass over the partition table.
    public func setPartitionCounts(replicas: Int, leaders: Int, underReplicated: Int, underMinIsr: Int) {
        partitionCount.set(Int64(replicas))
        leaderCount.set(Int64(leaders))
        underReplicatedCount.set(Int64(underReplicated))
        underMinIsrCount.set(Int64(underMinIsr))
    }

    /// Sets the partitions without a live leader in the broker's metadata cache.
    public func setMetadataOfflinePartitions(_ count: Int) { metadataOfflineCount.set(Int64(count)) }

    /// The controller accepted an ISR shrink this broker asked for as leader (one per partition change, whatever the
    /// number of replicas removed; Kafka's `IsrShrinksPerSec`).
    public func recordIsrShrink(partitions: Int = 1) {
        if partitions > 0 { isrShrinks.increment(by: Int64(partitions)) }
    }

    /// The controller accepted an ISR expansion this broker asked for as leader (one per partition change).
    public func recordIsrExpand(partitions: Int = 1) {
        if partitions > 0 { isrExpands.increment(by: Int64(partitions)) }
    }

    @inline(__always)
    public func recordFollowerFetch(bytes: Int) { replicationBytesIn.increment(by: Int64(bytes)) }

    @inline(__always)
    public func recordLeaderServedFollower(bytes: Int) { replicationBytesOut.increment(by: Int64(bytes)) }
}
