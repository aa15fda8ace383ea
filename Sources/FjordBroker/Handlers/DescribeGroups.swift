import FjordCoordinator
import KafkaProtocol
import NIOCore

/// DescribeGroups (key 15), served 0–4: state, protocol and members of each group (member metadata and assignment
/// only for a Stable group); a group this broker does not coordinate is reported by the coordinator (Dead, or
/// NOT_COORDINATOR).
enum DescribeGroupsHandler {
    static func handle(
        _ request: DescribeGroupsRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        return context.eventLoop.makeFutureWithTask {
            guard let coordinator = broker.groupCoordinator else {
                return .message(errorResponse(request, error: .coordinatorNotAvailable))
            }
            let descriptions = await coordinator.describeGroups(request.groups.map { GroupID($0) })
            return .message(
                DescribeGroupsResponse(
                    groups: descriptions.map { group in
                        .init(
                            errorCode: group.error.rawValue, groupId: group.groupID.rawValue, groupState: group.state,
                            protocolType: group.protocolType, protocolData: group.protocolName,
                            members: group.members.map {
                                .init(
                                    memberId: $0.memberID.rawValue,
                                    groupInstanceId: version >= 4 ? $0.groupInstanceID?.rawValue : nil,
                                    clientId: $0.clientID, clientHost: $0.clientHost,
                                    memberMetadata: ByteBuffer(bytes: $0.metadata),
                                    memberAssignment: ByteBuffer(bytes: $0.assignment))
                            })
                    }))
        }
    }

    static func errorResponse(_ request: DescribeGroupsRequest, error: ErrorCode) -> DescribeGroupsResponse {
        DescribeGroupsResponse(
            groups: request.groups.map {
                .init(errorCode: error.rawValue, groupId: $0, groupState: "", protocolType: "", protocolData: "")
            })
    }
}
