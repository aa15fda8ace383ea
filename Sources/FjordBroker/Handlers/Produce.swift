import FjordModel
import FjordReplication
import KafkaProtocol
import KafkaWire
import NIOCore

/// Produce (key 0), served 3–8 (0–2 are advertised for librdkafka's sake, trap 3, and answered UNSUPPORTED_VERSION).
///
/// Checks, then hands every partition's records to `ReplicaManager.appendRecords` in one call (which validates the
/// batches, de-duplicates idempotent producers and waits for acks=all):
/// - acks other than -1, 0, 1: INVALID_REQUIRED_ACKS on every partition;
/// - a transactional id: TRANSACTIONAL_ID_AUTHORIZATION_FAILED (Fjord has no transactions);
/// - a partition the metadata cache does not know: UNKNOWN_TOPIC_OR_PARTITION; null records: CORRUPT_MESSAGE.
/// acks=0 sends no response; if a partition failed the connection is closed instead, as Kafka does, so the client
/// notices.
///
/// Metrics: the record batch bytes and records of every partition appended count in its topic's
/// `fjord_topic_bytes_in_total` / `fjord_topic_messages_in_total` (read from the batch headers the request still
/// holds: no per-record work); every failed partition counts one Produce error.
enum ProduceHandler {
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
            recordMetrics(request, refused: refused, results: results, broker.metrics)
            if request.acks == 0 {
                let failed = !refused.isEmpty || results.values.contains { $0.error != .noError }
                if failed { throw RequestRejected("acks=0 produce failed; closing so the client notices") }
                return .none
            }
            return .message(response(request, version: version, errors: refused, results: results))
        }
    }

    /// Counts appended bytes and records per topic (one registry lookup per topic) and failed partitions.
    static func recordMetrics(
        _ request: ProduceRequest, refused: [TopicPartition: ErrorCode],
        results: [TopicPartition: PartitionAppendResult], _ metrics: BrokerMetrics
    ) {
        let api = metrics.requests.api(ApiKey.produce.rawValue)
        for (_, code) in refused { api.recordError(code.rawValue) }
        for topic in request.topicData {
            var bytes = 0
            var records = 0
            for partition in topic.partitionData {
                let tp = TopicPartition(topic: topic.name, partition: partition.index)
                guard let result = results[tp] else { continue }
                guard result.error == .noError else {
                    api.recordError(result.error.rawValue)
                    continue
                }
                if let batches = partition.records {
                    let counted = batchTotals(batches)
                    bytes += counted.bytes
                    records += counted.records
                }
            }
            if bytes > 0 { metrics.topics.topic(topic.name).recordAppend(bytes: bytes, records: records) }
        }
    }

    /// The size and record count of the batches in `buffer`, from their headers (at most 1024 batches walked;
    /// a header that does not fit ends the walk).
    static func batchTotals(_ buffer: ByteBuffer) -> (bytes: Int, records: Int) {
        var position = buffer.readerIndex
        let end = buffer.writerIndex
        var records = 0
        var walked = 0
        while walked < 1024, end - position >= RecordBatchHeader.size,
            let length = buffer.getInteger(at: position + RecordBatchHeader.Position.batchLength, as: Int32.self),
            let count = buffer.getInteger(at: position + RecordBatchHeader.Position.recordCount, as: Int32.self),
            length >= 0, end - position >= RecordBatchHeader.logOverhead + Int(length)
        {
            records += Int(max(0, count))
            position += RecordBatchHeader.logOverhead + Int(length)
            walked += 1
        }
        return (buffer.readableBytes, records)
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
