import FjordModel
import KafkaProtocol
import KafkaWire
import Logging
import Synchronization

/// Sends the leaders' ISR proposals to the controller (Kafka's `AlterPartitionManager`): proposals queue per
/// partition, and one AlterPartition request at a time carries everything queued. Each partition's answer goes to
/// `onAnswer`, which applies it to the partition and says whether to retry; retries are queued again after
/// `retryBackoffMs`. A request that fails in transport, or whose top-level error is set, retries every partition in
/// it.
///
/// Concurrency: `state` (a `Mutex`) holds the queue and whether a sender task runs; the sender is a Swift task doing
/// network I/O only.
final class AlterPartitionManager: Sendable {
    struct Item: Sendable {
        var topicPartition: TopicPartition
        var topicID: KafkaUUID?
        var proposal: IsrProposal
    }

    private struct State {
        var queued: [TopicPartition: Item] = [:]
        var sending = false
        var stopped = false
    }

    typealias AnswerHandler =
        @Sendable (TopicPartition, IsrProposal, PartitionReplicaState.AlterPartitionAnswer)
        -> PartitionReplicaState.AlterPartitionOutcome

    private let controller: any ControllerChannel
    private let brokerID: BrokerID
    private let brokerEpoch: @Sendable () -> BrokerEpoch
    private let retryBackoffMs: Int64
    private let logger: Logger
    private let onAnswer: AnswerHandler
    private let state = Mutex(State())

    init(
        controller: any ControllerChannel, brokerID: BrokerID, brokerEpoch: @escaping @Sendable () -> BrokerEpoch,
        retryBackoffMs: Int64, logger: Logger, onAnswer: @escaping AnswerHandler
    ) {
        self.controller = controller
        self.brokerID = brokerID
        self.brokerEpoch = brokerEpoch
        self.retryBackoffMs = retryBackoffMs
        self.logger = logger
        self.onAnswer = onAnswer
    }

    /// Queues a proposal (replacing an older one for the same partition) and starts a sender if none runs.
    func submit(_ item: Item) {
        let start = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.queued[item.topicPartition] = item
            guard !state.sending else { return false }
            state.sending = true
            return true
        }
        if start { Task { await self.sendLoop() } }
    }

    func shutdown() {
        state.withLock { state in
            state.stopped = true
            state.queued.removeAll()
        }
    }

    private func sendLoop() async {
        var failures = 0
        while let batch = nextBatch() {
            let exchanged = await exchange(batch, quiet: failures > 0)
            failures = exchanged == nil ? failures + 1 : 0
            let answers = exchanged ?? [:]
            var retries: [Item] = []
            for item in batch {
                let answer = answers[item.topicPartition] ?? .failed
                let outcome = onAnswer(item.topicPartition, item.proposal, answer)
                if outcome == .retry { retries.append(item) }
                logger.debug(
                    "AlterPartition answered",
                    metadata: [
                        "partition": "\(item.topicPartition)", "isr": "\(item.proposal.newIsr.map(\.rawValue))",
                        "answer": "\(answer)", "outcome": "\(outcome)",
                    ])
            }
            if !retries.isEmpty {
                // Back off exponentially while the controller is unreachable (a failover takes seconds).
                let delayMs = min(retryBackoffMs << Int64(min(failures, 5)), max(retryBackoffMs, 1_000))
                try? await Task.sleep(for: .milliseconds(delayMs))
                state.withLock { state in
                    for item in retries where state.queued[item.topicPartition] == nil && !state.stopped {
                        state.queued[item.topicPartition] = item
                    }
                }
            }
        }
    }

    /// Takes everything queued, or ends the sender when nothing is.
    private func nextBatch() -> [Item]? {
        state.withLock { state in
            guard !state.stopped, !state.queued.isEmpty else {
                state.sending = false
                return nil
            }
            defer { state.queued.removeAll() }
            return state.queued.values.sorted { $0.topicPartition < $1.topicPartition }
        }
    }

    /// The per-partition answers, or `nil` when the request as a whole failed (transport, top-level error).
    private func exchange(_ batch: [Item], quiet: Bool) async
        -> [TopicPartition: PartitionReplicaState.AlterPartitionAnswer]?
    {
        let request = Self.request(batch, brokerID: brokerID, brokerEpoch: brokerEpoch())
        let level: Logger.Level = quiet ? .debug : .info
        let response: AlterPartitionResponse
        do {
            response = try await controller.alterPartition(request)
        } catch {
            logger.log(level: level, "AlterPartition failed; will retry", metadata: ["error": "\(error)"])
            return nil
        }
        guard response.errorCode == 0 else {
            logger.log(
                level: level, "AlterPartition refused; will retry",
                metadata: ["error": "\(ErrorCode(response.errorCode))"])
            return nil
        }
        return Self.answers(response, for: batch)
    }

    static func request(_ batch: [Item], brokerID: BrokerID, brokerEpoch: BrokerEpoch) -> AlterPartitionRequest {
        let groups = ReplicaFetchRequest.groupedByTopic(batch) { $0.topicPartition.topic }
        return AlterPartitionRequest(
            brokerId: brokerID.rawValue, brokerEpoch: brokerEpoch.rawValue,
            topics: groups.map { topic, items in
                AlterPartitionRequest.TopicData(
                    topicName: topic.rawValue, topicId: items.first?.topicID ?? .zero,
                    partitions: items.map { item in
                        AlterPartitionRequest.PartitionData(
                            partitionIndex: item.topicPartition.partition.rawValue,
                            leaderEpoch: item.proposal.leaderEpoch.rawValue,
                            newIsr: item.proposal.newIsr.map(\.rawValue), leaderRecoveryState: 0,
                            partitionEpoch: item.proposal.partitionEpoch)
                    })
            })
    }

    /// Per-partition answers, matching topics by name (v0–v1) or id (v2+).
    static func answers(_ response: AlterPartitionResponse, for batch: [Item])
        -> [TopicPartition: PartitionReplicaState.AlterPartitionAnswer]
    {
        var byName: [TopicName: TopicName] = [:]
        var byID: [KafkaUUID: TopicName] = [:]
        for item in batch {
            byName[item.topicPartition.topic] = item.topicPartition.topic
            if let id = item.topicID, id != .zero { byID[id] = item.topicPartition.topic }
        }
        var answers: [TopicPartition: PartitionReplicaState.AlterPartitionAnswer] = [:]
        for topic in response.topics {
            let name = topic.topicName.isEmpty ? byID[topic.topicId] : byName[TopicName(topic.topicName)]
            guard let name else { continue }
            for partition in topic.partitions {
                let tp = TopicPartition(name, PartitionID(partition.partitionIndex))
                if partition.errorCode == 0 {
                    answers[tp] = .accepted(
                        leaderEpoch: LeaderEpoch(partition.leaderEpoch), partitionEpoch: partition.partitionEpoch,
                        isr: partition.isr.map { BrokerID($0) })
                } else {
                    answers[tp] = .rejected(ErrorCode(partition.errorCode))
                }
            }
        }
        return answers
    }
}
