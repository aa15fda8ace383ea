import FjordCoordinator
import FjordModel
import KafkaProtocol
import NIOCore

/// FindCoordinator (key 10), served 0–2 (the codec reads up to v6's batched keys). For a group key, the group
/// coordinator picks the broker (the live owner recorded in ZooKeeper, else a deterministic choice among live
/// brokers) and the answer carries that broker's endpoint on the listener the client connected on. No live broker,
/// or one without that listener, is COORDINATOR_NOT_AVAILABLE. Transaction coordinators do not exist in Fjord:
/// key type 1 is INVALID_REQUEST.
enum FindCoordinatorHandler {
    static func handle(
        _ request: FindCoordinatorRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        return context.eventLoop.makeFutureWithTask {
            let keys = version >= 4 ? request.coordinatorKeys : [request.key]
            var found: [(key: String, error: ErrorCode, message: String?, node: Int32, host: String, port: Int32)] = []
            for key in keys {
                let (error, message, endpoint) = await locate(
                    key, keyType: request.keyType, listener: context.listenerName, broker)
                found.append(
                    (key, error, message, endpoint?.id ?? -1, endpoint?.host ?? "", endpoint?.port ?? -1))
            }
            if version >= 4 {
                return .message(
                    FindCoordinatorResponse(
                        coordinators: found.map {
                            .init(
                                key: $0.key, nodeId: $0.node, host: $0.host, port: $0.port,
                                errorCode: $0.error.rawValue, errorMessage: $0.message)
                        }))
            }
            let only = found[0]
            return .message(
                FindCoordinatorResponse(
                    errorCode: only.error.rawValue, errorMessage: version >= 1 ? only.message : nil,
                    nodeId: only.node, host: only.host, port: only.port))
        }
    }

    static func locate(_ key: String, keyType: Int8, listener: String, _ broker: BrokerContext) async
        -> (ErrorCode, String?, (id: Int32, host: String, port: Int32)?)
    {
        guard keyType == 0 else {
            return (.invalidRequest, "Fjord has no transaction coordinator.", nil)
        }
        guard !key.isEmpty else { return (.invalidRequest, "The group id is empty.", nil) }
        guard let coordinator = broker.groupCoordinator else { return (.coordinatorNotAvailable, nil, nil) }
        do {
            guard let id = try await coordinator.findCoordinator(GroupID(key)),
                let endpoint = broker.metadataCache.snapshot.endpoint(of: id, listener: listener)
            else { return (.coordinatorNotAvailable, "The coordinator is not available.", nil) }
            return (.noError, nil, (id.rawValue, endpoint.host, endpoint.port))
        } catch {
            return (.coordinatorNotAvailable, "The coordinator is not available.", nil)
        }
    }

    static func errorResponse(_ request: FindCoordinatorRequest, version: Int16, error: ErrorCode)
        -> FindCoordinatorResponse
    {
        if version >= 4 {
            return FindCoordinatorResponse(
                coordinators: request.coordinatorKeys.map {
                    .init(key: $0, nodeId: -1, host: "", port: -1, errorCode: error.rawValue)
                })
        }
        return FindCoordinatorResponse(errorCode: error.rawValue, nodeId: -1, host: "", port: -1)
    }
}
