import FjordCluster
import Logging

/// The logging and metrics settings every Fjord process reads (`log.level`, `log.format`, `log.file`,
/// `metrics.port`, `metrics.host`).
///
/// Processes append ``definitions`` to their own key list so the keys resolve from the shared properties files,
/// `KAFKA_*`/`FJORD_*` environment variables and `--override` flags like every other key (and so
/// `scripts/check-compose.py` knows them).
public struct ObservabilityConfig: Hashable, Sendable {
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// Append log lines to this file; nil writes to standard error.
    public var logFile: String?
    /// Port of the `/metrics` and `/health` HTTP endpoint; 0 disables it.
    public var metricsPort: Int
    /// Address the metrics endpoint binds.
    public var metricsHost: String

    public static let definitions: [ConfigDefinition] = [
        ConfigDefinition(
            "log.level", .string, default: "info",
            "Lowest level logged: trace, debug, info, notice, warning (or warn), error, critical."),
        ConfigDefinition(
            "log.format", .string, default: "logfmt",
            "Log line format: logfmt (key=value) or json (one object per line)."),
        ConfigDefinition(
            "log.file", .string, default: nil,
            "Append log lines to this file instead of writing them to standard error."),
        ConfigDefinition(
            "metrics.port", .int, default: "0",
            "Port of the HTTP endpoint serving /metrics (Prometheus text format) and /health; 0 disables it."),
        ConfigDefinition(
            "metrics.host", .string, default: "0.0.0.0", "Address the /metrics and /health endpoint binds."),
    ]

    public init(
        logLevel: Logger.Level = .info, logFormat: LogFormat = .logfmt, logFile: String? = nil, metricsPort: Int = 0,
        metricsHost: String = "0.0.0.0"
    ) {
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.logFile = logFile
        self.metricsPort = metricsPort
        self.metricsHost = metricsHost
    }

    /// Reads the keys from a resolved configuration whose definitions include ``definitions``.
    public init(_ config: ResolvedConfig) throws(ConfigError) {
        let levelText = (config.string("log.level") ?? "info").trimmingWhitespace().lowercased()
        guard let level = Logger.Level(rawValue: levelText == "warn" ? "warning" : levelText) else {
            throw ConfigError(
                "log.level must be one of trace, debug, info, notice, warning, error, critical (got \(levelText))")
        }
        let formatText = (config.string("log.format") ?? "logfmt").trimmingWhitespace().lowercased()
        guard let format = LogFormat(rawValue: formatText) else {
            throw ConfigError("log.format must be logfmt or json (got \(formatText))")
        }
        let file = config.string("log.file")?.trimmingWhitespace()
        let port = config.int("metrics.port")
        guard (0...65535).contains(port) else { throw ConfigError("metrics.port must be 0-65535 (got \(port))") }
        let host = (config.string("metrics.host") ?? "0.0.0.0").trimmingWhitespace()
        self.init(
            logLevel: level, logFormat: format, logFile: file?.isEmpty == false ? file : nil, metricsPort: port,
            metricsHost: host.isEmpty ? "0.0.0.0" : host)
    }
}
