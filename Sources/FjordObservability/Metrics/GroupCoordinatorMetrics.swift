import Prometheus

/// The states of Kafka's classic consumer-group state machine (label values of `fjord_groups{state}`).
public enum GroupStateLabel: String, CaseIterable, Hashable, Sendable {
    case empty = "Empty"
    case preparingRebalance = "PreparingRebalance"
    case completingRebalance = "CompletingRebalance"
    case stable = "Stable"
    case dead = "Dead"
}

/// A broker's group-coordinator metrics: `fjord_group_rebalances_total` (rebalances completed: a group moved to a
/// new generation) and `fjord_groups{state}` (groups this broker coordinates, by state). Thread-safe (atomics).
public final class GroupCoordinatorMetrics: Sendable {
    private let rebalances: Prometheus.Counter
    /// Indexed like `GroupStateLabel.allCases`.
    private let groupsByState: [Prometheus.Gauge]

    public init(metrics: FjordMetrics) {
        rebalances = metrics.counter(
            MetricName.groupRebalances, "Consumer-group rebalances completed (new generations) on this coordinator.")
        groupsByState = GroupStateLabel.allCases.map { state in
            metrics.gauge(
                MetricName.groups, "Consumer groups this broker coordinates, by state.",
                labels: [("state", state.rawValue)])
        }
    }

    /// A group completed a rebalance (its generation advanced).
    public func recordRebalance() { rebalances.increment() }

    /// Sets the per-state group counts; states missing from `counts` are set to 0.
    public func setGroupCounts(_ counts: [GroupStateLabel: Int]) {
        for (index, state) in GroupStateLabel.allCases.enumerated() {
            groupsByState[index].set(Int64(counts[state] ?? 0))
        }
    }
}
