import FjordCluster
import FjordModel

extension EventPlanner {
    /// A broker asks to shut down cleanly (Kafka's `doControlledShutdown`).
    ///
    /// The broker is marked shutting down (it may no longer lead or join an ISR). Of the partitions it hosts with more
    /// than one replica: those it leads move to the first other live ISR member (ISR without it, leader epoch + 1);
    /// those it follows drop it from the ISR (leader epoch + 1, never to empty) and it gets StopReplica (no delete).
    /// The answer lists every partition it still leads (one replica, or no other ISR member); the broker retries.
    mutating func onControlledShutdown(_ broker: BrokerID, brokerEpoch: BrokerEpoch) {
        guard let registered = context.liveBrokers[broker] else {
            plan.reply = .ready(.controlledShutdown(.brokerNotAvailable, remaining: []))
            return
        }
        if brokerEpoch != .none && brokerEpoch < registered.epoch {
            note("controlled shutdown of \(broker) with old epoch \(brokerEpoch) (current \(registered.epoch))")
            plan.reply = .ready(.controlledShutdown(.staleBrokerEpoch, remaining: []))
            return
        }
        context.shuttingDownBrokers.insert(broker)
        let partitions = context.partitions(on: broker).filter {
            context.replicas($0).count > 1 && context.leadership[$0] != nil
                && !context.isTopicQueuedForDeletion($0.topic)
        }
        var moved = 0
        for tp in partitions {
            guard let current = context.leadership[tp] else { continue }
            let assignment = context.replicas(tp)
            if current.leader == broker {
                guard
                    let leader = LeaderElection.controlledShutdown(
                        assignment: assignment, isr: current.isr, registered: context.isLiveOrShuttingDown,
                        shuttingDown: context.shuttingDownBrokers)
                else { continue }
                let isr = current.isr.filter { !context.shuttingDownBrokers.contains($0) }
                setLeadership(tp, current.electing(leader, isr: isr, by: context.epoch))
                plan.batch.addLeaderAndIsr(
                    assignment.filter(context.isLiveOrShuttingDown), tp, isNew: false, context: context)
                moved += 1
            } else {
                plan.batch.addStopReplica([broker], tp, delete: false)
                if current.isr.contains(broker) {
                    let isr = LeaderElection.isr(current.isr, removing: [broker], leader: current.leader)
                    if isr != current.isr {
                        setLeadership(tp, current.electing(current.leader, isr: isr, by: context.epoch))
                    }
                }
                plan.batch.addLeaderAndIsr(assignment.filter { $0 != broker }, tp, isNew: false, context: context)
            }
        }
        plan.reply = .controlledShutdown(broker)
        note("controlled shutdown of \(broker): moved leadership of \(moved) partitions")
    }
}
