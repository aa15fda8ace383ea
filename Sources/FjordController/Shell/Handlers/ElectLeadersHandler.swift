import FjordModel
import KafkaProtocol

/// ElectLeaders (API 43, v0–2), forwarded by a broker for an admin client: preferred (0) or unclean (1) election.
/// A null partition list means every partition.
enum ElectLeadersHandler {
    static let versions: ClosedRange<Int16> = 0...2

    static func event(_ request: ElectLeadersRequest, version: Int16) -> ControllerEvent {
        let type: ElectionType = version >= 1 && request.electionType == 1 ? .unclean : .preferred
        guard let topics = request.topicPartitions else { return .electLeaders(type, nil) }
        var partitions = Set<TopicPartition>()
        for topic in topics {
            for p in topic.partitions { partitions.insert(TopicPartition(topic: topic.topic, partition: p)) }
        }
        return .electLeaders(type, partitions)
    }

    static func response(_ reply: ControllerReply) -> ElectLeadersResponse {
        guard case .electLeaders(let top, let outcomes) = reply else {
            return ElectLeadersResponse(errorCode: ControllerErrorCode.unknownServerError.rawValue)
        }
        let byTopic = Dictionary(grouping: outcomes.keys, by: \.topic)
        return ElectLeadersResponse(
            errorCode: top.code.rawValue,
            replicaElectionResults: byTopic.keys.sorted().map { topic in
                ElectLeadersResponse.ReplicaElectionResult(
                    topic: topic.rawValue,
                    partitionResult: byTopic[topic]!.sorted().map { tp in
                        switch outcomes[tp]! {
                        case .elected:
                            return ElectLeadersResponse.PartitionResult(
                                partitionId: tp.partition.rawValue, errorCode: 0)
                        case .failed(let error):
                            return ElectLeadersResponse.PartitionResult(
                                partitionId: tp.partition.rawValue, errorCode: error.code.rawValue,
                                errorMessage: error.message)
                        }
                    })
            })
    }
}
