import CoreMetrics
import Prometheus
import Synchronization

/// The metrics of one process: a Prometheus registry, the typed metric groups built on it, and the hooks that
/// refresh gauges when `/metrics` is scraped.
///
/// Create one per process (tests create their own), build the groups the process needs from it
/// (``RequestMetrics``, ``TopicMetricsRegistry``, ``ReplicaManagerMetrics``, ``ControllerMetrics``,
/// ``GroupCoordinatorMetrics``, ``ZooKeeperSessionMetrics``, ``ProcessMetrics``) and hand it to ``MetricsServer``.
/// ``bootstrapSwiftMetrics()`` additionally routes swift-metrics (`Counter(label:)`, `Timer(label:)` used by
/// libraries) into the same registry.
///
/// Thread-safe. Hot-path updates go straight to the metric objects the groups hold (atomics, or one short lock per
/// histogram observation); the registry's own lock is taken only when a metric is first created.
public final class FjordMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let scrapeHooks = Mutex<[@Sendable () -> Void]>([])

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Registers `hook` to run before every exposition, e.g. to set a gauge computed from state the process already
    /// keeps (partition counts). Hooks run on the scraping event loop: they must be quick and must not block.
    public func onScrape(_ hook: @escaping @Sendable () -> Void) {
        scrapeHooks.withLock { $0.append(hook) }
    }

    /// Runs the scrape hooks, then renders every metric in the Prometheus text format 0.0.4.
    public func exposition() -> [UInt8] {
        let hooks = scrapeHooks.withLock { $0 }
        for hook in hooks { hook() }
        return registry.emitToBuffer()
    }

    /// The exposition as text (tests, debugging).
    public func expositionText() -> String { String(decoding: exposition(), as: UTF8.self) }

    /// Installs a `PrometheusMetricsFactory` over this registry as the process's swift-metrics backend.
    ///
    /// swift-metrics allows one bootstrap per process; later calls (from any instance) do nothing and return false.
    @discardableResult
    public func bootstrapSwiftMetrics() -> Bool {
        let first = Self.bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        if first { MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry)) }
        return first
    }

    private static let bootstrapped = Mutex(false)

    // MARK: Creating metrics with help text

    func counter(_ name: String, _ help: String, labels: [(String, String)] = []) -> Prometheus.Counter {
        registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
    }

    func gauge(_ name: String, _ help: String, labels: [(String, String)] = []) -> Prometheus.Gauge {
        registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
    }

    func histogram(_ name: String, _ help: String, labels: [(String, String)] = [], buckets: [Double])
        -> Prometheus.ValueHistogram
    {
        registry.makeValueHistogram(descriptor: Self.descriptor(name, help), labels: labels, buckets: buckets)
    }

    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
