import Synchronization

/// What `GET /health` answers: 200 with `ok` when healthy, 503 with the detail otherwise.
///
/// A broker is healthy once registered in ZooKeeper and serving its listeners; a controller once its RPC listener
/// is bound and its ZooKeeper session is connected (active or standing by). Orchestrators gate start order on this.
public struct HealthStatus: Hashable, Sendable {
    public var isHealthy: Bool
    public var detail: String

    public init(isHealthy: Bool, detail: String) {
        self.isHealthy = isHealthy
        self.detail = detail
    }

    public static let healthy = HealthStatus(isHealthy: true, detail: "ok")

    public static func unhealthy(_ detail: String) -> HealthStatus { HealthStatus(isHealthy: false, detail: detail) }
}

/// A process's readiness, settable as start-up progresses: the metrics endpoint starts first (answering the initial
/// status, e.g. "starting"), and the process installs the real check once the parts it inspects exist.
///
/// Thread-safe (`Mutex`); ``evaluate()`` takes the lock only to read the check, then runs it outside.
public final class HealthProbe: Sendable {
    private let check: Mutex<@Sendable () -> HealthStatus>

    public init(initial: HealthStatus = .unhealthy("starting")) {
        check = Mutex({ initial })
    }

    /// Replaces the check; it runs on the scraping event loop, so it must be quick and must not block.
    public func set(_ check: @escaping @Sendable () -> HealthStatus) {
        self.check.withLock { $0 = check }
    }

    /// Answers a fixed status from now on (e.g. `.unhealthy("shutting down")`).
    public func set(_ status: HealthStatus) {
        set { status }
    }

    public func evaluate() -> HealthStatus {
        let current = check.withLock { $0 }
        return current()
    }
}
