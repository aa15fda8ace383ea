import FjordCluster
import FjordCoordinator
import FjordModel
import FjordObservability
import FjordStorage
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// A broker's validated configuration, read from ``ResolvedConfig`` (defaults, then the properties file, then
/// `KAFKA_*`/`FJORD_*` environment variables, then `--override` flags).
///
/// Kafka's precedence rules apply where several keys name one setting: `log.dirs` over `log.dir`,
/// `log.retention.ms` over `.minutes` over `.hours`, `log.roll.ms` over `.hours`. Only PLAINTEXT listeners exist.
public struct BrokerConfig: Sendable {
    public var brokerID: BrokerID
    public var rack: String?
    /// Where the broker binds, in configuration order.
    public var listeners: [Endpoint]
    /// What the broker publishes in `/brokers/ids/<id>`, one per listener name.
    public var advertisedListeners: [Endpoint]
    public var securityProtocolMap: [String: String]
    public var interBrokerListenerName: String

    public var zooKeeperConnect: String
    public var zooKeeperSessionTimeoutMs: Int
    public var zooKeeperConnectionTimeoutMs: Int

    public var numPartitions: Int
    public var defaultReplicationFactor: Int
    public var minInsyncReplicas: Int
    public var uncleanLeaderElectionEnable: Bool
    public var autoCreateTopicsEnable: Bool
    public var deleteTopicEnable: Bool

    public var logDirs: [String]
    public var logRetentionCheckIntervalMs: Int64
    /// The broker-wide defaults of every topic's log settings.
    public var defaultLogConfig: LogConfig
    /// `log.cleanup.policy`.
    public var defaultCleanupPolicy: [String]

    public var messageMaxBytes: Int
    public var socketRequestMaxBytes: Int
    public var connectionsMaxIdleMs: Int64
    public var numNetworkThreads: Int

    public var replicaLagTimeMaxMs: Int64
    public var replicaFetchMaxBytes: Int
    public var replicaFetchWaitMaxMs: Int
    public var replicaFetchMinBytes: Int
    public var replicaFetchResponseMaxBytes: Int
    public var replicaFetchBackoffMs: Int
    public var numReplicaFetchers: Int
    public var replicaHighWatermarkCheckpointIntervalMs: Int64

    public var groupCoordinator: GroupCoordinatorConfig

    public var controlledShutdownEnable: Bool
    public var controlledShutdownMaxRetries: Int
    public var controlledShutdownRetryBackoffMs: Int64

    /// `log.level`, `log.format`, `log.file`, `metrics.port`, `metrics.host`.
    public var observability: ObservabilityConfig
    public var logLevel: Logger.Level { observability.logLevel }

    /// The merged key/value view with each value's source (for DescribeConfigs).
    public let resolved: ResolvedConfig

