import FjordModel
import KafkaProtocol

/// ControlledShutdown (API 7, v1–3): a broker about to stop asks the controller to move leadership away. v0 (with
/// its header without client id) is not served; Kafka brokers have not sent it since 0.9.
enum ControlledShutdownHandler {
    static let versions: ClosedRange<Int16> = 1...3

    static func event(_ request: ControlledShutdownRequest, version: Int16) -> ControllerEvent {
        .controlledShutdown(
            broker: BrokerID(request.brokerId), brokerEpoch: version >= 2 ? BrokerEpoch(request.brokerEpoch) : .none)
    }

    static func response(_ reply: ControllerReply) -> ControlledShutdownResponse {
        guard case .controlledShutdown(let error, let remaining) = reply else {
            return ControlledShutdownResponse(errorCode: ControllerErrorCode.unknownServerError.rawValue)
        }
        return ControlledShutdownResponse(
            errorCode: error.rawValue,
            remainingPartitions: remaining.map {
                ControlledShutdownResponse.RemainingPartition(
                    topicName: $0.topic.rawValue, partitionIndex: $0.partition.rawValue)
            })
    }
}
