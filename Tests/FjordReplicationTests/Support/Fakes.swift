import FjordModel
import FjordReplication
import KafkaProtocol
import Synchronization

/// Where the test brokers listen, which are live, and with which epoch.
final class FakeEndpoints: BrokerEndpointResolver {
    struct Broker: Sendable {
        var port: Int
        var epoch: BrokerEpoch
        var live: Bool
    }

    let brokers = Mutex<[BrokerID: Broker]>([:])

    func set(_ id: BrokerID, port: Int, epoch: BrokerEpoch, live: Bool = true) {
        brokers.withLock { $0[id] = Broker(port: port, epoch: epoch, live: live) }
    }

    func epoch(of id: BrokerID) -> BrokerEpoch { brokers.withLock { $0[id]?.epoch ?? .none } }

    func interBrokerEndpoint(of broker: BrokerID) -> (host: String, port: Int)? {
        brokers.withLock { $0[broker] }.map { ("127.0.0.1", $0.port) }
    }

    func isLive(_ broker: BrokerID) -> Bool { brokers.withLock { $0[broker]?.live ?? false } }

    func liveBrokerEpoch(of broker: BrokerID) -> BrokerEpoch? {
        brokers.withLock { $0[broker] }.flatMap { $0.live ? $0.epoch : nil }
    }
}

/// A controller that applies AlterPartition as Fjord's (and Kafka's) does: the sender must be registered with its
/// epoch; per partition the leader epoch must be current (FENCED_LEADER_EPOCH if older) and the partition epoch
/// must match (INVALID_UPDATE_VERSION), then the ISR is written and the partition epoch bumped.
final class FakeController: ControllerChannel {
    struct PartitionState: Sendable, Hashable {
        var leader: BrokerID
        var leaderEpoch: LeaderEpoch
        var isr: [BrokerID]
        var partitionEpoch: Int32
        var replicas: [BrokerID]
    }

    let endpoints: FakeEndpoints
    let state = Mutex<[TopicPartition: PartitionState]>([:])
    let requestCount = Mutex(0)

    init(endpoints: FakeEndpoints) { self.endpoints = endpoints }

    subscript(tp: TopicPartition) -> PartitionState? { state.withLock { $0[tp] } }

    func alterPartition(_ request: AlterPartitionRequest) async throws -> AlterPartitionResponse {
        requestCount.withLock { $0 += 1 }
        let sender = BrokerID(request.brokerId)
        guard endpoints.liveBrokerEpoch(of: sender) == BrokerEpoch(request.brokerEpoch) else {
            return AlterPartitionResponse(errorCode: ErrorCode.staleBrokerEpoch.rawValue)
        }
        let topics = request.topics.map { topic in
            AlterPartitionResponse.TopicData(
                topicName: topic.topicName,
                partitions: topic.partitions.map { partition in
                    apply(
                        TopicPartition(topic: topic.topicName, partition: partition.partitionIndex), partition, sender)
                })
        }
        return AlterPartitionResponse(topics: topics)
    }

    private func apply(_ tp: TopicPartition, _ partition: AlterPartitionRequest.PartitionData, _ sender: BrokerID)
        -> AlterPartitionResponse.PartitionData
    {
        state.withLock { states in
            var answer = AlterPartitionResponse.PartitionData(partitionIndex: partition.partitionIndex)
            guard var current = states[tp] else {
                answer.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                return answer
            }
            if partition.leaderEpoch < current.leaderEpoch.rawValue {
                answer.errorCode = ErrorCode.fencedLeaderEpoch.rawValue
            } else if partition.partitionEpoch != current.partitionEpoch || sender != current.leader {
                answer.errorCode = ErrorCode.invalidUpdateVersion.rawValue
            } else {
                current.isr = partition.newIsr.map { BrokerID($0) }
                current.partitionEpoch += 1
                states[tp] = current
            }
            answer.leaderId = current.leader.rawValue
            answer.leaderEpoch = current.leaderEpoch.rawValue
            answer.isr = current.isr.map(\.rawValue)
            answer.partitionEpoch = current.partitionEpoch
            return answer
        }
    }

    /// Elects `leader` with a new leader epoch and ISR (as the controller's election writes the state znode).
    @discardableResult
    func elect(_ tp: TopicPartition, leader: BrokerID, isr: [BrokerID]? = nil, replicas: [BrokerID]? = nil)
        -> PartitionState
    {
        state.withLock { states in
            let previous = states[tp]
            let next = PartitionState(
                leader: leader, leaderEpoch: previous.map { $0.leaderEpoch.next() } ?? LeaderEpoch(0),
                isr: isr ?? previous?.isr ?? replicas ?? [], partitionEpoch: (previous?.partitionEpoch ?? -1) + 1,
                replicas: replicas ?? previous?.replicas ?? [])
            states[tp] = next
            return next
        }
    }

    static func leaderAndIsr(_ tp: TopicPartition, _ state: PartitionState) -> LeaderAndIsrRequest {
        LeaderAndIsrRequest(
            controllerId: 100, controllerEpoch: 1,
            topicStates: [
                .init(
                    topicName: tp.topic.rawValue,
                    partitionStates: [
                        .init(
                            partitionIndex: tp.partition.rawValue, controllerEpoch: 1, leader: state.leader.rawValue,
                            leaderEpoch: state.leaderEpoch.rawValue, isr: state.isr.map(\.rawValue),
                            partitionEpoch: state.partitionEpoch, replicas: state.replicas.map(\.rawValue))
                    ])
            ])
    }
}

/// A mutex-guarded value that closures can capture (a `Mutex` itself cannot be copied into one).
final class LockedValue<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
