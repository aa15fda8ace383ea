import FjordModel
import KafkaProtocol
import NIOCore

#if FJORD_REPLICATION
    import FjordReplication
#endif

/// Produce (key 0), served 3–8 (0–2 are advertised for librdkafka's sake, trap 3, and answered UNSUPPORTED_VERSION).
///
/// Checks, then hands every partition's records to `ReplicaManager.appendRecords` in one call (which validates the
/// batches, de-duplicates idempotent producers and waits for acks=all):
/// - acks other than -1, 0, 1: INVALID_REQUIRED_ACKS on every partition;
/// - a transactional id: TRANSACTIONAL_ID_AUTHORIZATION_FAILED (Fjord has no transactions);
/// - a partition the metadata cache does not know: UNKNOWN_TOPIC_OR_PARTITION; null records: CORRUPT_MESSAGE.
/// acks=0 sends no response; if a partition failed the connection is closed instead, as Kafka does, so the client
/// notices.
enum ProduceHandler {
    #if FJORD_REPLICATION
        static func handle(
            _ request: ProduceRequest, _ context: RequestContext, _ broker: BrokerContext
        ) -> EventLoopFuture<HandlerOutput> {
            let version = context.apiVersion
            let eventLoop = context.eventLoop
            var errors: [TopicPartition: ErrorCode] = [:]
            var entries: [(TopicPartition, ByteBuffer)] = []
            let snapshot = broker.metadataCache.snapshot
            let globalError: ErrorCode? =
                ![-1, 0, 1].contains(request.acks)
                ? .invalidRequiredAcks
                : (request.transactionalId != nil ? .transactionalIdAuthorizationFailed : nil)
            for topic in request.topicData {
                for partition in topic.partitionData {
                    let tp = TopicPartition(topic: topic.name, partition: partition.index)
                    if let globalError {
                        errors[tp] = globalError
                    } else if snapshot.partition(tp) == nil {
                        errors[tp] = .unknownTopicOrPartition
                    } else if let records = partition.records {
                        entries.append((tp, records))
                    } else {
                        errors[tp] = .corruptMessage
                    }
                }
            }
            let appended: EventLoopFuture<[TopicPartition: PartitionAppendResult]> =
                entries.isEmpty
                ? eventLoop.makeSucceededFuture([:])
                : broker.replicaManager.appendRecords(
                    acks: request.acks, timeoutMs: request.timeoutMs, entries: entries, eventLoop: eventLoop)
            let refused = errors
            return appended.flatMapThrowing { results in
                if request.acks == 0 {
                    let failed = !refused.isEmpty || results.values.contains { $0.error != .noError }
                    if failed { throw RequestRejected("acks=0 produce failed; closing so the client notices") }
                    return .none
                }
                return .message(response(request, version: version, errors: refused, results: results))
            }
        }

        static func response(
            _ request: ProduceRequest, version: Int16, errors: [TopicPartition: ErrorCode],
            results: [TopicPartition: PartitionAppendResult]
        ) -> ProduceResponse {
            ProduceResponse(
                responses: request.topicData.map { topic in
                    .init(
                        name: topic.name,
                        partitionResponses: topic.partitionData.map { partition in
                            let tp = TopicPartition(topic: topic.name, partition: partition.index)
                            guard let result = results[tp] else {
                                return failed(partition.index, errors[tp] ?? .unknownServerError)
                            }
                            return .init(
                                index: partition.index, errorCode: result.error.rawValue,
                                baseOffset: result.baseOffset.rawValue, logAppendTimeMs: result.logAppendTime.rawValue,
                                logStartOffset: result.logStartOffset.rawValue,
                                errorMessage: version >= 8 && result.error != .noError ? result.errorMessage : nil)
                        })
                })
        }
    #endif

    static func failed(_ index: Int32, _ error: ErrorCode) -> ProduceResponse.PartitionProduceResponse {
        .init(index: index, errorCode: error.rawValue, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1)
    }

    static func errorResponse(_ request: ProduceRequest, error: ErrorCode) -> ProduceResponse {
        ProduceResponse(
            responses: request.topicData.map { topic in
                .init(name: topic.name, partitionResponses: topic.partitionData.map { failed($0.index, error) })
            })
    }
}
