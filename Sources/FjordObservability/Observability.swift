import Logging
import NIOCore
import NIOPosix

/// Process start-up helpers: install the log handler and start the metrics endpoint from an
/// ``ObservabilityConfig``. Executables call these once, right after resolving their configuration.
public enum Observability {
    /// Installs ``FjordLogHandler`` (format, level and destination from `config`) as the process's swift-log
    /// backend and returns the sink (keep it to ``LogSink/reopen()`` after log rotation).
    ///
    /// swift-log allows one bootstrap per process: call this once, from `main`, never from tests.
    @discardableResult
    public static func bootstrapLogging(_ config: ObservabilityConfig) throws(LogSinkError) -> LogSink {
        let sink = try config.logFile.map { path throws(LogSinkError) in try LogSink.file(path) } ?? .standardError
        let level = config.logLevel
        let format = config.logFormat
        LoggingSystem.bootstrap { label in
            FjordLogHandler(label: label, level: level, format: format, sink: sink)
        }
        return sink
    }

    /// Routes swift-metrics into `metrics`, installs the process gauges, and starts the `/metrics` + `/health`
    /// endpoint when `config.metricsPort` is not 0 (returns nil when it is).
    public static func startMetrics(
        _ config: ObservabilityConfig, metrics: FjordMetrics,
        health: @escaping @Sendable () -> HealthStatus = { .healthy },
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) async throws -> MetricsServer? {
        metrics.bootstrapSwiftMetrics()
        ProcessMetrics.install(on: metrics)
        guard config.metricsPort != 0 else { return nil }
        return try await MetricsServer.start(
            host: config.metricsHost, port: config.metricsPort, metrics: metrics, health: health, group: group,
            logger: logger)
    }
}
