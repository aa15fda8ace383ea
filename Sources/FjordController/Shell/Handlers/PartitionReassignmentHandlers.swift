import FjordModel
import KafkaProtocol

/// AlterPartitionReassignments (API 45, v0) and ListPartitionReassignments (API 46, v0), forwarded by a broker for
/// an admin client (KIP-455).
enum PartitionReassignmentHandlers {
    static let versions: ClosedRange<Int16> = 0...0

    static func alterEvent(_ request: AlterPartitionReassignmentsRequest) -> ControllerEvent {
        var targets: [TopicPartition: [BrokerID]?] = [:]
        for topic in request.topics {
            for p in topic.partitions {
                targets[TopicPartition(topic: topic.name, partition: p.partitionIndex)] =
                    p.replicas.map { $0.map { BrokerID($0) } }
            }
        }
        return .alterPartitionReassignments(targets)
    }

    static func alterResponse(_ reply: ControllerReply, request: AlterPartitionReassignmentsRequest)
        -> AlterPartitionReassignmentsResponse
    {
        guard case .alterPartitionReassignments(let top, let results) = reply else {
            return AlterPartitionReassignmentsResponse(errorCode: ControllerErrorCode.unknownServerError.rawValue)
        }
        let responses = request.topics.map { topic in
            AlterPartitionReassignmentsResponse.ReassignableTopicResponse(
                name: topic.name,
                partitions: topic.partitions.map { p in
                    let error =
                        results[TopicPartition(topic: topic.name, partition: p.partitionIndex)]
                        ?? ControllerApiError(top.code)
                    return AlterPartitionReassignmentsResponse.ReassignablePartitionResponse(
                        partitionIndex: p.partitionIndex, errorCode: error.code.rawValue, errorMessage: error.message)
                })
        }
        return AlterPartitionReassignmentsResponse(
            errorCode: top.code.rawValue, errorMessage: top.message, responses: top.code.isError ? [] : responses)
    }

    static func listEvent(_ request: ListPartitionReassignmentsRequest) -> ControllerEvent {
        guard let topics = request.topics else { return .listPartitionReassignments(nil) }
        var partitions = Set<TopicPartition>()
        for topic in topics {
            for p in topic.partitionIndexes { partitions.insert(TopicPartition(topic: topic.name, partition: p)) }
        }
        return .listPartitionReassignments(partitions)
    }

    static func listResponse(_ reply: ControllerReply) -> ListPartitionReassignmentsResponse {
        guard case .listPartitionReassignments(let top, let assignments) = reply else {
            return ListPartitionReassignmentsResponse(errorCode: ControllerErrorCode.unknownServerError.rawValue)
        }
        let byTopic = Dictionary(grouping: assignments.keys, by: \.topic)
        return ListPartitionReassignmentsResponse(
            errorCode: top.code.rawValue, errorMessage: top.message,
            topics: byTopic.keys.sorted().map { topic in
                ListPartitionReassignmentsResponse.OngoingTopicReassignment(
                    name: topic.rawValue,
                    partitions: byTopic[topic]!.sorted().map { tp in
                        let a = assignments[tp]!
                        return ListPartitionReassignmentsResponse.OngoingPartitionReassignment(
                            partitionIndex: tp.partition.rawValue, replicas: a.replicas.map(\.rawValue),
                            addingReplicas: a.adding.map(\.rawValue), removingReplicas: a.removing.map(\.rawValue))
                    })
            })
    }
}
