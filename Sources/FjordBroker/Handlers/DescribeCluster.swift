import KafkaProtocol
import NIOCore

/// DescribeCluster (key 60), served and advertised 0–1. Lists the live brokers on the
/// client's listener; the controller id is the lowest live broker, as in Metadata (trap 8). v1's `endpoint_type`
/// must be 1 (brokers); 2 (controllers) is MISMATCHED_ENDPOINT_TYPE, as a Kafka broker answers. The active
/// fjord-controller process, as this broker last read `/controller`, rides in a tagged field
/// (``FjordActiveController``) that Kafka clients skip.
enum DescribeClusterHandler {
    static func handle(
        _ request: DescribeClusterRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        if context.apiVersion >= 1 && request.endpointType != 1 {
            var response = errorResponse(request, error: .mismatchedEndpointType)
            response.errorMessage = "The request was sent to an endpoint of type broker, but we wanted controller"
            return context.eventLoop.makeSucceededFuture(.message(response))
        }
        let snapshot = broker.metadataCache.snapshot
        let brokers = snapshot.liveBrokerIDs.compactMap { id -> DescribeClusterResponse.DescribeClusterBroker? in
            guard let live = snapshot.brokers[id], let endpoint = live.endpoints[context.listenerName] else {
                return nil
            }
            return .init(brokerId: id.rawValue, host: endpoint.host, port: endpoint.port, rack: live.rack)
        }
        var response = DescribeClusterResponse(
            endpointType: 1, clusterId: broker.clusterID ?? "", controllerId: snapshot.reportedControllerID,
            brokers: brokers)
        if let active = broker.controllerChannel.target {
            response.unknownTaggedFields.append(
                FjordActiveController(
                    controllerID: active.controllerID, host: active.host, port: Int32(clamping: active.port)
                ).taggedField)
        }
        return context.eventLoop.makeSucceededFuture(.message(response))
    }

    static func errorResponse(_ request: DescribeClusterRequest, error: ErrorCode) -> DescribeClusterResponse {
        DescribeClusterResponse(errorCode: error.rawValue, endpointType: 1)
    }
}
