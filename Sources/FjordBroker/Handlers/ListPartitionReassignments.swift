import KafkaProtocol
import NIOCore

/// ListPartitionReassignments (key 46), served and advertised 0. Forwarded to the active controller;
/// NOT_CONTROLLER when it cannot be reached.
enum ListPartitionReassignmentsHandler {
    static func handle(
        _ request: ListPartitionReassignmentsRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        context.eventLoop.makeFutureWithTask {
            do {
                let response = try await broker.controllerChannel.send(
                    request, preferred: 0...0, timeoutMs: Int64(max(request.timeoutMs, 0)) + 5_000)
                return .message(response)
            } catch {
                broker.logger.debug("ListPartitionReassignments not forwarded", metadata: ["error": "\(error)"])
                return .message(errorResponse(request, error: .notController))
            }
        }
    }

    static func errorResponse(_ request: ListPartitionReassignmentsRequest, error: ErrorCode)
        -> ListPartitionReassignmentsResponse
    {
        ListPartitionReassignmentsResponse(errorCode: error.rawValue)
    }
}
