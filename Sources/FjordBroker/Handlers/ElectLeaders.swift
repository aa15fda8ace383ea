import KafkaProtocol
import NIOCore

/// ElectLeaders (key 43), served 0–2, advertised 0–1 (v2 is flexible). Forwarded unchanged (same version) to the active controller,
/// which owns elections; its answer is relayed. Without a reachable controller every partition gets NOT_CONTROLLER,
/// which clients treat as retriable.
enum ElectLeadersHandler {
    static func handle(
        _ request: ElectLeadersRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        return context.eventLoop.makeFutureWithTask {
            do {
                let timeoutMs = Int64(max(request.timeoutMs, 0)) + 5_000
                let response = try await broker.controllerChannel.send(
                    request, preferred: version...version, timeoutMs: timeoutMs)
                return .message(response)
            } catch {
                broker.logger.debug("ElectLeaders not forwarded", metadata: ["error": "\(error)"])
                return .message(errorResponse(request, error: .notController))
            }
        }
    }

    static func errorResponse(_ request: ElectLeadersRequest, error: ErrorCode) -> ElectLeadersResponse {
        ElectLeadersResponse(
            errorCode: error.rawValue,
            replicaElectionResults: (request.topicPartitions ?? []).map { topic in
                .init(
                    topic: topic.topic,
                    partitionResult: topic.partitions.map { .init(partitionId: $0, errorCode: error.rawValue) })
            })
    }
}
