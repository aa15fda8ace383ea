import FjordCoordinator
import FjordModel
import KafkaProtocol
import NIOCore

/// OffsetFetch (key 9), served 0–5. A null topic list (v2+) asks for every committed partition. Partitions without
/// a committed offset report offset -1 and no error. v0–v1 have no group-level error, so a group error (for
/// example NOT_COORDINATOR) is reported on every partition, as Kafka does; v2+ report it once.
enum OffsetFetchHandler {
    static func handle(
        _ request: OffsetFetchRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        let partitions: [TopicPartition]? = request.topics.map { topics in
            topics.flatMap { topic in topic.partitionIndexes.map { TopicPartition(topic: topic.name, partition: $0) } }
        }
        return context.eventLoop.makeFutureWithTask {
            guard let coordinator = broker.groupCoordinator else {
                return .message(errorResponse(request, version: version, error: .coordinatorNotAvailable))
            }
            let outcome = await coordinator.fetchOffsets(
                GroupID(request.groupId), partitions: partitions, requireStable: request.requireStable)
            if outcome.error != .none {
                return .message(errorResponse(request, version: version, error: ErrorCode(outcome.error.rawValue)))
            }
            var byTopic: [String: [OffsetFetchResponse.OffsetFetchResponsePartition]] = [:]
            var order: [String] = []
            for fetched in outcome.partitions {
                let name = fetched.partition.topic.rawValue
                if byTopic[name] == nil { order.append(name) }
                byTopic[name, default: []].append(
                    .init(
                        partitionIndex: fetched.partition.partition.rawValue, committedOffset: fetched.offset.rawValue,
                        committedLeaderEpoch: version >= 5 ? fetched.leaderEpoch.rawValue : -1,
                        metadata: fetched.metadata, errorCode: fetched.error.rawValue))
            }
            return .message(
                OffsetFetchResponse(topics: order.map { .init(name: $0, partitions: byTopic[$0] ?? []) }, errorCode: 0))
        }
    }

    static func errorResponse(_ request: OffsetFetchRequest, version: Int16, error: ErrorCode) -> OffsetFetchResponse {
        if version >= 2 { return OffsetFetchResponse(errorCode: error.rawValue) }
        return OffsetFetchResponse(
            topics: (request.topics ?? []).map { topic in
                .init(
                    name: topic.name,
                    partitions: topic.partitionIndexes.map {
                        .init(partitionIndex: $0, committedOffset: -1, metadata: "", errorCode: error.rawValue)
                    })
            })
    }
}
