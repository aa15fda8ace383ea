import FjordModel
import KafkaProtocol

extension ReplicaManager {
    /// Queues an ISR proposal of `topicPartition` for the controller.
    func submitProposal(_ topicPartition: TopicPartition, _ proposal: IsrProposal) {
        let topicID = topicIDs.withLock { $0[topicPartition.topic] }
        logger.info(
            "proposing ISR change",
            metadata: [
                "partition": "\(topicPartition)", "newIsr": "\(proposal.newIsr.map(\.rawValue))",
                "leaderEpoch": "\(proposal.leaderEpoch)", "partitionEpoch": "\(proposal.partitionEpoch)",
            ])
        alterPartitionManager.submit(.init(topicPartition: topicPartition, topicID: topicID, proposal: proposal))
    }

    /// Applies the controller's answer to a proposal; completes delayed operations if the HW moved.
    func alterPartitionAnswered(
        _ topicPartition: TopicPartition, _ proposal: IsrProposal,
        _ answer: PartitionReplicaState.AlterPartitionAnswer
    ) -> PartitionReplicaState.AlterPartitionOutcome {
        guard let partition = partition(topicPartition) else { return .stale }
        let isrBefore = partition.snapshot().isr.count
        let outcome = partition.alterPartitionAnswered(proposal, answer: answer, nowMs: MonotonicClock.nowMs())
        switch outcome {
        case .committed(let advanced):
            let isrAfter = partition.snapshot().isr
            logger.info(
                "ISR changed",
                metadata: ["partition": "\(topicPartition)", "isr": "\(isrAfter.map(\.rawValue))"])
            if isrAfter.count != isrBefore { observer.isrChanged(topicPartition, isrAfter.count < isrBefore) }
            if advanced != nil { highWatermarkAdvanced(topicPartition) }
            // A changed ISR can settle acks=all produces (e.g. NOT_ENOUGH_REPLICAS_AFTER_APPEND) even at the same HW.
            producePurgatory.checkAndComplete(topicPartition)
        case .awaitingLeaderAndIsr, .reverted:
            logger.info(
                "ISR change not applied",
                metadata: ["partition": "\(topicPartition)", "answer": "\(answer)", "outcome": "\(outcome)"])
            if case .reverted(_?) = outcome {
                highWatermarkAdvanced(topicPartition)
                producePurgatory.checkAndComplete(topicPartition)
            }
        case .stale, .retry:
            break
        }
        return outcome
    }

    /// The periodic ISR check of every led partition (Kafka's `maybeShrinkIsr`).
    func checkIsrs() {
        let nowMs = MonotonicClock.nowMs()
        for (topicPartition, partition) in partitions.withLock({ $0 }) {
            if let proposal = partition.maybeShrinkIsr(nowMs: nowMs) { submitProposal(topicPartition, proposal) }
        }
    }

    /// Writes the HW (and other) checkpoints on the blocking pool.
    func checkpointHighWatermarks() {
        let logManager = self.logManager
        runBlocking { try logManager.writeCheckpoints() }
    }
}
