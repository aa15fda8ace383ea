import FjordModel
import FjordReplication
import KafkaProtocol
import NIOCore

/// LeaderAndIsr (key 4), served 0–7, inter-broker listener only: the controller makes this broker leader or
/// follower of partitions. Fenced first (STALE_BROKER_EPOCH for a broker epoch older than this registration,
/// STALE_CONTROLLER_EPOCH for a controller epoch older than the highest seen); then the topics' config overrides are
/// loaded (so new logs get their topic's settings) and the ReplicaManager applies the request on the blocking pool
/// (it may create log directories).
enum LeaderAndIsrHandler {
    static func handle(
        _ request: LeaderAndIsrRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        if version >= 2 && broker.isBrokerEpochStale(request.brokerEpoch) {
            broker.logger.info(
                "rejected LeaderAndIsr with a stale broker epoch",
                metadata: ["epoch": "\(request.brokerEpoch)", "current": "\(broker.session.brokerEpoch)"])
            return context.eventLoop.makeSucceededFuture(
                .message(errorResponse(request, version: version, error: .staleBrokerEpoch)))
        }
        guard broker.admitControllerEpoch(ControllerEpoch(request.controllerEpoch)) else {
            broker.logger.info(
                "rejected LeaderAndIsr from a stale controller",
                metadata: ["epoch": "\(request.controllerEpoch)", "current": "\(broker.highestControllerEpoch)"])
            return context.eventLoop.makeSucceededFuture(
                .message(errorResponse(request, version: version, error: .staleControllerEpoch)))
        }
        let topics =
            version >= 2
            ? request.topicStates.map { TopicName($0.topicName) }
            : request.ungroupedPartitionStates.map { TopicName($0.topicName) }
        let eventLoop = context.eventLoop
        return eventLoop.makeFutureWithTask {
            await broker.topicConfigs.ensureLoaded(topics)
            let response = try await broker.blockingPool.runIfActive {
                broker.replicaManager.becomeLeaderOrFollower(request, version: version)
            }
            broker.logger.info(
                "applied LeaderAndIsr",
                metadata: [
                    "controller": "\(request.controllerId)", "controller_epoch": "\(request.controllerEpoch)",
                    "partitions": "\(partitionCount(request, version: version))",
                ])
            return .message(response)
        }
    }

    static func partitionCount(_ request: LeaderAndIsrRequest, version: Int16) -> Int {
        version >= 2
            ? request.topicStates.reduce(0) { $0 + $1.partitionStates.count } : request.ungroupedPartitionStates.count
    }

    static func errorResponse(_ request: LeaderAndIsrRequest, version: Int16, error: ErrorCode)
        -> LeaderAndIsrResponse
    {
        if version >= 5 {
            return LeaderAndIsrResponse(
                errorCode: error.rawValue,
                topics: request.topicStates.map { topic in
                    .init(
                        topicId: topic.topicId,
                        partitionErrors: topic.partitionStates.map {
                            .init(partitionIndex: $0.partitionIndex, errorCode: error.rawValue)
                        })
                })
        }
        let states =
            version >= 2
            ? request.topicStates.flatMap { topic in topic.partitionStates.map { (topic.topicName, $0) } }
            : request.ungroupedPartitionStates.map { ($0.topicName, $0) }
        return LeaderAndIsrResponse(
            errorCode: error.rawValue,
            partitionErrors: states.map {
                .init(topicName: $0.0, partitionIndex: $0.1.partitionIndex, errorCode: error.rawValue)
            })
    }
}
