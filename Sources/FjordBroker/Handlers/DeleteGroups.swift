import FjordCoordinator
import KafkaProtocol
import NIOCore

/// DeleteGroups (key 42), served 0–1: deletes empty groups and their committed offsets (NON_EMPTY_GROUP while a
/// group has members, GROUP_ID_NOT_FOUND for unknown groups).
enum DeleteGroupsHandler {
    static func handle(
        _ request: DeleteGroupsRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        context.eventLoop.makeFutureWithTask {
            guard let coordinator = broker.groupCoordinator else {
                return .message(errorResponse(request, error: .coordinatorNotAvailable))
            }
            let results = await coordinator.deleteGroups(request.groupsNames.map { GroupID($0) })
            return .message(
                DeleteGroupsResponse(results: results.map { .init(groupId: $0.0.rawValue, errorCode: $0.1.rawValue) }))
        }
    }

    static func errorResponse(_ request: DeleteGroupsRequest, error: ErrorCode) -> DeleteGroupsResponse {
        DeleteGroupsResponse(results: request.groupsNames.map { .init(groupId: $0, errorCode: error.rawValue) })
    }
}
