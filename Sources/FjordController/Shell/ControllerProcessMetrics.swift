import FjordModel
import FjordObservability
import KafkaProtocol
import ZooKeeper

/// The controller process's metrics: one registry (served at `/metrics`) and the groups the shell updates.
///
/// - ``requests``: the RPC listener's request processor (count, latency until the event loop answered, top-level
///   error code);
/// - ``controller``: the event loop — active flag and epoch on election and resignation, one event-duration sample
///   per handled event, leader elections by kind (``recordElections(_:units:context:)``), and the cluster gauges
///   after each event (``recordClusterState(_:)``);
/// - ``zooKeeper``: one ``followSession(_:)`` task per ZooKeeper session.
///
/// Thread-safe; every group is. ``ElectionTracker`` is not: it belongs to the event loop.
public final class ControllerProcessMetrics: Sendable {
    public let registry: FjordMetrics
    public let requests: RequestMetrics
    public let controller: ControllerMetrics
    public let zooKeeper: ZooKeeperSessionMetrics

    public init(registry: FjordMetrics = FjordMetrics()) {
        self.registry = registry
        let served = Dictionary(ApiVersionsHandler.table, uniquingKeysWith: { first, _ in first })
        requests = RequestMetrics(metrics: registry, served: served)
        controller = ControllerMetrics(metrics: registry)
        zooKeeper = ZooKeeperSessionMetrics(metrics: registry)
    }

    /// Records the states of one ZooKeeper session until it is closed; a late state of an older session does not
    /// overwrite a newer one's.
    func followSession(_ zk: ZooKeeperClient) {
        let metrics = zooKeeper
        let session = metrics.beginSession()
        Task { await metrics.follow(zk.sessionStates(), session: session, map: Self.label) }
    }

    static func label(_ state: SessionState) -> ZooKeeperSessionStateLabel {
        switch state {
        case .connecting: .connecting
        case .connected: .connected
        case .expired: .expired
        case .authFailed: .authFailed
        case .closed: .closed
        }
    }

    /// Sets the cluster gauges from the active controller's context: partitions without a live leader (topics being
    /// deleted excepted), partitions not led by their preferred replica, partition, topic and live broker counts.
    /// One pass over the partitions.
    func recordClusterState(_ context: ControllerContext) {
        var offline = 0
        var imbalance = 0
        for (tp, state) in context.leadership where !context.isTopicQueuedForDeletion(tp.topic) {
            if state.leader.rawValue < 0 || !context.isLiveOrShuttingDown(state.leader) { offline += 1 }
            if let preferred = context.replicas(tp).first, preferred != state.leader { imbalance += 1 }
        }
        controller.setClusterState(
            offlinePartitions: offline, preferredReplicaImbalance: imbalance, partitions: context.leadership.count,
            topics: context.topics.count, liveBrokers: context.liveBrokers.count)
    }

    /// The kind of leader election `event` causes, when it elects leaders of its own kind; nil for events whose
    /// elections are clean (offline partitions, new partitions), or unclean when the new leader was outside the ISR.
    static func electionKind(of event: ControllerEvent) -> LeaderElectionKind? {
        switch event {
        case .controlledShutdown: .controlledShutdown
        case .preferredReplicaElectionRequested, .autoLeaderRebalance: .preferred
        case .electLeaders(let type, _): type == .unclean ? .unclean : .preferred
        case .zkReassignmentRequested, .alterPartitionReassignments, .resumeReassignments,
            .maybeCompleteReassignments:
            .reassignment
        default: nil
        }
    }
}

/// Counts leader elections from the partition-state writes of each event: a partition whose leader in the context
/// differs from the one last seen got a new leader. Owned by the controller's event loop (not thread-safe).
struct ElectionTracker {
    /// Leader and ISR of every partition as last seen, from the takeover snapshot on.
    private var last: [TopicPartition: LeaderAndIsr] = [:]

    /// Starts from the partition states read at takeover (elections made while taking over count against these).
    mutating func reset(_ states: [TopicPartition: LeaderAndIsr]) { last = states }

    mutating func clear() { last = [:] }

    /// Compares the partitions `units` wrote with `context` after `event`; returns the elections by kind.
    mutating func elections(
        after event: ControllerEvent, units: [ZNodeWrite], context: ControllerContext
    ) -> [LeaderElectionKind: Int] {
        var counts: [LeaderElectionKind: Int] = [:]
        let eventKind = ControllerProcessMetrics.electionKind(of: event)
        for unit in units {
            for operation in unit.operations {
                guard case .partitionState(let tp) = operation.subject else { continue }
                let previous = last[tp]
                guard let current = context.leadership[tp] else {
                    last[tp] = nil
                    continue
                }
                last[tp] = current
                guard current.leader.rawValue >= 0, current.leader != previous?.leader else { continue }
                var kind = eventKind ?? .clean
                if kind == .clean, let previous, !previous.isr.contains(current.leader) { kind = .unclean }
                counts[kind, default: 0] += 1
            }
        }
        return counts
    }
}
