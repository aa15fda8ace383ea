import FjordModel
import KafkaProtocol

/// What the broker gives the ReplicaManager to reach the active controller.
public protocol ControllerChannel: Sendable {
    /// Sends AlterPartition to the active controller and returns its response (retries are the caller's business:
    /// the ReplicaManager retries after `alterPartitionRetryBackoffMs` when this throws).
    ///
    /// The request carries, per topic, `topicName` and (when LeaderAndIsr named one) `topicId`, and per partition
    /// `newIsr` (the v0–v2 form, with `newIsrWithEpochs` empty): encode it at version 1 or 2.
    func alterPartition(_ request: AlterPartitionRequest) async throws -> AlterPartitionResponse
}

/// Where other brokers are reachable (inter-broker listener) and whether they are live, from the broker's metadata.
public protocol BrokerEndpointResolver: Sendable {
    func interBrokerEndpoint(of broker: BrokerID) -> (host: String, port: Int)?
    /// Whether the broker is currently registered (live).
    func isLive(_ broker: BrokerID) -> Bool
    /// The broker epoch of the live registration of `broker`, `nil` when not live or not known. Replica fetches
    /// from a broker whose epoch is older than this are refused with STALE_BROKER_EPOCH (a zombie incarnation).
    func liveBrokerEpoch(of broker: BrokerID) -> BrokerEpoch?
}

extension BrokerEndpointResolver {
    /// Default: the epoch is not known, so only liveness is checked.
    public func liveBrokerEpoch(of broker: BrokerID) -> BrokerEpoch? { nil }
}
