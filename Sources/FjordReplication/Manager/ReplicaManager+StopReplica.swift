import FjordModel
import KafkaProtocol

extension ReplicaManager {
    /// Applies a StopReplica request (Kafka's `stopReplicas`); the broker has already checked its controller and
    /// broker epochs. Per partition: a request leader epoch of -2 (topic deletion), -1 (no epoch, v0–v2) or at
    /// least the partition's stops it, an older one is answered FENCED_LEADER_EPOCH. Stopping removes the fetcher,
    /// serves nothing more and answers the partition's delayed operations; with delete, the partition is forgotten
    /// and its log deleted (also when no partition is hosted but a log exists, e.g. a topic deleted while this
    /// broker was down). Blocking when deleting: call off the event loops.
    public func stopReplicas(_ request: StopReplicaRequest, version: Int16) -> StopReplicaResponse {
        let entries = Self.stopEntries(of: request, version: version)
        var errors: [StopReplicaResponse.StopReplicaPartitionError] = []
        controlLock.withLock { _ in
            var stopped: [(TopicPartition, LeaderEpoch, Bool)] = []
            for (tp, epoch, delete) in entries {
                if let existing = partition(tp), epoch.rawValue >= 0, epoch < existing.leaderEpoch {
                    errors.append(Self.stopError(tp, .fencedLeaderEpoch))
                    continue
                }
                stopped.append((tp, epoch, delete))
            }
            fetcherManager.removePartitions(Set(stopped.map(\.0)))
            for (tp, epoch, delete) in stopped {
                let error = stop(tp, leaderEpoch: epoch, delete: delete)
                errors.append(Self.stopError(tp, error))
            }
        }
        return StopReplicaResponse(errorCode: 0, partitionErrors: errors)
    }

    private func stop(_ tp: TopicPartition, leaderEpoch: LeaderEpoch, delete: Bool) -> ErrorCode {
        if let partition = partition(tp) {
            partition.stop(leaderEpoch: leaderEpoch)
            if delete { partitions.withLock { _ = $0.removeValue(forKey: tp) } }
        }
        completeDelayedRequests(tp)
        guard delete else { return .noError }
        do {
            try logManager.deleteLog(tp)
            return .noError
        } catch {
            logger.error("cannot delete log", metadata: ["partition": "\(tp)", "error": "\(error)"])
            return .kafkaStorageError
        }
    }

    static func stopEntries(of request: StopReplicaRequest, version: Int16) -> [(TopicPartition, LeaderEpoch, Bool)] {
        switch version {
        case 0:
            return request.ungroupedPartitions.map {
                (TopicPartition(topic: $0.topicName, partition: $0.partitionIndex), .none, request.deletePartitions)
            }
        case 1...2:
            return request.topics.flatMap { topic in
                topic.partitionIndexes.map {
                    (TopicPartition(topic: topic.name, partition: $0), LeaderEpoch.none, request.deletePartitions)
                }
            }
        default:
            return request.topicStates.flatMap { topic in
                topic.partitionStates.map {
                    (
                        TopicPartition(topic: topic.topicName, partition: $0.partitionIndex),
                        LeaderEpoch($0.leaderEpoch), $0.deletePartition
                    )
                }
            }
        }
    }

    private static func stopError(_ tp: TopicPartition, _ error: ErrorCode)
        -> StopReplicaResponse.StopReplicaPartitionError
    {
        StopReplicaResponse.StopReplicaPartitionError(
            topicName: tp.topic.rawValue, partitionIndex: tp.partition.rawValue, errorCode: error.rawValue)
    }
}
