import FjordModel
import KafkaProtocol
import NIOCore

/// UpdateMetadata (key 6), served 0–8, inter-broker listener only. Fenced first: a broker epoch older than this
/// broker's registration is STALE_BROKER_EPOCH, a controller epoch older than the highest seen is
/// STALE_CONTROLLER_EPOCH. Then the metadata cache takes the request whole (live brokers, partition states, topic
/// ids, deleted topics), which wakes admin requests waiting for the controller.
enum UpdateMetadataHandler {
    static func handle(
        _ request: UpdateMetadataRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        if version >= 5 && broker.isBrokerEpochStale(request.brokerEpoch) {
            broker.logger.info(
                "rejected UpdateMetadata with a stale broker epoch",
                metadata: ["epoch": "\(request.brokerEpoch)", "current": "\(broker.session.brokerEpoch)"])
            return context.eventLoop.makeSucceededFuture(.message(errorResponse(request, error: .staleBrokerEpoch)))
        }
        guard broker.admitControllerEpoch(ControllerEpoch(request.controllerEpoch)) else {
            broker.logger.info(
                "rejected UpdateMetadata from a stale controller",
                metadata: ["epoch": "\(request.controllerEpoch)", "current": "\(broker.highestControllerEpoch)"])
            return context.eventLoop.makeSucceededFuture(
                .message(errorResponse(request, error: .staleControllerEpoch)))
        }
        let removed = broker.metadataCache.apply(request, version: version)
        broker.logger.debug(
            "metadata updated",
            metadata: [
                "controller": "\(request.controllerId)", "controller_epoch": "\(request.controllerEpoch)",
                "brokers": "\(request.liveBrokers.count)", "removed_partitions": "\(removed.count)",
            ])
        return context.eventLoop.makeSucceededFuture(.message(UpdateMetadataResponse(errorCode: 0)))
    }

    static func errorResponse(_ request: UpdateMetadataRequest, error: ErrorCode) -> UpdateMetadataResponse {
        UpdateMetadataResponse(errorCode: error.rawValue)
    }
}
