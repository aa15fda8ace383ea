import KafkaProtocol
import NIOCore

/// AlterPartitionReassignments (key 45), served and advertised 0. Forwarded to the active controller, which runs
/// reassignments; NOT_CONTROLLER when it cannot be reached.
enum AlterPartitionReassignmentsHandler {
    static func handle(
        _ request: AlterPartitionReassignmentsRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        ControllerForwarding.forward(
            request, versions: 0...0, timeoutMs: request.timeoutMs, context, broker
        ) { errorResponse(request, error: $0) }
    }

    static func errorResponse(_ request: AlterPartitionReassignmentsRequest, error: ErrorCode)
        -> AlterPartitionReassignmentsResponse
    {
        AlterPartitionReassignmentsResponse(
            errorCode: error.rawValue,
            responses: request.topics.map { topic in
                .init(
                    name: topic.name,
                    partitions: topic.partitions.map {
                        .init(partitionIndex: $0.partitionIndex, errorCode: error.rawValue)
                    })
            })
    }
}
