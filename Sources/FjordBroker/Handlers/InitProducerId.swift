import FjordCoordinator
import KafkaProtocol
import NIOCore

/// InitProducerId (key 22), served 0–1. Idempotent producers (no transactional id) get a fresh producer id from
/// the cluster-wide block in ZooKeeper (``ProducerIdManager``) with epoch 0, as Kafka does; COORDINATOR_NOT_AVAILABLE
/// (retriable) when a block cannot be claimed. Transactions are not supported: a transactional id is
/// INVALID_REQUEST.
enum InitProducerIdHandler {
    static func handle(
        _ request: InitProducerIdRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        guard request.transactionalId == nil else {
            return context.eventLoop.makeSucceededFuture(.message(errorResponse(request, error: .invalidRequest)))
        }
        return context.eventLoop.makeFutureWithTask {
            do {
                let id = try await broker.producerIdManager.nextProducerID()
                return .message(InitProducerIdResponse(errorCode: 0, producerId: id.rawValue, producerEpoch: 0))
            } catch {
                broker.logger.warning("could not hand out a producer id", metadata: ["error": "\(error)"])
                return .message(errorResponse(request, error: .coordinatorNotAvailable))
            }
        }
    }

    static func errorResponse(_ request: InitProducerIdRequest, error: ErrorCode) -> InitProducerIdResponse {
        InitProducerIdResponse(errorCode: error.rawValue, producerId: -1, producerEpoch: -1)
    }
}
