import FjordCoordinator
import KafkaProtocol
import NIOCore

/// LeaveGroup (key 13), served 0–3. v0–v2 name one member and carry one error (the group's, else that member's);
/// v3+ name several members (by id, or by instance id for static members) with an error each.
enum LeaveGroupHandler {
    static func handle(
        _ request: LeaveGroupRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        let members =
            version >= 3
            ? request.members.map {
                LeavingMember(
                    memberID: MemberID($0.memberId), groupInstanceID: $0.groupInstanceId.map { GroupInstanceID($0) },
                    reason: $0.reason)
            }
            : [LeavingMember(memberID: MemberID(request.memberId))]
        return context.eventLoop.makeFutureWithTask {
            guard let coordinator = broker.groupCoordinator else {
                return .message(errorResponse(request, error: .coordinatorNotAvailable))
            }
            let outcome = await coordinator.leaveGroup(GroupID(request.groupId), members: members)
            if version >= 3 {
                return .message(
                    LeaveGroupResponse(
                        errorCode: outcome.error.rawValue,
                        members: outcome.members.map {
                            .init(
                                memberId: $0.memberID.rawValue, groupInstanceId: $0.groupInstanceID?.rawValue,
                                errorCode: $0.error.rawValue)
                        }))
            }
            let error = outcome.error != .none ? outcome.error : (outcome.members.first?.error ?? .none)
            return .message(LeaveGroupResponse(errorCode: error.rawValue))
        }
    }

    static func errorResponse(_ request: LeaveGroupRequest, error: ErrorCode) -> LeaveGroupResponse {
        LeaveGroupResponse(errorCode: error.rawValue)
    }
}
