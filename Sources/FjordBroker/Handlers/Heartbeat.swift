import FjordCoordinator
import KafkaProtocol
import NIOCore

/// Heartbeat (key 12), served 0–3: REBALANCE_IN_PROGRESS tells the member to rejoin; generation and member checks
/// are the coordinator's.
enum HeartbeatHandler {
    static func handle(
        _ request: HeartbeatRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let input = HeartbeatInput(
            memberID: MemberID(request.memberId), generation: GenerationID(request.generationId),
            groupInstanceID: request.groupInstanceId.map { GroupInstanceID($0) })
        return context.eventLoop.makeFutureWithTask {
            guard let coordinator = broker.groupCoordinator else {
                return .message(errorResponse(request, error: .coordinatorNotAvailable))
            }
            let error = await coordinator.heartbeat(GroupID(request.groupId), input)
            return .message(HeartbeatResponse(errorCode: error.rawValue))
        }
    }

    static func errorResponse(_ request: HeartbeatRequest, error: ErrorCode) -> HeartbeatResponse {
        HeartbeatResponse(errorCode: error.rawValue)
    }
}
