/// The names of every metric Fjord exports, in one place: docs/operations.md, the Grafana dashboard in
/// deploy/grafana and the tests refer to these.
///
/// Prometheus conventions: base units (seconds, bytes), `_total` on counters, snake case, `fjord_` namespace.
/// Labels: `api` (Kafka request name, e.g. `Produce`), `version`, `error` (Kafka error name), `topic`, `kind`,
/// `state`, `event`.
public enum MetricName {
    // Requests (broker and controller listeners).
    public static let requests = "fjord_requests_total"
    public static let requestErrors = "fjord_request_errors_total"
    public static let requestDuration = "fjord_request_duration_seconds"
    public static let connections = "fjord_network_connections"
    public static let connectionsCreated = "fjord_network_connections_created_total"

    // Per-topic throughput (broker).
    public static let topicBytesIn = "fjord_topic_bytes_in_total"
    public static let topicBytesOut = "fjord_topic_bytes_out_total"
    public static let topicMessagesIn = "fjord_topic_messages_in_total"

    // Replica manager (broker).
    public static let leaderPartitions = "fjord_broker_leader_partitions"
    public static let partitions = "fjord_broker_partitions"
    public static let underReplicatedPartitions = "fjord_broker_under_replicated_partitions"
    public static let underMinIsrPartitions = "fjord_broker_under_min_isr_partitions"
    /// Partitions without a live leader in this broker's metadata cache (cluster-wide: every broker reports the same
    /// partitions; the active controller's `fjord_controller_offline_partitions` is the authoritative count).
    public static let metadataOfflinePartitions = "fjord_broker_metadata_offline_partitions"
    public static let isrShrinks = "fjord_broker_isr_shrinks_total"
    public static let isrExpands = "fjord_broker_isr_expands_total"
    public static let replicationBytesIn = "fjord_broker_replication_bytes_in_total"
    public static let replicationBytesOut = "fjord_broker_replication_bytes_out_total"

    // Controller.
    public static let controllerActive = "fjord_controller_active"
    public static let controllerEpoch = "fjord_controller_epoch"
    public static let offlinePartitions = "fjord_controller_offline_partitions"
    public static let preferredReplicaImbalance = "fjord_controller_preferred_replica_imbalance"
    public static let globalPartitions = "fjord_controller_global_partitions"
    public static let globalTopics = "fjord_controller_global_topics"
    public static let liveBrokers = "fjord_controller_live_brokers"
    public static let leaderElections = "fjord_controller_leader_elections_total"
    public static let controllerEventDuration = "fjord_controller_event_duration_seconds"

    // Group coordinator (broker).
    public static let groupRebalances = "fjord_group_rebalances_total"
    public static let groups = "fjord_groups"

    // ZooKeeper session (every process).
    public static let zooKeeperSessionState = "fjord_zookeeper_session_state"
    public static let zooKeeperExpirations = "fjord_zookeeper_session_expirations_total"
    public static let zooKeeperDisconnects = "fjord_zookeeper_disconnects_total"

    // Process (every process, Linux).
    public static let processStartTime = "fjord_process_start_time_seconds"
    public static let processResidentMemory = "fjord_process_resident_memory_bytes"
    public static let processOpenFileDescriptors = "fjord_process_open_fds"
    public static let processCPUSeconds = "fjord_process_cpu_seconds"

    /// Every name above (tests check the dashboard and the docs against it).
    public static let all: [String] = [
        requests, requestErrors, requestDuration, connections, connectionsCreated, topicBytesIn, topicBytesOut,
        topicMessagesIn, leaderPartitions, partitions, underReplicatedPartitions, underMinIsrPartitions,
        metadataOfflinePartitions, isrShrinks,
        isrExpands, replicationBytesIn, replicationBytesOut, controllerActive, controllerEpoch, offlinePartitions,
        preferredReplicaImbalance, globalPartitions, globalTopics, liveBrokers, leaderElections,
        controllerEventDuration, groupRebalances, groups, zooKeeperSessionState, zooKeeperExpirations,
        zooKeeperDisconnects, processStartTime, processResidentMemory, processOpenFileDescriptors, processCPUSeconds,
    ]
}

/// Histogram buckets, in seconds.
public enum LatencyBuckets {
    /// Request latency: 0.5 ms to 30 s, about three buckets per decade (Produce with acks=1 sits at the bottom,
    /// Fetch long polls and acks=all under failover near the top).
    public static let requestSeconds: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
    ]
    /// Controller event handling: 1 ms to 60 s (a failover over many partitions takes seconds).
    public static let controllerEventSeconds: [Double] = [
        0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60,
    ]
}
