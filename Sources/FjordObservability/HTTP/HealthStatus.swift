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
