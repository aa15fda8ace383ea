import FjordCluster
import FjordModel

extension EventPlanner {
    /// `/admin/preferred_replica_election` appeared: elect the preferred replica where it is not the leader, then
    /// delete the node so the next request can create it again.
    mutating func onPreferredReplicaElectionNode(_ partitions: Set<TopicPartition>) {
        let candidates = partitions.filter {
            context.assignment($0) != nil && !context.isTopicQueuedForDeletion($0.topic)
                && context.leadership[$0]?.leader != context.replicas($0).first
        }
        let elected = electPreferred(candidates)
        plan.deletePreferredElectionNode = true
        note("preferred replica election (zk): \(elected.count) of \(partitions.count) partitions moved")
    }

    /// An ElectLeaders request (forwarded by a broker): nil partitions means every partition.
    mutating func onElectLeaders(_ type: ElectionType, _ requested: Set<TopicPartition>?) {
        let partitions = requested ?? Set(context.allPartitions)
        var outcomes: [TopicPartition: ElectionOutcome] = [:]
        var electable: Set<TopicPartition> = []
        for tp in partitions {
            guard context.assignment(tp) != nil, let current = context.leadership[tp] else {
                outcomes[tp] = .failed(ControllerApiError(.unknownTopicOrPartition, "The partition does not exist."))
                continue
            }
            if context.isTopicQueuedForDeletion(tp.topic) {
                outcomes[tp] = .failed(ControllerApiError(.invalidTopic, "The topic is being deleted"))
                continue
            }
            let needed =
                switch type {
                case .preferred: current.leader != context.replicas(tp).first
                case .unclean: !context.isLive(current.leader)
                }
            if needed { electable.insert(tp) } else { outcomes[tp] = .failed(ControllerApiError(.electionNotNeeded)) }
        }
        let elected: Set<TopicPartition>
        switch type {
        case .preferred: elected = electPreferred(electable)
        case .unclean: elected = electUnclean(electable)
        }
        for tp in electable.subtracting(elected) {
            let code: ControllerErrorCode =
                type == .preferred ? .preferredLeaderNotAvailable : .eligibleLeadersNotAvailable
            outcomes[tp] = .failed(ControllerApiError(code, "Failed to elect leader for partition \(tp)"))
        }
        plan.reply = .electLeaders(type, outcomes, elected: elected)
        note("ElectLeaders(\(type)): \(elected.count) elected of \(partitions.count)")
    }

    /// Kafka's auto leader rebalance: for each broker, when more than `leader.imbalance.per.broker.percentage` of the
    /// partitions it is preferred for are led by someone else, move those whose preferred replica can lead back to it.
    mutating func onAutoLeaderRebalance() {
        guard configuration.autoLeaderRebalanceEnable else { return }
        var byPreferred: [BrokerID: [TopicPartition]] = [:]
        for tp in context.allPartitions where !context.isTopicQueuedForDeletion(tp.topic) {
            if let preferred = context.replicas(tp).first { byPreferred[preferred, default: []].append(tp) }
        }
        var candidates: Set<TopicPartition> = []
        for (broker, partitions) in byPreferred {
            let notLed = partitions.filter { tp in context.leadership[tp].map { $0.leader != broker } ?? false }
            let ratio = Double(notLed.count) / Double(partitions.count)
            guard ratio > Double(configuration.leaderImbalancePerBrokerPercentage) / 100 else { continue }
            candidates.formUnion(notLed.filter(canPreferredReplicaLead))
        }
        guard !candidates.isEmpty else { return }
        let elected = electPreferred(candidates)
        note("auto leader rebalance: \(elected.count) partitions moved to their preferred replica")
    }

    func canPreferredReplicaLead(_ tp: TopicPartition) -> Bool {
        guard let current = context.leadership[tp] else { return false }
        return LeaderElection.preferred(assignment: context.replicas(tp), isr: current.isr, live: context.isLive) != nil
    }

    /// Moves leadership to the preferred replica where it is live and in the ISR; returns the partitions moved.
    @discardableResult
    mutating func electPreferred(_ partitions: Set<TopicPartition>) -> Set<TopicPartition> {
        var elected: Set<TopicPartition> = []
        for tp in partitions.sorted() {
            guard let current = context.leadership[tp] else { continue }
            let assignment = context.replicas(tp)
            guard let leader = LeaderElection.preferred(assignment: assignment, isr: current.isr, live: context.isLive)
            else { continue }
            if leader != current.leader {
                setLeadership(tp, current.electing(leader, isr: current.isr, by: context.epoch))
                plan.batch.addLeaderAndIsr(assignment, tp, isNew: false, context: context)
            }
            elected.insert(tp)
        }
        return elected
    }

    /// Unclean election requested by an administrator: any live replica may lead if no ISR member is live.
    mutating func electUnclean(_ partitions: Set<TopicPartition>) -> Set<TopicPartition> {
        var elected: Set<TopicPartition> = []
        for tp in partitions.sorted() {
            guard let current = context.leadership[tp] else { continue }
            let assignment = context.replicas(tp)
            guard
                let choice = LeaderElection.offline(
                    assignment: assignment, isr: current.isr, live: context.isLive, allowUnclean: true)
            else { continue }
            let isr = choice.clean ? current.isr.filter(context.isLive) : [choice.leader]
            setLeadership(tp, current.electing(choice.leader, isr: isr, by: context.epoch))
            plan.batch.addLeaderAndIsr(assignment, tp, isNew: false, context: context)
            elected.insert(tp)
        }
        return elected
    }
}
