import FjordModel
import FjordReplication
import KafkaProtocol
import NIOCore

/// ListOffsets (key 2), served 0–5. Timestamp -1 is the latest offset (the high watermark, or the last stable offset
/// for read_committed), -2 the earliest, anything else the first offset with a timestamp at or after it (time
/// index). v0 answers in `old_style_offsets`; v4+ check and return leader epochs. Partitions named twice are
/// INVALID_REQUEST, unknown ones UNKNOWN_TOPIC_OR_PARTITION. Lookups by time read index files, so they run on the
/// blocking pool.
enum ListOffsetsHandler {
    static func handle(
        _ request: ListOffsetsRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        let snapshot = broker.metadataCache.snapshot
        let committed = version >= 2 && request.isolationLevel == 1
        var counts: [TopicPartition: Int] = [:]
        for topic in request.topics {
            for p in topic.partitions {
                counts[TopicPartition(topic: topic.name, partition: p.partitionIndex), default: 0] += 1
            }
        }
        let partitionCounts = counts
        let work: @Sendable () -> ListOffsetsResponse = {
            ListOffsetsResponse(
                topics: request.topics.map { topic in
                    .init(
                        name: topic.name,
                        partitions: topic.partitions.map { partition in
                            let tp = TopicPartition(topic: topic.name, partition: partition.partitionIndex)
                            if partitionCounts[tp, default: 0] > 1 {
                                return failed(partition.partitionIndex, .invalidRequest, version)
                            }
                            guard snapshot.partition(tp) != nil else {
                                return failed(partition.partitionIndex, .unknownTopicOrPartition, version)
                            }
                            let epoch =
                                version >= 4 && partition.currentLeaderEpoch >= 0
                                ? LeaderEpoch(partition.currentLeaderEpoch) : nil
                            let result = broker.replicaManager.listOffset(
                                tp, timestamp: partition.timestamp, currentLeaderEpoch: epoch,
                                isolationCommitted: committed)
                            guard result.error == .noError else {
                                // OFFSET_NOT_AVAILABLE is new in v5; older clients get LEADER_NOT_AVAILABLE.
                                let error =
                                    result.error == .offsetNotAvailable && version < 5
                                    ? .leaderNotAvailable : result.error
                                return failed(partition.partitionIndex, error, version)
                            }
                            return .init(
                                partitionIndex: partition.partitionIndex, errorCode: 0,
                                oldStyleOffsets: version == 0 ? [result.offset.rawValue] : [],
                                timestamp: version >= 1 ? result.timestamp.rawValue : -1,
                                offset: version >= 1 ? result.offset.rawValue : -1,
                                leaderEpoch: version >= 4 ? result.leaderEpoch.rawValue : -1)
                        })
                })
        }
        let byTime = request.topics.contains { $0.partitions.contains { $0.timestamp >= 0 } }
        guard byTime else { return context.eventLoop.makeSucceededFuture(.message(work())) }
        return broker.blockingPool.runIfActive(eventLoop: context.eventLoop) { HandlerOutput.message(work()) }
    }

    static func failed(_ index: Int32, _ error: ErrorCode, _ version: Int16)
        -> ListOffsetsResponse.ListOffsetsPartitionResponse
    {
        .init(partitionIndex: index, errorCode: error.rawValue, timestamp: -1, offset: -1, leaderEpoch: -1)
    }

    static func errorResponse(_ request: ListOffsetsRequest, error: ErrorCode) -> ListOffsetsResponse {
        ListOffsetsResponse(
            topics: request.topics.map { topic in
                .init(name: topic.name, partitions: topic.partitions.map { failed($0.partitionIndex, error, 0) })
            })
    }
}
