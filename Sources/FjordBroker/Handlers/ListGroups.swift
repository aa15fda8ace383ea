import FjordCoordinator
import KafkaProtocol
import NIOCore

/// ListGroups (key 16), served 0–2: the groups this broker coordinates now (v4+ may filter by state; the codec
/// reads it, Fjord serves up to v2).
enum ListGroupsHandler {
    static func handle(
        _ request: ListGroupsRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        return context.eventLoop.makeFutureWithTask {
            guard let coordinator = broker.groupCoordinator else {
                return .message(errorResponse(request, error: .coordinatorNotAvailable))
            }
            let filter =
                request.statesFilter.isEmpty
                ? nil
                : Set(request.statesFilter.compactMap { name in GroupState.allCases.first { $0.kafkaName == name } })
            let groups = await coordinator.listGroups(states: filter)
            return .message(
                ListGroupsResponse(
                    groups: groups.map {
                        .init(
                            groupId: $0.groupID.rawValue, protocolType: $0.protocolType,
                            groupState: version >= 4 ? $0.state.kafkaName : "",
                            groupType: version >= 5 ? $0.groupType : "")
                    }))
        }
    }

    static func errorResponse(_ request: ListGroupsRequest, error: ErrorCode) -> ListGroupsResponse {
        ListGroupsResponse(errorCode: error.rawValue)
    }
}
