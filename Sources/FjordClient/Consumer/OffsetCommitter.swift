import FjordModel
import KafkaProtocol

/// OffsetCommit and OffsetFetch against a group coordinator, for consumers and for the admin client (which commits
/// as a "simple consumer": generation -1, no member id, accepted only while the group has no members).
enum OffsetCommitter {
    /// Commits `offsets`; throws the first partition error.
    static func commit(
        _ offsets: [TopicPartition: Offset], group: String, generation: Int32, memberId: String,
        connection: BrokerConnection
    ) async throws {
        let version = try connection.requireVersion(.offsetCommit)
        var byTopic: [TopicName: [OffsetCommitRequest.OffsetCommitRequestPartition]] = [:]
        for (tp, offset) in offsets {
            byTopic[tp.topic, default: []].append(
                OffsetCommitRequest.OffsetCommitRequestPartition(
                    partitionIndex: tp.partition.rawValue, committedOffset: offset.rawValue, committedLeaderEpoch: -1,
                    committedMetadata: ""))
        }
        let request = OffsetCommitRequest(
            groupId: group, generationIdOrMemberEpoch: generation, memberId: memberId, groupInstanceId: nil,
            retentionTimeMs: -1,
            topics: byTopic.keys.sorted().map {
                OffsetCommitRequest.OffsetCommitRequestTopic(name: $0.rawValue, partitions: byTopic[$0]!)
            })
        let response = try await connection.send(request, version: version)
        for topic in response.topics {
            for p in topic.partitions where p.errorCode != 0 {
                throw KafkaClientError.broker(
                    ErrorCode(p.errorCode), "offset commit failed",
                    topicPartition: TopicPartition(TopicName(topic.name), PartitionID(p.partitionIndex)))
            }
        }
    }

    /// The committed offsets of `partitions` (nil where none is committed); `partitions` nil asks for all the
    /// group's committed offsets (OffsetFetch v2+).
    static func fetch(_ partitions: [TopicPartition]?, group: String, connection: BrokerConnection) async throws
        -> [TopicPartition: Offset?]
    {
        let version = try connection.requireVersion(.offsetFetch)
        var request = OffsetFetchRequest(groupId: group)
        if let partitions {
            var byTopic: [TopicName: [Int32]] = [:]
            for tp in partitions { byTopic[tp.topic, default: []].append(tp.partition.rawValue) }
            request.topics = byTopic.keys.sorted().map {
                OffsetFetchRequest.OffsetFetchRequestTopic(name: $0.rawValue, partitionIndexes: byTopic[$0]!.sorted())
            }
        } else {
            guard version >= 2 else {
                throw KafkaClientError(.unsupportedVersion, "listing all committed offsets needs OffsetFetch v2+")
            }
            request.topics = nil
        }
        let response = try await connection.send(request, version: version)
        if version >= 2, response.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(response.errorCode), "offset fetch failed for group \(group)")
        }
        var result: [TopicPartition: Offset?] = [:]
        for topic in response.topics {
            for p in topic.partitions {
                let tp = TopicPartition(TopicName(topic.name), PartitionID(p.partitionIndex))
                let code = ErrorCode(p.errorCode)
                if code != .noError && code != .unknownTopicOrPartition {
                    throw KafkaClientError.broker(code, "offset fetch failed", topicPartition: tp)
                }
                result[tp] = p.committedOffset >= 0 ? Offset(p.committedOffset) : nil
            }
        }
        return result
    }
}
