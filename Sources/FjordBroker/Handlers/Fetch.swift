import FjordModel
import FjordNetwork
import FjordReplication
import KafkaProtocol
import NIOCore

/// Fetch (key 1), served 4–11 (consumers; followers use Fjord's own replica fetch protocol).
///
/// Hands the partitions to `ReplicaManager.fetch` (long poll on max wait / min bytes, whole batches up to the high
/// watermark, Kafka's "first batch even if larger than the limit" rule) and writes the response itself
/// (``FetchResponseWriter``) so records leave as file parts, zero copy. Fetch sessions (KIP-227) are not kept:
/// every response carries session id 0, which clients treat as "sessionless, send full requests"; an incremental
/// request naming a session gets FETCH_SESSION_ID_NOT_FOUND. Partitions the metadata cache does not know are
/// UNKNOWN_TOPIC_OR_PARTITION. v11 responses carry preferred_read_replica -1 and an empty aborted-transactions
/// array (trap 4).
///
/// Metrics: the record bytes sent count in the topic's `fjord_topic_bytes_out_total` (one registry lookup per topic
/// with records); every partition answered with an error counts one Fetch error.
enum FetchHandler {
    static func handle(
        _ request: FetchRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        let eventLoop = context.eventLoop
        if version >= 7 && request.sessionId != 0 {
            return eventLoop.makeSucceededFuture(.message(errorResponse(request, error: .fetchSessionIdNotFound)))
        }
        if version >= 7 && request.sessionEpoch != 0 && request.sessionEpoch != -1 {
            return eventLoop.makeSucceededFuture(
                .message(errorResponse(request, error: .invalidFetchSessionEpoch)))
        }
        let snapshot = broker.metadataCache.snapshot
        var partitions: [ConsumerFetchPartition] = []
        for topic in request.topics {
            for partition in topic.partitions {
                let tp = TopicPartition(topic: topic.topic, partition: partition.partition)
                guard snapshot.partition(tp) != nil else { continue }
                partitions.append(
                    ConsumerFetchPartition(
                        topicPartition: tp, fetchOffset: Offset(partition.fetchOffset),
                        currentLeaderEpoch: version >= 9 && partition.currentLeaderEpoch >= 0
                            ? LeaderEpoch(partition.currentLeaderEpoch) : nil,
                        partitionMaxBytes: partition.partitionMaxBytes))
            }
        }
        let fetch = ConsumerFetchRequest(
            maxWaitMs: request.maxWaitMs, minBytes: request.minBytes,
            maxBytes: request.maxBytes, isolationCommitted: request.isolationLevel == 1, partitions: partitions)
        let results: EventLoopFuture<[PartitionFetchResult]> =
            partitions.isEmpty
            ? eventLoop.makeSucceededFuture([]) : broker.replicaManager.fetch(fetch, eventLoop: eventLoop)
        let allocator = context.connection.channel.allocator
        let correlationId = context.correlationId
        return results.map { results in
            let byPartition = Dictionary(results.map { ($0.topicPartition, $0) }, uniquingKeysWith: { a, _ in a })
            let api = broker.metrics.requests.api(ApiKey.fetch.rawValue)
            let topics = request.topics.map { topic in
                var bytesOut = 0
                let partitions = topic.partitions.map { partition in
                    let tp = TopicPartition(topic: topic.topic, partition: partition.partition)
                    guard let result = byPartition[tp] else {
                        api.recordError(ErrorCode.unknownTopicOrPartition.rawValue)
                        return missing(partition.partition, .unknownTopicOrPartition)
                    }
                    let written = written(result, broker)
                    if written.errorCode != 0 { api.recordError(written.errorCode) }
                    bytesOut += written.records?.readableBytes ?? 0
                    return written
                }
                if bytesOut > 0 { broker.metrics.topics.topic(topic.topic).recordFetch(bytes: bytesOut) }
                return FetchResponseWriter.Topic(name: topic.topic, partitions: partitions)
            }
            return .encoded(
                FetchResponseWriter.write(
                    correlationId: correlationId, version: version, topics: topics, allocator: allocator))
        }
    }

    /// A partition's result as the writer takes it; the records become a file region (a duplicate descriptor).
    static func written(_ result: PartitionFetchResult, _ broker: BrokerContext) -> FetchResponseWriter.Partition {
        var partition = FetchResponseWriter.Partition(
            index: result.topicPartition.partition.rawValue, errorCode: result.error.rawValue,
            highWatermark: result.highWatermark.rawValue, lastStableOffset: result.lastStableOffset.rawValue,
            logStartOffset: result.logStartOffset.rawValue, records: nil)
        if result.error == .noError, let records = result.records {
            do {
                partition.records = try records.makeFileRegion()?.region
            } catch {
                broker.logger.warning(
                    "could not open records for sending",
                    metadata: ["partition": "\(result.topicPartition)", "error": "\(error)"])
                partition.errorCode = ErrorCode.kafkaStorageError.rawValue
            }
        }
        return partition
    }

    static func missing(_ index: Int32, _ error: ErrorCode) -> FetchResponseWriter.Partition {
        .init(
            index: index, errorCode: error.rawValue, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1,
            records: nil)
    }

    static func errorResponse(_ request: FetchRequest, error: ErrorCode) -> FetchResponse {
        FetchResponse(
            errorCode: error.rawValue,
            responses: request.topics.map { topic in
                .init(
                    topic: topic.topic, topicId: topic.topicId,
                    partitions: topic.partitions.map {
                        .init(
                            partitionIndex: $0.partition, errorCode: error.rawValue, highWatermark: -1,
                            lastStableOffset: -1, logStartOffset: -1, abortedTransactions: [],
                            records: ByteBuffer())
                    })
            })
    }
}
