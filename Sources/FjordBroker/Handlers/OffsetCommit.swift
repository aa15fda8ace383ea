import FjordCoordinator
import FjordModel
import KafkaProtocol
import NIOCore

/// OffsetCommit (key 8), served 0–7. Partitions of topics the metadata cache does not know get
/// UNKNOWN_TOPIC_OR_PARTITION; the others go to the coordinator in one call (one ZooKeeper transaction). v0 commits
/// without a generation; v1 carries a commit timestamp, v2–v4 a retention time, v6+ the leader epoch, v7 the
/// group instance id. Metadata strings round-trip unchanged.
enum OffsetCommitHandler {
    static func handle(
        _ request: OffsetCommitRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        let snapshot = broker.metadataCache.snapshot
        var entries: [OffsetCommitEntry] = []
        var unknown = Set<TopicPartition>()
        for topic in request.topics {
            for partition in topic.partitions {
                let tp = TopicPartition(topic: topic.name, partition: partition.partitionIndex)
                guard snapshot.partition(tp) != nil else {
                    unknown.insert(tp)
                    continue
                }
                entries.append(
                    OffsetCommitEntry(
                        partition: tp, offset: Offset(partition.committedOffset),
                        leaderEpoch: version >= 6 ? LeaderEpoch(partition.committedLeaderEpoch) : .none,
                        metadata: partition.committedMetadata,
                        commitTimestamp: version == 1 ? TimestampMs(partition.commitTimestamp) : .none))
            }
        }
        let input = OffsetCommitInput(
            memberID: MemberID(version >= 1 ? request.memberId : ""),
            generation: GenerationID(version >= 1 ? request.generationIdOrMemberEpoch : -1),
            groupInstanceID: request.groupInstanceId.map { GroupInstanceID($0) },
            retentionTimeMs: (2...4).contains(version) ? request.retentionTimeMs : -1, entries: entries)
        let (commits, unknownPartitions) = (entries, unknown)
        return context.eventLoop.makeFutureWithTask {
            var errors: [TopicPartition: Int16] = [:]
            for tp in unknownPartitions { errors[tp] = ErrorCode.unknownTopicOrPartition.rawValue }
            if !commits.isEmpty {
                if let coordinator = broker.groupCoordinator {
                    for result in await coordinator.commitOffsets(GroupID(request.groupId), input) {
                        errors[result.partition] = result.error.rawValue
                    }
                } else {
                    for entry in commits { errors[entry.partition] = ErrorCode.coordinatorNotAvailable.rawValue }
                }
            }
            return .message(
                OffsetCommitResponse(
                    topics: request.topics.map { topic in
                        .init(
                            name: topic.name,
                            partitions: topic.partitions.map {
                                .init(
                                    partitionIndex: $0.partitionIndex,
                                    errorCode: errors[TopicPartition(topic: topic.name, partition: $0.partitionIndex)]
                                        ?? 0)
                            })
                    }))
        }
    }

    static func errorResponse(_ request: OffsetCommitRequest, error: ErrorCode) -> OffsetCommitResponse {
        OffsetCommitResponse(
            topics: request.topics.map { topic in
                .init(
                    name: topic.name,
                    partitions: topic.partitions.map {
                        .init(partitionIndex: $0.partitionIndex, errorCode: error.rawValue)
                    })
            })
    }
}
