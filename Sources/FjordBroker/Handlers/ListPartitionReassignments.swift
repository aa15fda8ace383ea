import KafkaProtocol
import NIOCore

/// ListPartitionReassignments (key 46), served and advertised 0. Forwarded to the active controller;
/// NOT_CONTROLLER when it cannot be reached.
enum ListPartitionReassignmentsHandler {
    static func handle(
        _ request: ListPartitionReassignmentsRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        ControllerForwarding.forward(
            request, versions: 0...0, timeoutMs: request.timeoutMs, context, broker
        ) { errorResponse(request, error: $0) }
    }

    static func errorResponse(_ request: ListPartitionReassignmentsRequest, error: ErrorCode)
        -> ListPartitionReassignmentsResponse
    {
        ListPartitionReassignmentsResponse(errorCode: error.rawValue)
    }
}
