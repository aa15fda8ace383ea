import FjordModel
import FjordReplication
import KafkaProtocol
import NIOCore

/// StopReplica (key 5), served 0–4, inter-broker listener only: stop replicating partitions and, when asked (topic
/// deletion, reassignment away), delete their logs. Fenced like LeaderAndIsr; applied by the ReplicaManager on the
/// blocking pool (deleting logs touches the disk).
enum StopReplicaHandler {
    static func handle(
        _ request: StopReplicaRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        if version >= 1 && broker.isBrokerEpochStale(request.brokerEpoch) {
            return context.eventLoop.makeSucceededFuture(
                .message(errorResponse(request, version: version, error: .staleBrokerEpoch)))
        }
        guard broker.admitControllerEpoch(ControllerEpoch(request.controllerEpoch)) else {
            return context.eventLoop.makeSucceededFuture(
                .message(errorResponse(request, version: version, error: .staleControllerEpoch)))
        }
        return broker.blockingPool.runIfActive(eventLoop: context.eventLoop) {
            let response = broker.replicaManager.stopReplicas(request, version: version)
            broker.logger.info(
                "applied StopReplica",
                metadata: [
                    "controller": "\(request.controllerId)",
                    "partitions": "\(partitions(request, version: version).count)",
                ])
            return HandlerOutput.message(response)
        }
    }

    static func partitions(_ request: StopReplicaRequest, version: Int16) -> [(String, Int32)] {
        switch version {
        case 0: request.ungroupedPartitions.map { ($0.topicName, $0.partitionIndex) }
        case 1...2: request.topics.flatMap { topic in topic.partitionIndexes.map { (topic.name, $0) } }
        default:
            request.topicStates.flatMap { topic in topic.partitionStates.map { (topic.topicName, $0.partitionIndex) } }
        }
    }

    static func errorResponse(_ request: StopReplicaRequest, version: Int16, error: ErrorCode) -> StopReplicaResponse {
        StopReplicaResponse(
            errorCode: error.rawValue,
            partitionErrors: partitions(request, version: version).map {
                .init(topicName: $0.0, partitionIndex: $0.1, errorCode: error.rawValue)
            })
    }
}
