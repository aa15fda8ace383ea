import FjordModel
import FjordReplication
import KafkaProtocol

/// The controller channel as the ReplicaManager sees it (AlterPartition only).
extension BrokerControllerChannel: ControllerChannel {
    public func alterPartition(_ request: AlterPartitionRequest) async throws -> AlterPartitionResponse {
        try await sendAlterPartition(request)
    }
}

/// Where other brokers' inter-broker listeners are, from the metadata cache.
struct MetadataEndpointResolver: BrokerEndpointResolver {
    let cache: MetadataCache
    let listener: String

    func interBrokerEndpoint(of broker: BrokerID) -> (host: String, port: Int)? {
        guard let endpoint = cache.snapshot.endpoint(of: broker, listener: listener) else { return nil }
        return (endpoint.host, Int(endpoint.port))
    }

    func isLive(_ broker: BrokerID) -> Bool { cache.snapshot.brokers[broker] != nil }
}

extension ReplicaManagerConfig {
    /// The replica manager's settings from the broker's configuration.
    init(_ config: BrokerConfig) {
        self.init(brokerID: config.brokerID)
        replicaLagTimeMaxMs = config.replicaLagTimeMaxMs
        replicaFetchMaxBytes = Int32(clamping: config.replicaFetchMaxBytes)
        replicaFetchResponseMaxBytes = Int32(clamping: config.replicaFetchResponseMaxBytes)
        replicaFetchWaitMaxMs = Int32(clamping: config.replicaFetchWaitMaxMs)
        replicaFetchMinBytes = Int32(clamping: config.replicaFetchMinBytes)
        replicaFetchBackoffMs = Int64(config.replicaFetchBackoffMs)
        numReplicaFetchers = config.numReplicaFetchers
        highWatermarkCheckpointIntervalMs = config.replicaHighWatermarkCheckpointIntervalMs
        defaultMinInsyncReplicas = config.minInsyncReplicas
    }
}
