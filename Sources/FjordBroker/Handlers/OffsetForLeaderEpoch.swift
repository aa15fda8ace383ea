import FjordModel
import FjordReplication
import KafkaProtocol
import NIOCore

/// OffsetForLeaderEpoch (key 23), served 0–3 (consumers use it to detect log truncation after a leader change,
/// KIP-320): for each partition, the end offset of the requested leader epoch on the leader (the start of the next
/// larger epoch, or the log end offset for the current one). v2+ fence on the current leader epoch.
enum OffsetForLeaderEpochHandler {
    static func handle(
        _ request: OffsetForLeaderEpochRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        let snapshot = broker.metadataCache.snapshot
        let response = OffsetForLeaderEpochResponse(
            topics: request.topics.map { topic in
                .init(
                    topic: topic.topic,
                    partitions: topic.partitions.map { partition in
                        let tp = TopicPartition(topic: topic.topic, partition: partition.partition)
                        guard snapshot.partition(tp) != nil else {
                            return failed(partition.partition, .unknownTopicOrPartition)
                        }
                        let current =
                            version >= 2 && partition.currentLeaderEpoch >= 0
                            ? LeaderEpoch(partition.currentLeaderEpoch) : nil
                        let result = broker.replicaManager.offsetForLeaderEpoch(
                            tp, epoch: LeaderEpoch(partition.leaderEpoch), currentLeaderEpoch: current)
                        return .init(
                            errorCode: result.error.rawValue, partition: partition.partition,
                            leaderEpoch: result.leaderEpoch.rawValue, endOffset: result.endOffset.rawValue)
                    })
            })
        return context.eventLoop.makeSucceededFuture(.message(response))
    }

    static func failed(_ partition: Int32, _ error: ErrorCode) -> OffsetForLeaderEpochResponse.EpochEndOffset {
        .init(errorCode: error.rawValue, partition: partition, leaderEpoch: -1, endOffset: -1)
    }

    static func errorResponse(_ request: OffsetForLeaderEpochRequest, error: ErrorCode) -> OffsetForLeaderEpochResponse
    {
        OffsetForLeaderEpochResponse(
            topics: request.topics.map { topic in
                .init(topic: topic.topic, partitions: topic.partitions.map { failed($0.partition, error) })
            })
    }
}
