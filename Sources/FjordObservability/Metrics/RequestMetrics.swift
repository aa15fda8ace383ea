import Atomics
import Prometheus

/// A Kafka API a listener serves, for labelling request metrics: its key, its Kafka name (`Produce`) and the
/// versions served. The broker builds these from KafkaProtocol's `ApiKey` and its advertised version table.
public struct ApiDescriptor: Hashable, Sendable {
    public var key: Int16
    public var name: String
    public var versions: ClosedRange<Int16>

    public init(key: Int16, name: String, versions: ClosedRange<Int16>) {
        self.key = key
        self.name = name
        self.versions = versions
    }
}

/// Request counts, error counts and latency per Kafka API, and connection counts, for one process's listeners.
///
/// `fjord_requests_total{api,version}`, `fjord_request_errors_total{api,error}`,
/// `fjord_request_duration_seconds{api}` (histogram), `fjord_network_connections`,
/// `fjord_network_connections_created_total`.
///
/// Hot path: ``api(_:)`` is an array index (keys 0...1023; a linear search over the few private keys above, such as
/// Fjord's replica fetch); ``ApiRequestMetrics/record(version:durationNanoseconds:errorCode:)`` is one atomic load
/// plus one atomic add for the count and one short lock for the histogram. Series appear when first used (created
/// once, then cached in lock-free lazy slots), so `/metrics` lists only APIs that saw traffic. Thread-safe.
public final class RequestMetrics: Sendable {
    private let byKey: [ApiRequestMetrics]
    /// APIs with keys outside 0...1023 (private protocols), searched linearly.
    private let privateKeys: [ApiRequestMetrics]
    /// Requests whose API key is not among the descriptors (`api="unknown"`).
    public let unknown: ApiRequestMetrics
    private let connectionsOpen: Prometheus.Gauge
    private let connectionsCreated: Prometheus.Counter

    /// - Parameters:
    ///   - apis: the APIs served; keys 0...1023 are indexed, any others (a handful of private APIs) searched.
    ///   - errorName: Kafka's name of an error code (`NOT_LEADER_OR_FOLLOWER`), e.g. KafkaProtocol's
    ///     `ErrorCode(rawValue:).name`; the default labels errors by number.
    public init(
        metrics: FjordMetrics, apis: [ApiDescriptor],
        errorName: @escaping @Sendable (Int16) -> String = { "ERROR_\($0)" }
    ) {
        let unknown = ApiRequestMetrics(
            metrics: metrics, api: ApiDescriptor(key: -1, name: "unknown", versions: 0...0), errorName: errorName)
        let indexed = apis.filter { (0...1023).contains($0.key) }
        var byKey = [ApiRequestMetrics](repeating: unknown, count: Int(indexed.map(\.key).max() ?? -1) + 1)
        for api in indexed { byKey[Int(api.key)] = ApiRequestMetrics(metrics: metrics, api: api, errorName: errorName) }
        self.byKey = byKey
        privateKeys = apis.filter { !(0...1023).contains($0.key) }.map {
            ApiRequestMetrics(metrics: metrics, api: $0, errorName: errorName)
        }
        self.unknown = unknown
        connectionsOpen = metrics.gauge(MetricName.connections, "Open client connections on the process's listeners.")
        connectionsCreated = metrics.counter(
            MetricName.connectionsCreated, "Connections accepted on the process's listeners.")
    }

    /// The metrics of API `key`: cache the result per request kind, or call per request (an array index).
    @inline(__always)
    public func api(_ key: Int16) -> ApiRequestMetrics {
        let index = Int(key)
        if index >= 0 && index < byKey.count { return byKey[index] }
        for candidate in privateKeys where candidate.api.key == key { return candidate }
        return unknown
    }

    public func connectionOpened() {
        connectionsOpen.increment()
        connectionsCreated.increment()
    }

    public func connectionClosed() { connectionsOpen.decrement() }
}

/// The request metrics of one API. Thread-safe; see ``RequestMetrics``.
public final class ApiRequestMetrics: Sendable {
    public let api: ApiDescriptor
    private let metrics: FjordMetrics
    private let errorName: @Sendable (Int16) -> String
    /// One slot per served version, then one for versions outside the range (`version="other"`).
    private let requestSlots: [ManagedAtomicLazyReference<Prometheus.Counter>]
    /// One slot per error code -1...254, then one for any other code.
    private let errorSlots: [ManagedAtomicLazyReference<Prometheus.Counter>]
    private let durationSlot = ManagedAtomicLazyReference<Prometheus.ValueHistogram>()

    static let requestsHelp = "Requests received, by Kafka API and version."
    static let errorsHelp = "Requests answered with an error, by Kafka API and Kafka error name."
    static let durationHelp = "Time from reading a request to writing its response, by Kafka API."
    static let errorSlotCount = 257

    init(metrics: FjordMetrics, api: ApiDescriptor, errorName: @escaping @Sendable (Int16) -> String) {
        self.api = api
        self.metrics = metrics
        self.errorName = errorName
        requestSlots = (0...api.versions.count).map { _ in ManagedAtomicLazyReference() }
        errorSlots = (0..<Self.errorSlotCount).map { _ in ManagedAtomicLazyReference() }
    }

    /// Counts one request and observes its latency; a non-zero `errorCode` also counts an error.
    @inline(__always)
    public func record(version: Int16, durationNanoseconds: UInt64, errorCode: Int16 = 0) {
        requests(version: version).increment()
        duration().record(Double(durationNanoseconds) / 1e9)
        if errorCode != 0 { recordError(errorCode) }
    }

    /// Counts `count` errors with Kafka error code `code` (e.g. per failed partition of a Produce).
    public func recordError(_ code: Int16, count: Int = 1) {
        guard count > 0 else { return }
        errors(code).increment(by: Int64(count))
    }

    /// The request counter of `version`.
    func requests(version: Int16) -> Prometheus.Counter {
        let index = api.versions.contains(version) ? Int(version - api.versions.lowerBound) : requestSlots.count - 1
        if let counter = requestSlots[index].load() { return counter }
        let label = index == requestSlots.count - 1 ? "other" : String(version)
        let counter = metrics.counter(
            MetricName.requests, Self.requestsHelp, labels: [("api", api.name), ("version", label)])
        return requestSlots[index].storeIfNilThenLoad(counter)
    }

    func errors(_ code: Int16) -> Prometheus.Counter {
        let index = code >= -1 && Int(code) + 1 < Self.errorSlotCount - 1 ? Int(code) + 1 : Self.errorSlotCount - 1
        if let counter = errorSlots[index].load() { return counter }
        let label = index == Self.errorSlotCount - 1 ? "OTHER" : errorName(code)
        let counter = metrics.counter(
            MetricName.requestErrors, Self.errorsHelp, labels: [("api", api.name), ("error", label)])
        return errorSlots[index].storeIfNilThenLoad(counter)
    }

    func duration() -> Prometheus.ValueHistogram {
        if let histogram = durationSlot.load() { return histogram }
        let histogram = metrics.histogram(
            MetricName.requestDuration, Self.durationHelp, labels: [("api", api.name)],
            buckets: LatencyBuckets.requestSeconds)
        return durationSlot.storeIfNilThenLoad(histogram)
    }
}
