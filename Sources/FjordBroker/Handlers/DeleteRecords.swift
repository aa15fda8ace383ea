import FjordModel
import KafkaProtocol
import NIOCore

#if FJORD_REPLICATION
    import FjordReplication
#endif

/// DeleteRecords (key 21), served 0–1, not advertised: advances each partition's log start offset on its leader
/// (offset -1 means the high watermark) and reports the new low watermark.
enum DeleteRecordsHandler {
    #if FJORD_REPLICATION
        static func handle(
            _ request: DeleteRecordsRequest, _ context: RequestContext, _ broker: BrokerContext
        ) -> EventLoopFuture<HandlerOutput> {
            let snapshot = broker.metadataCache.snapshot
            return broker.blockingPool.runIfActive(eventLoop: context.eventLoop) {
                HandlerOutput.message(
                    DeleteRecordsResponse(
                        topics: request.topics.map { topic in
                            .init(
                                name: topic.name,
                                partitions: topic.partitions.map { partition in
                                    let tp = TopicPartition(topic: topic.name, partition: partition.partitionIndex)
                                    guard snapshot.partition(tp) != nil else {
                                        return .init(
                                            partitionIndex: partition.partitionIndex, lowWatermark: -1,
                                            errorCode: ErrorCode.unknownTopicOrPartition.rawValue)
                                    }
                                    let (error, low) = broker.replicaManager.deleteRecords(
                                        tp, beforeOffset: Offset(partition.offset))
                                    return .init(
                                        partitionIndex: partition.partitionIndex, lowWatermark: low.rawValue,
                                        errorCode: error.rawValue)
                                })
                        }))
            }
        }
    #endif

    static func errorResponse(_ request: DeleteRecordsRequest, error: ErrorCode) -> DeleteRecordsResponse {
        DeleteRecordsResponse(
            topics: request.topics.map { topic in
                .init(
                    name: topic.name,
                    partitions: topic.partitions.map {
                        .init(partitionIndex: $0.partitionIndex, lowWatermark: -1, errorCode: error.rawValue)
                    })
            })
    }
}
