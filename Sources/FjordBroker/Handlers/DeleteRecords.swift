import FjordModel
import FjordReplication
import KafkaProtocol
import NIOCore

/// DeleteRecords (key 21), served and advertised 0–1: advances each partition's log start offset on its leader
/// (offset -1 means the high watermark) and reports the new low watermark.
enum DeleteRecordsHandler {
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
