import KafkaProtocol

extension ApiDescriptor {
    /// One descriptor per API of a served-versions table, named as Kafka names the API (`Produce`, `ApiVersions`).
    public static func kafka(_ served: [ApiKey: ClosedRange<Int16>]) -> [ApiDescriptor] {
        served.keys.sorted { $0.rawValue < $1.rawValue }.map {
            ApiDescriptor(key: $0.rawValue, name: $0.name, versions: served[$0]!)
        }
    }
}

extension RequestMetrics {
    /// Request metrics for a Kafka listener: the APIs of `served` (plus `extra`, e.g. a private API) labelled with
    /// Kafka's API names, errors labelled with Kafka's error names (`NOT_LEADER_OR_FOLLOWER`).
    public convenience init(
        metrics: FjordMetrics, served: [ApiKey: ClosedRange<Int16>], extra: [ApiDescriptor] = []
    ) {
        self.init(
            metrics: metrics, apis: ApiDescriptor.kafka(served) + extra, errorName: { ErrorCode($0).name })
    }
}

/// A response whose body carries one error code for the whole request (ApiVersions, Heartbeat, JoinGroup…).
///
/// Request processors count that code as the request's error; responses with per-partition or per-resource codes
/// (Produce, Fetch, CreateTopics…) are counted by their handlers instead, one error per failed partition.
public protocol TopLevelErrorCode {
    var errorCode: Int16 { get }
}

extension AlterPartitionReassignmentsResponse: TopLevelErrorCode {}
extension AlterPartitionResponse: TopLevelErrorCode {}
extension ApiVersionsResponse: TopLevelErrorCode {}
extension ControlledShutdownResponse: TopLevelErrorCode {}
extension DescribeClusterResponse: TopLevelErrorCode {}
extension ElectLeadersResponse: TopLevelErrorCode {}
extension FetchResponse: TopLevelErrorCode {}
extension FindCoordinatorResponse: TopLevelErrorCode {}
extension HeartbeatResponse: TopLevelErrorCode {}
extension InitProducerIdResponse: TopLevelErrorCode {}
extension JoinGroupResponse: TopLevelErrorCode {}
extension LeaderAndIsrResponse: TopLevelErrorCode {}
extension LeaveGroupResponse: TopLevelErrorCode {}
extension ListGroupsResponse: TopLevelErrorCode {}
extension ListPartitionReassignmentsResponse: TopLevelErrorCode {}
extension OffsetFetchResponse: TopLevelErrorCode {}
extension SaslHandshakeResponse: TopLevelErrorCode {}
extension StopReplicaResponse: TopLevelErrorCode {}
extension SyncGroupResponse: TopLevelErrorCode {}
extension UpdateMetadataResponse: TopLevelErrorCode {}

extension ApiRequestMetrics {
    /// Counts `response`'s top-level error code when it has one and it is not 0.
    @inline(__always)
    public func recordTopLevelError(of response: any KafkaResponse) {
        if let carrier = response as? any TopLevelErrorCode, carrier.errorCode != 0 {
            recordError(carrier.errorCode)
        }
    }
}
