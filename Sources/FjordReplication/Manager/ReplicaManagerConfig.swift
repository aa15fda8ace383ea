import FjordModel

/// The replication settings of a broker, named after Kafka's broker properties (units last). Defaults are Kafka
/// 3.9's.
public struct ReplicaManagerConfig: Sendable {
    /// `broker.id`.
    public var brokerID: BrokerID
    /// `replica.lag.time.max.ms`: an ISR member not caught up for this long is proposed for removal.
    public var replicaLagTimeMaxMs: Int64 = 30_000
    /// `replica.fetch.max.bytes`: per-partition bound of a replica fetch (the first batch may exceed it).
    public var replicaFetchMaxBytes: Int32 = 1_048_576
    /// `replica.fetch.response.max.bytes`: bound of a whole replica fetch response (first batch excepted).
    public var replicaFetchResponseMaxBytes: Int32 = 10_485_760
    /// `replica.fetch.wait.max.ms`: how long the leader holds a replica fetch with no new data.
    public var replicaFetchWaitMaxMs: Int32 = 500
    /// `replica.fetch.min.bytes`.
    public var replicaFetchMinBytes: Int32 = 1
    /// `replica.fetch.backoff.ms`: pause after a failed replica fetch, or for a partition in error.
    public var replicaFetchBackoffMs: Int64 = 1_000
    /// `num.replica.fetchers`: fetch sessions per leader broker; partitions are spread over them by hash.
    public var numReplicaFetchers: Int = 1
    /// `replica.socket.timeout.ms`: a replica fetch with no answer this long past its max wait fails and the
    /// connection is re-opened.
    public var replicaSocketTimeoutMs: Int64 = 30_000
    /// `replica.high.watermark.checkpoint.interval.ms`.
    public var highWatermarkCheckpointIntervalMs: Int64 = 5_000
    /// How often the leader checks its ISR for members to remove (Kafka: half the lag time).
    public var isrCheckIntervalMs: Int64?
    /// Pause before retrying an AlterPartition that got no answer or a retriable error.
    public var alterPartitionRetryBackoffMs: Int64 = 50
    /// `min.insync.replicas`, the broker default. Informational: the `minInsyncReplicas` closure given to the
    /// ``ReplicaManager`` initializer resolves each topic's effective value (default plus override).
    public var defaultMinInsyncReplicas: Int = 1

    public init(brokerID: BrokerID) { self.brokerID = brokerID }

    var effectiveIsrCheckIntervalMs: Int64 { isrCheckIntervalMs ?? max(1, replicaLagTimeMaxMs / 2) }
}
