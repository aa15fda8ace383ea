import KafkaProtocol
import NIOCore

extension BrokerRequestProcessor {
    /// Routes a decoded request to its handler.
    func dispatch(_ body: KafkaRequestBody, _ context: RequestContext) -> EventLoopFuture<HandlerOutput> {
        let b = broker
        switch body {
        case .apiVersions(let r): return ApiVersionsHandler.handle(r, context, b)
        case .metadata(let r): return MetadataHandler.handle(r, context, b)
        case .createTopics(let r): return CreateTopicsHandler.handle(r, context, b)
        case .deleteTopics(let r): return DeleteTopicsHandler.handle(r, context, b)
        case .createPartitions(let r): return CreatePartitionsHandler.handle(r, context, b)
        case .describeConfigs(let r): return DescribeConfigsHandler.handle(r, context, b)
        case .alterConfigs(let r): return AlterConfigsHandler.handle(r, context, b)
        case .incrementalAlterConfigs(let r): return IncrementalAlterConfigsHandler.handle(r, context, b)
        case .describeCluster(let r): return DescribeClusterHandler.handle(r, context, b)
        case .saslHandshake(let r): return SaslHandshakeHandler.handle(r, context, b)
        case .electLeaders(let r): return ElectLeadersHandler.handle(r, context, b)
        case .alterPartitionReassignments(let r): return AlterPartitionReassignmentsHandler.handle(r, context, b)
        case .listPartitionReassignments(let r): return ListPartitionReassignmentsHandler.handle(r, context, b)
        case .updateMetadata(let r): return UpdateMetadataHandler.handle(r, context, b)
        case .findCoordinator(let r): return FindCoordinatorHandler.handle(r, context, b)
        case .joinGroup(let r): return JoinGroupHandler.handle(r, context, b)
        case .syncGroup(let r): return SyncGroupHandler.handle(r, context, b)
        case .heartbeat(let r): return HeartbeatHandler.handle(r, context, b)
        case .leaveGroup(let r): return LeaveGroupHandler.handle(r, context, b)
        case .offsetCommit(let r): return OffsetCommitHandler.handle(r, context, b)
        case .offsetFetch(let r): return OffsetFetchHandler.handle(r, context, b)
        case .listGroups(let r): return ListGroupsHandler.handle(r, context, b)
        case .describeGroups(let r): return DescribeGroupsHandler.handle(r, context, b)
        case .deleteGroups(let r): return DeleteGroupsHandler.handle(r, context, b)
        case .initProducerId(let r): return InitProducerIdHandler.handle(r, context, b)
        default: return dispatchData(body, context)
        }
    }
}

/// Error responses per API (Kafka's `getErrorResponse`): every partition or resource of the request gets `error`.
/// Used for versions advertised but not served (UNSUPPORTED_VERSION); nil for APIs without one.
enum ErrorResponses {
    static func response(for body: KafkaRequestBody, version: Int16, error: ErrorCode) -> (any KafkaResponse)? {
        switch body {
        case .apiVersions(let r): ApiVersionsHandler.errorResponse(r, error: error)
        case .metadata(let r): MetadataHandler.errorResponse(r, error: error)
        case .createTopics(let r): CreateTopicsHandler.errorResponse(r, error: error)
        case .deleteTopics(let r): DeleteTopicsHandler.errorResponse(r, version: version, error: error)
        case .createPartitions(let r): CreatePartitionsHandler.errorResponse(r, error: error)
        case .describeConfigs(let r): DescribeConfigsHandler.errorResponse(r, error: error)
        case .alterConfigs(let r): AlterConfigsHandler.errorResponse(r, error: error)
        case .incrementalAlterConfigs(let r): IncrementalAlterConfigsHandler.errorResponse(r, error: error)
        case .describeCluster(let r): DescribeClusterHandler.errorResponse(r, error: error)
        case .saslHandshake(let r): SaslHandshakeHandler.errorResponse(r, error: error)
        case .electLeaders(let r): ElectLeadersHandler.errorResponse(r, error: error)
        case .alterPartitionReassignments(let r): AlterPartitionReassignmentsHandler.errorResponse(r, error: error)
        case .listPartitionReassignments(let r): ListPartitionReassignmentsHandler.errorResponse(r, error: error)
        case .updateMetadata(let r): UpdateMetadataHandler.errorResponse(r, error: error)
        case .findCoordinator(let r): FindCoordinatorHandler.errorResponse(r, version: version, error: error)
        case .joinGroup(let r): JoinGroupHandler.errorResponse(r, error: error)
        case .syncGroup(let r): SyncGroupHandler.errorResponse(r, error: error)
        case .heartbeat(let r): HeartbeatHandler.errorResponse(r, error: error)
        case .leaveGroup(let r): LeaveGroupHandler.errorResponse(r, error: error)
        case .offsetCommit(let r): OffsetCommitHandler.errorResponse(r, error: error)
        case .offsetFetch(let r): OffsetFetchHandler.errorResponse(r, version: version, error: error)
        case .listGroups(let r): ListGroupsHandler.errorResponse(r, error: error)
        case .describeGroups(let r): DescribeGroupsHandler.errorResponse(r, error: error)
        case .deleteGroups(let r): DeleteGroupsHandler.errorResponse(r, error: error)
        case .initProducerId(let r): InitProducerIdHandler.errorResponse(r, error: error)
        default: dataErrorResponse(for: body, version: version, error: error)
        }
    }
}
