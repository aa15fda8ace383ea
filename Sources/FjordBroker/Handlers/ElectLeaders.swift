import KafkaProtocol
import NIOCore

/// ElectLeaders (key 43), served 0–2, advertised 0–1 (v2 is flexible). Forwarded unchanged (same version) to the
/// active controller, which owns elections; its answer is relayed. Without a reachable controller every partition
/// gets NOT_CONTROLLER, which clients treat as retriable.
enum ElectLeadersHandler {
    static func handle(
        _ request: ElectLeadersRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        ControllerForwarding.forward(
            request, versions: context.apiVersion...context.apiVersion, timeoutMs: request.timeoutMs, context, broker
        ) { errorResponse(request, error: $0) }
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
