import FjordReplication
import KafkaProtocol
import NIOCore

extension BrokerRequestProcessor {
    /// Routes the data-path and control requests, which the ReplicaManager serves.
    func dispatchData(_ body: KafkaRequestBody, _ context: RequestContext) -> EventLoopFuture<HandlerOutput> {
        let b = broker
        switch body {
        case .produce(let r): return ProduceHandler.handle(r, context, b)
        case .fetch(let r): return FetchHandler.handle(r, context, b)
        case .listOffsets(let r): return ListOffsetsHandler.handle(r, context, b)
        case .offsetForLeaderEpoch(let r): return OffsetForLeaderEpochHandler.handle(r, context, b)
        case .deleteRecords(let r): return DeleteRecordsHandler.handle(r, context, b)
        case .leaderAndIsr(let r): return LeaderAndIsrHandler.handle(r, context, b)
        case .stopReplica(let r): return StopReplicaHandler.handle(r, context, b)
        default: break
        }
        return context.eventLoop.makeFailedFuture(RequestRejected("\(context.apiKey.name) has no handler"))
    }
}

extension ErrorResponses {
    static func dataErrorResponse(for body: KafkaRequestBody, version: Int16, error: ErrorCode)
        -> (any KafkaResponse)?
    {
        switch body {
        case .produce(let r): ProduceHandler.errorResponse(r, error: error)
        case .fetch(let r): FetchHandler.errorResponse(r, error: error)
        case .listOffsets(let r): ListOffsetsHandler.errorResponse(r, error: error)
        case .offsetForLeaderEpoch(let r): OffsetForLeaderEpochHandler.errorResponse(r, error: error)
        case .deleteRecords(let r): DeleteRecordsHandler.errorResponse(r, error: error)
        case .leaderAndIsr(let r): LeaderAndIsrHandler.errorResponse(r, version: version, error: error)
        case .stopReplica(let r): StopReplicaHandler.errorResponse(r, version: version, error: error)
        default: nil
        }
    }
}
