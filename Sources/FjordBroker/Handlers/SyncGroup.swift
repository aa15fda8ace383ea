import FjordCoordinator
import KafkaProtocol
import NIOCore

/// SyncGroup (key 14), served 0–3. The leader sends every member's assignment; each member's response is held until
/// the coordinator has stored the leader's assignment.
enum SyncGroupHandler {
    static func handle(
        _ request: SyncGroupRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        var assignments: [MemberID: [UInt8]] = [:]
        for assignment in request.assignments {
            assignments[MemberID(assignment.memberId)] = Array(buffer: assignment.assignment)
        }
        let input = SyncGroupInput(
            memberID: MemberID(request.memberId), generation: GenerationID(request.generationId),
            groupInstanceID: request.groupInstanceId.map { GroupInstanceID($0) },
            protocolType: version >= 5 ? request.protocolType : nil,
            protocolName: version >= 5 ? request.protocolName : nil, assignments: assignments)
        return context.eventLoop.makeFutureWithTask {
            guard let coordinator = broker.groupCoordinator else {
                return .message(errorResponse(request, error: .coordinatorNotAvailable))
            }
            let outcome = await coordinator.syncGroup(GroupID(request.groupId), input)
            return .message(
                SyncGroupResponse(
                    errorCode: outcome.error.rawValue, protocolType: version >= 5 ? outcome.protocolType : nil,
                    protocolName: version >= 5 ? outcome.protocolName : nil,
                    assignment: ByteBuffer(bytes: outcome.assignment)))
        }
    }

    static func errorResponse(_ request: SyncGroupRequest, error: ErrorCode) -> SyncGroupResponse {
        SyncGroupResponse(errorCode: error.rawValue)
    }
}
