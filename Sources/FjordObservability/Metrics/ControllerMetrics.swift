import Prometheus
import Synchronization

/// Why the controller elected a partition leader (the `kind` label of `fjord_controller_leader_elections_total`).
public enum LeaderElectionKind: String, CaseIterable, Hashable, Sendable {
    /// From the ISR, after the leader went offline (broker death, new partition).
    case clean
    /// From outside the ISR (`unclean.leader.election.enable`); may lose acknowledged records.
    case unclean
    /// Back to the preferred replica (auto leader rebalance, ElectLeaders).
    case preferred
    /// Away from a broker shutting down in a controlled way.
    case controlledShutdown = "controlled_shutdown"
    /// Onto the new replica set of a reassignment.
    case reassignment
}

/// The controller process's metrics (Kafka's `KafkaController` and `ControllerStats` groups).
///
/// Gauges: `fjord_controller_active` (1 on the active controller, 0 on standbys — sum over controllers must be 1),
/// `fjord_controller_epoch`, `fjord_controller_offline_partitions` (partitions without a live leader),
/// `fjord_controller_preferred_replica_imbalance`, `fjord_controller_global_partitions`,
/// `fjord_controller_global_topics`, `fjord_controller_live_brokers`. Only the active controller reports the cluster
/// gauges; a standby sets them to 0 when it resigns. Counter: `fjord_controller_leader_elections_total{kind}`.
/// Histogram: `fjord_controller_event_duration_seconds{event}`. Thread-safe.
public final class ControllerMetrics: Sendable {
    private let metrics: FjordMetrics
    private let active: Prometheus.Gauge
    private let epoch: Prometheus.Gauge
    private let offline: Prometheus.Gauge
    private let imbalance: Prometheus.Gauge
    private let partitions: Prometheus.Gauge
    private let topics: Prometheus.Gauge
    private let brokers: Prometheus.Gauge
    /// Indexed like `LeaderElectionKind.allCases`.
    private let elections: [Prometheus.Counter]
    private let eventDurations = Mutex<[String: Prometheus.ValueHistogram]>([:])

    public init(metrics: FjordMetrics) {
        self.metrics = metrics
        active = metrics.gauge(MetricName.controllerActive, "1 while this process is the active controller, else 0.")
        epoch = metrics.gauge(MetricName.controllerEpoch, "The controller epoch this process won with, while active.")
        offline = metrics.gauge(MetricName.offlinePartitions, "Partitions without a live leader.")
        imbalance = metrics.gauge(
            MetricName.preferredReplicaImbalance, "Partitions whose leader is not their preferred replica.")
        partitions = metrics.gauge(MetricName.globalPartitions, "Partitions in the cluster.")
        topics = metrics.gauge(MetricName.globalTopics, "Topics in the cluster.")
        brokers = metrics.gauge(MetricName.liveBrokers, "Brokers registered in ZooKeeper.")
        elections = LeaderElectionKind.allCases.map { kind in
            metrics.counter(
                MetricName.leaderElections, "Partition leaders elected by this controller, by reason.",
                labels: [("kind", kind.rawValue)])
        }
        active.set(Int64(0))
    }

    /// This process won the election with `epoch`.
    public func becameActive(epoch: Int32) {
        self.epoch.set(Int64(epoch))
        active.set(Int64(1))
    }

    /// This process resigned or lost its session: clears the active flag and the cluster gauges.
    public func resigned() {
        active.set(Int64(0))
        for gauge in [epoch, offline, imbalance, partitions, topics, brokers] { gauge.set(Int64(0)) }
    }

    /// Sets the cluster gauges (after each event, or from a scrape hook).
    public func setClusterState(
        offlinePartitions: Int, preferredReplicaImbalance: Int, partitions: Int, topics: Int, liveBrokers: Int
    ) {
        offline.set(Int64(offlinePartitions))
        imbalance.set(Int64(preferredReplicaImbalance))
        self.partitions.set(Int64(partitions))
        self.topics.set(Int64(topics))
        brokers.set(Int64(liveBrokers))
    }

    /// `count` partition leaders were elected for `kind`.
    public func recordLeaderElections(_ kind: LeaderElectionKind, count: Int = 1) {
        guard count > 0 else { return }
        elections[LeaderElectionKind.allCases.firstIndex(of: kind)!].increment(by: Int64(count))
    }

    /// The controller took `seconds` to handle an event named `event` (e.g. `BrokerChange`, `AlterPartition`).
    /// Takes a lock and a dictionary lookup: events are not a hot path.
    public func recordEvent(_ event: String, seconds: Double) {
        let histogram = eventDurations.withLock { table in
            if let existing = table[event] { return existing }
            let created = metrics.histogram(
                MetricName.controllerEventDuration, "Time the controller took to handle an event, by event.",
                labels: [("event", event)], buckets: LatencyBuckets.controllerEventSeconds)
            table[event] = created
            return created
        }
        histogram.record(seconds)
    }
}
