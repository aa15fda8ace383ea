import FjordCoordinator
import KafkaProtocol
import NIOCore

/// JoinGroup (key 11), served 0–5. Maps the request onto ``JoinGroupInput`` (v0 has no rebalance timeout: the
/// session timeout stands in; v4+ require a known member id, so a first join gets MEMBER_ID_REQUIRED; v5 adds static
/// membership) and holds the response until the coordinator completes the rebalance. Only the leader's response
/// lists the members.
enum JoinGroupHandler {
    static func handle(
        _ request: JoinGroupRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        let input = JoinGroupInput(
            memberID: MemberID(request.memberId), groupInstanceID: request.groupInstanceId.map { GroupInstanceID($0) },
            clientID: context.clientID, clientHost: context.clientHost, sessionTimeoutMs: request.sessionTimeoutMs,
            rebalanceTimeoutMs: version >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
            protocolType: request.protocolType,
            protocols: request.protocols.map { GroupProtocol(name: $0.name, metadata: Array(buffer: $0.metadata)) },
            requireKnownMemberID: version >= 4, reason: request.reason)
        return context.eventLoop.makeFutureWithTask {
            guard let coordinator = broker.groupCoordinator else {
                return .message(errorResponse(request, error: .coordinatorNotAvailable))
            }
            let outcome = await coordinator.joinGroup(GroupID(request.groupId), input)
            return .message(
                JoinGroupResponse(
                    errorCode: outcome.error.rawValue, generationId: outcome.generation.rawValue,
                    protocolType: version >= 7 ? outcome.protocolType : nil,
                    protocolName: outcome.protocolName ?? (version >= 7 ? nil : ""), leader: outcome.leader.rawValue,
                    memberId: outcome.memberID.rawValue,
                    members: outcome.members.map {
                        .init(
                            memberId: $0.memberID.rawValue,
                            groupInstanceId: version >= 5 ? $0.groupInstanceID?.rawValue : nil,
                            metadata: ByteBuffer(bytes: $0.metadata))
                    }))
        }
    }

    static func errorResponse(_ request: JoinGroupRequest, error: ErrorCode) -> JoinGroupResponse {
        JoinGroupResponse(
            errorCode: error.rawValue, generationId: -1, protocolName: "", leader: "", memberId: request.memberId)
    }
}
