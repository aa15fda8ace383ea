import FjordModel
import KafkaProtocol
import KafkaWire

/// AlterPartition (API 56, v0–3): a partition leader asks to change its ISR (KIP-497). v0–1 name topics, v2+ use
/// topic ids; v3 sends ISR members with their broker epochs (KIP-903), of which the controller uses the ids.
enum AlterPartitionHandler {
    static let versions: ClosedRange<Int16> = 0...3

    static func event(_ request: KafkaProtocol.AlterPartitionRequest, version: Int16) -> ControllerEvent {
        let topics = request.topics.map { topic in
            AlterPartitionRequest.Topic(
                topic: version >= 2 ? .id(topic.topicId.description) : .name(TopicName(topic.topicName)),
                partitions: topic.partitions.map { p in
                    AlterPartitionRequest.Partition(
                        partition: PartitionID(p.partitionIndex), leaderEpoch: LeaderEpoch(p.leaderEpoch),
                        newIsr: (version >= 3 ? p.newIsrWithEpochs.map(\.brokerId) : p.newIsr).map { BrokerID($0) },
                        leaderRecoveryState: p.leaderRecoveryState, partitionEpoch: PartitionEpoch(p.partitionEpoch))
                })
        }
        return .alterPartition(
            AlterPartitionRequest(
                brokerID: BrokerID(request.brokerId), brokerEpoch: BrokerEpoch(request.brokerEpoch), version: version,
                topics: topics))
    }

    static func response(_ reply: ControllerReply, version: Int16) -> AlterPartitionResponse {
        guard case .alterPartition(let answer) = reply else {
            return AlterPartitionResponse(errorCode: ControllerErrorCode.unknownServerError.rawValue)
        }
        return AlterPartitionResponse(
            errorCode: answer.error.rawValue,
            topics: answer.topics.map { topic in
                let name: String =
                    if case .name(let n) = topic.topic { n.rawValue } else { "" }
                return AlterPartitionResponse.TopicData(
                    topicName: version < 2 ? name : "",
                    topicId: version >= 2 ? (topic.topicID.flatMap { KafkaUUID(base64URL: $0) } ?? .zero) : .zero,
                    partitions: topic.partitions.map { p in
                        AlterPartitionResponse.PartitionData(
                            partitionIndex: p.partition.rawValue, errorCode: p.error.rawValue,
                            leaderId: p.state?.leader.rawValue ?? -1, leaderEpoch: p.state?.leaderEpoch.rawValue ?? -1,
                            isr: p.state?.isr.map(\.rawValue) ?? [],
                            leaderRecoveryState: version >= 1 ? (p.state?.leaderRecoveryState ?? 0) : 0,
                            partitionEpoch: p.state?.partitionEpoch.rawValue ?? -1)
                    })
            })
    }
}