    /// Validates and types `resolved`.
    ///
    /// - Throws: ``ConfigError`` naming the key and what is wrong with it.
    public init(_ resolved: ResolvedConfig) throws(ConfigError) {
        self.resolved = resolved
        brokerID = BrokerID(Int32(clamping: resolved.int("broker.id")))
        guard brokerID.rawValue >= 0 else {
            throw ConfigError("broker.id must be set to a value of at least 0 (Fjord does not generate broker ids)")
        }
        rack = resolved.string("broker.rack").flatMap { $0.trimmingWhitespace().isEmpty ? nil : $0 }
        securityProtocolMap = try Self.parseSecurityProtocolMap(resolved.list("listener.security.protocol.map"))
        listeners = try Endpoint.parseList(resolved.string("listeners") ?? "")
        let advertised = resolved.string("advertised.listeners").map { $0.trimmingWhitespace() } ?? ""
        advertisedListeners = try Self.advertised(
            advertised.isEmpty ? listeners : Endpoint.parseList(advertised))
        interBrokerListenerName =
            resolved.string("inter.broker.listener.name").map { $0.trimmingWhitespace().uppercased() }
            .flatMap { $0.isEmpty ? nil : $0 } ?? "PLAINTEXT"
        zooKeeperConnect = try resolved.required("zookeeper.connect")
        zooKeeperSessionTimeoutMs = resolved.int("zookeeper.session.timeout.ms")
        zooKeeperConnectionTimeoutMs =
            resolved.optionalInt64("zookeeper.connection.timeout.ms").map { Int($0) } ?? zooKeeperSessionTimeoutMs

        numPartitions = resolved.int("num.partitions")
        defaultReplicationFactor = resolved.int("default.replication.factor")
        minInsyncReplicas = resolved.int("min.insync.replicas")
        uncleanLeaderElectionEnable = resolved.bool("unclean.leader.election.enable")
        autoCreateTopicsEnable = resolved.bool("auto.create.topics.enable")
        deleteTopicEnable = resolved.bool("delete.topic.enable")

        let dirs = resolved.list("log.dirs")
        logDirs = dirs.isEmpty ? [resolved.string("log.dir") ?? "/tmp/kafka-logs"] : dirs
        logRetentionCheckIntervalMs = resolved.int64("log.retention.check.interval.ms")
        messageMaxBytes = resolved.int("message.max.bytes")
        defaultCleanupPolicy = resolved.list("log.cleanup.policy")
        defaultLogConfig = try Self.logConfig(resolved, messageMaxBytes: messageMaxBytes)

        socketRequestMaxBytes = resolved.int("socket.request.max.bytes")
        connectionsMaxIdleMs = resolved.int64("connections.max.idle.ms")
        numNetworkThreads = resolved.int("num.network.threads")

        replicaLagTimeMaxMs = resolved.int64("replica.lag.time.max.ms")
        replicaFetchMaxBytes = resolved.int("replica.fetch.max.bytes")
        replicaFetchWaitMaxMs = resolved.int("replica.fetch.wait.max.ms")
        replicaFetchMinBytes = resolved.int("replica.fetch.min.bytes")
        replicaFetchResponseMaxBytes = resolved.int("replica.fetch.response.max.bytes")
        replicaFetchBackoffMs = resolved.int("replica.fetch.backoff.ms")
        numReplicaFetchers = resolved.int("num.replica.fetchers")
        replicaHighWatermarkCheckpointIntervalMs = resolved.int64("replica.high.watermark.checkpoint.interval.ms")

        groupCoordinator = try GroupCoordinatorConfig(resolved)

        controlledShutdownEnable = resolved.bool("controlled.shutdown.enable")
        controlledShutdownMaxRetries = resolved.int("controlled.shutdown.max.retries")
        controlledShutdownRetryBackoffMs = resolved.int64("controlled.shutdown.retry.backoff.ms")

        observability = try ObservabilityConfig(resolved)
        try validate()
    }

    /// Reads configuration the way the executable does: `file` (a properties file's text, if any), then the
    /// environment, then `overrides`.
    public static func load(
        fileText: String?, environment: [String: String], overrides: [String: String]
    ) throws(ConfigError) -> BrokerConfig {
        let file = fileText.map { Properties.parse($0, source: "file") }
        let resolved = try ResolvedConfig(
            definitions: definitions, file: file, environment: environment,
            flags: Properties(overrides, source: "flag"))
        return try BrokerConfig(resolved)
    }

    /// The advertised endpoint of the inter-broker listener.
    public var interBrokerEndpoint: Endpoint? {
        advertisedListeners.first { $0.listenerName == interBrokerListenerName }
    }

    // MARK: Validation

