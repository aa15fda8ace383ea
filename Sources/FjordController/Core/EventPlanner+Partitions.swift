import FjordCluster
import FjordModel

/// Partition state changes shared by several events: initializing new partitions, electing leaders for offline
/// ones, and taking replicas out of ISRs when their brokers go away (Kafka's partition and replica state machines).
extension EventPlanner {
    /// NewPartition → OnlinePartition: the first live replica leads, every live replica is in the ISR, leader epoch 0.
    /// With no live replica the partition stays new (no state znode) and is retried when a broker arrives.
    mutating func initializePartition(_ tp: TopicPartition) {
        guard context.leadership[tp] == nil, let assignment = context.assignment(tp) else { return }
        var live: [BrokerID] = []
        for replica in assignment.replicas where context.isLive(replica) && !live.contains(replica) {
            live.append(replica)
        }
        guard let leader = live.first else {
            note("\(tp): no live replica among \(assignment.replicas.map(\.rawValue)); stays offline")
            return
        }
        createLeadership(
            tp,
            LeaderAndIsr(
                leader: leader, leaderEpoch: LeaderEpoch(0), isr: live, controllerEpoch: context.epoch,
                partitionEpoch: .initial))
        plan.batch.addLeaderAndIsr(live, tp, isNew: true, context: context)
    }

    /// Takes `gone` brokers (dead, or restarted with a new epoch) out of ISRs and elects leaders wherever the leader
    /// is not live, in one decision per partition; initializes new partitions that now have a live replica.
    ///
    /// Per partition (topics being deleted are left alone):
    /// - ISR' = ISR \ gone, never empty (``LeaderElection/isr(_:removing:leader:)``);
    /// - if the leader is gone or not live: leader' = first live replica of the assignment in ISR' (or, with unclean
    ///   election allowed, the first live replica with ISR' = [leader']); ISR' keeps only live members; with no
    ///   candidate the leader stays, or becomes -1 if it is gone (a failed election alone writes nothing);
    /// - a change of leader or ISR, or a gone leader, is written with leader epoch + 1 and sent to the replicas.
    mutating func reconcilePartitions(gone: Set<BrokerID>, only scope: [TopicPartition]? = nil) {
        for tp in scope ?? context.allPartitions where !context.isTopicQueuedForDeletion(tp.topic) {
            guard let current = context.leadership[tp] else {
                initializePartition(tp)
                continue
            }
            let assignment = context.replicas(tp)
            var isr = LeaderElection.isr(current.isr, removing: gone, leader: current.leader)
            var leader = current.leader
            let leaderGone = gone.contains(current.leader)
            if leaderGone || !context.isLive(current.leader) {
                if let elected = LeaderElection.offline(
                    assignment: assignment, isr: isr, live: context.isLive, allowUnclean: allowUnclean(tp.topic))
                {
                    leader = elected.leader
                    isr = elected.clean ? isr.filter(context.isLive) : [elected.leader]
                    if !elected.clean { note("\(tp): unclean election of \(elected.leader)") }
                } else if leaderGone {
                    leader = .none
                }
            }
            guard leader != current.leader || isr != current.isr || leaderGone else { continue }
            setLeadership(tp, current.electing(leader, isr: isr, by: context.epoch))
            plan.batch.addLeaderAndIsr(assignment, tp, isNew: false, context: context)
        }
    }

    /// Kafka's `triggerOnlinePartitionStateChange`: elect for partitions whose leader is not live, initialize new ones.
    mutating func electOfflineAndNewPartitions() {
        reconcilePartitions(gone: [])
    }
}