    private func validate() throws(ConfigError) {
        guard !listeners.isEmpty else { throw ConfigError("listeners must name at least one listener") }
        var names = Set<String>()
        for listener in listeners {
            guard names.insert(listener.listenerName).inserted else {
                throw ConfigError("listeners names \(listener.listenerName) twice; each listener name must be unique")
            }
            guard let proto = securityProtocolMap[listener.listenerName] else {
                throw ConfigError(
                    "listener \(listener.listenerName) is not in listener.security.protocol.map "
                        + "(add \(listener.listenerName):PLAINTEXT)")
            }
            guard proto == "PLAINTEXT" else {
                throw ConfigError(
                    "listener \(listener.listenerName) uses \(proto); Fjord supports only PLAINTEXT listeners")
            }
        }
        for advertised in advertisedListeners where !names.contains(advertised.listenerName) {
            throw ConfigError(
                "advertised.listeners names \(advertised.listenerName), which is not in listeners")
        }
        guard names.contains(interBrokerListenerName), interBrokerEndpoint != nil else {
            throw ConfigError(
                "inter.broker.listener.name \(interBrokerListenerName) must be one of the listeners "
                    + "(\(names.sorted().joined(separator: ", ")))")
        }
        guard zooKeeperSessionTimeoutMs > 0 else { throw ConfigError("zookeeper.session.timeout.ms must be > 0") }
        guard numPartitions >= 1 else { throw ConfigError("num.partitions must be at least 1") }
        guard defaultReplicationFactor >= 1 else { throw ConfigError("default.replication.factor must be >= 1") }
        guard minInsyncReplicas >= 1 else { throw ConfigError("min.insync.replicas must be at least 1") }
        guard numNetworkThreads >= 1 else { throw ConfigError("num.network.threads must be at least 1") }
        guard socketRequestMaxBytes >= 1 else { throw ConfigError("socket.request.max.bytes must be at least 1") }
        guard controlledShutdownMaxRetries >= 0 else {
            throw ConfigError("controlled.shutdown.max.retries must be >= 0")
        }
        if let error = defaultLogConfig.validationError { throw ConfigError("invalid log settings: \(error)") }
        for policy in defaultCleanupPolicy where policy != "delete" && policy != "compact" {
            throw ConfigError("log.cleanup.policy \(policy) is not delete or compact")
        }
    }

    static func parseSecurityProtocolMap(_ entries: [String]) throws(ConfigError) -> [String: String] {
        var map: [String: String] = [:]
        for entry in entries {
            let parts = entry.split(separator: ":", maxSplits: 1).map { $0.trimmingWhitespace().uppercased() }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ConfigError("listener.security.protocol.map entry '\(entry)' is not NAME:PROTOCOL")
            }
            map[parts[0]] = parts[1]
        }
        return map
    }

    /// Kafka replaces an empty or wildcard advertised host by the machine's host name.
    static func advertised(_ endpoints: [Endpoint]) throws(ConfigError) -> [Endpoint] {
        var seen = Set<String>()
        var result: [Endpoint] = []
        for endpoint in endpoints {
            guard seen.insert(endpoint.listenerName).inserted else {
                throw ConfigError("advertised.listeners names \(endpoint.listenerName) twice")
            }
            var e = endpoint
            if e.host.isEmpty || e.host == "0.0.0.0" || e.host == "::" { e.host = localHostName() }
            result.append(e)
        }
        return result
    }

    static func localHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }

    /// The broker-wide LogConfig from the `log.*` keys, with Kafka's precedence between units.
    static func logConfig(_ r: ResolvedConfig, messageMaxBytes: Int) throws(ConfigError) -> LogConfig {
        var config = LogConfig()
        config.segmentBytes = r.int("log.segment.bytes")
        config.segmentMs = r.optionalInt64("log.roll.ms") ?? r.int64("log.roll.hours") * 3_600_000
        if let ms = r.optionalInt64("log.retention.ms") {
            config.retentionMs = ms
        } else if let minutes = r.optionalInt64("log.retention.minutes") {
            config.retentionMs = minutes * 60_000
        } else {
            config.retentionMs = r.int64("log.retention.hours") * 3_600_000
        }
        if config.retentionMs < 0 { config.retentionMs = -1 }
        config.retentionBytes = r.int64("log.retention.bytes")
        config.flushMessages = r.int64("log.flush.interval.messages")
        config.flushMs = r.optionalInt64("log.flush.interval.ms") ?? .max
        config.maxMessageBytes = messageMaxBytes
        config.segmentIndexBytes = r.int("log.index.size.max.bytes")
        config.indexIntervalBytes = r.int("log.index.interval.bytes")
        let type = (r.string("log.message.timestamp.type") ?? "CreateTime").trimmingWhitespace()
        guard let timestampType = LogConfig.TimestampType(rawValue: type) else {
            throw ConfigError("log.message.timestamp.type \(type) is not CreateTime or LogAppendTime")
        }
        config.timestampType = timestampType
        return config
    }
}
