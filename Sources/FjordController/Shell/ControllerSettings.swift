import FjordCluster
import FjordObservability
import Logging

/// The controller process's configuration, under Kafka's property names (docs/controller.md lists them).
///
/// Sources, later wins: defaults, a `server.properties`-style file (`--config`), environment variables
/// (`KAFKA_*`/`FJORD_*`), `--override key=value` flags.
public struct ControllerSettings: Sendable {
    public var controllerID: Int32
    /// `host:port[,host:port…][/chroot]`.
    public var zookeeperConnect: String
    public var zookeeperSessionTimeoutMs: Int
    public var zookeeperConnectionTimeoutMs: Int
    /// Where the RPC listener binds (brokers send AlterPartition and ControlledShutdown there).
    public var listener: Endpoint
    /// What `/controller` advertises; defaults to ``listener``.
    public var advertisedListener: Endpoint
    public var uncleanLeaderElectionEnable: Bool
    public var autoLeaderRebalanceEnable: Bool
    public var leaderImbalanceCheckIntervalSeconds: Int
    public var leaderImbalancePerBrokerPercentage: Int
    public var deleteTopicEnable: Bool
    public var controllerSocketTimeoutMs: Int
    /// `log.level`, `log.format`, `log.file`, `metrics.port`, `metrics.host`.
    public var observability: ObservabilityConfig
    public var logLevel: Logger.Level { observability.logLevel }

    /// Every key `fjord-controller` reads: its own, then logging and metrics (``ObservabilityConfig/definitions``).
    public static let definitions: [ConfigDefinition] = controllerDefinitions + ObservabilityConfig.definitions

    static let controllerDefinitions: [ConfigDefinition] = [
        ConfigDefinition("controller.id", .int, default: nil, "This controller's id; written to /controller."),
        ConfigDefinition(
            "zookeeper.connect", .string, default: "localhost:2181/fjord",
            "ZooKeeper connect string, host:port pairs and an optional chroot (created if missing)."),
        ConfigDefinition(
            "zookeeper.session.timeout.ms", .int, default: "18000",
            "ZooKeeper session timeout; the standby takes over this long after the active controller dies."),
        ConfigDefinition(
            "zookeeper.connection.timeout.ms", .int, default: nil,
            "How long to wait for the first ZooKeeper connection; defaults to the session timeout."),
        ConfigDefinition(
            "listeners", .list, default: "CONTROLLER://127.0.0.1:9190",
            "The controller's RPC listener, NAME://host:port (port 0 picks a free port)."),
        ConfigDefinition(
            "advertised.listeners", .list, default: nil,
            "The endpoint written to /controller for brokers; defaults to listeners."),
        ConfigDefinition(
            "unclean.leader.election.enable", .bool, default: "false",
            "Elect a replica outside the ISR when no ISR member is live (may lose committed records)."),
        ConfigDefinition(
            "auto.leader.rebalance.enable", .bool, default: "true",
            "Periodically move leadership back to preferred replicas."),
        ConfigDefinition(
            "leader.imbalance.check.interval.seconds", .long, default: "300",
            "How often the controller checks leader imbalance."),
        ConfigDefinition(
            "leader.imbalance.per.broker.percentage", .int, default: "10",
            "Imbalance per broker above which preferred leaders are re-elected."),
        ConfigDefinition(
            "delete.topic.enable", .bool, default: "true", "Carry out topic deletions requested in ZooKeeper."),
        ConfigDefinition(
            "controller.socket.timeout.ms", .int, default: "30000",
            "Timeout of control requests (LeaderAndIsr, UpdateMetadata, StopReplica) sent to brokers."),
    ]

    public init(_ config: ResolvedConfig) throws(ConfigError) {
        guard let id = Int32(try config.required("controller.id")) else {
            throw ConfigError("controller.id must be an integer")
        }
        controllerID = id
        zookeeperConnect = try config.required("zookeeper.connect")
        zookeeperSessionTimeoutMs = config.int("zookeeper.session.timeout.ms")
        zookeeperConnectionTimeoutMs =
            config.optionalInt64("zookeeper.connection.timeout.ms").map(Int.init) ?? zookeeperSessionTimeoutMs
        let listeners = try Endpoint.parseList(config.string("listeners") ?? "")
        guard let listener = listeners.first else { throw ConfigError("listeners must name one endpoint") }
        self.listener = listener
        let advertised = try Endpoint.parseList(config.string("advertised.listeners") ?? "")
        advertisedListener = advertised.first ?? listener
        uncleanLeaderElectionEnable = config.bool("unclean.leader.election.enable")
        autoLeaderRebalanceEnable = config.bool("auto.leader.rebalance.enable")
        leaderImbalanceCheckIntervalSeconds = Int(config.int64("leader.imbalance.check.interval.seconds"))
        leaderImbalancePerBrokerPercentage = config.int("leader.imbalance.per.broker.percentage")
        deleteTopicEnable = config.bool("delete.topic.enable")
        controllerSocketTimeoutMs = config.int("controller.socket.timeout.ms")
        observability = try ObservabilityConfig(config)
        guard zookeeperSessionTimeoutMs > 0, controllerSocketTimeoutMs > 0, leaderImbalanceCheckIntervalSeconds > 0
        else { throw ConfigError("timeouts and intervals must be positive") }
    }

    /// Settings for tests and embedding: everything explicit, Kafka's defaults otherwise.
    public init(
        controllerID: Int32, zookeeperConnect: String, listener: Endpoint, advertisedListener: Endpoint? = nil,
        zookeeperSessionTimeoutMs: Int = 18_000, uncleanLeaderElectionEnable: Bool = false,
        autoLeaderRebalanceEnable: Bool = true, leaderImbalanceCheckIntervalSeconds: Int = 300,
        leaderImbalancePerBrokerPercentage: Int = 10, deleteTopicEnable: Bool = true,
        controllerSocketTimeoutMs: Int = 30_000, logLevel: Logger.Level = .info,
        observability: ObservabilityConfig = ObservabilityConfig()
    ) {
        self.controllerID = controllerID
        self.zookeeperConnect = zookeeperConnect
        self.zookeeperSessionTimeoutMs = zookeeperSessionTimeoutMs
        self.zookeeperConnectionTimeoutMs = zookeeperSessionTimeoutMs
        self.listener = listener
        self.advertisedListener = advertisedListener ?? listener
        self.uncleanLeaderElectionEnable = uncleanLeaderElectionEnable
        self.autoLeaderRebalanceEnable = autoLeaderRebalanceEnable
        self.leaderImbalanceCheckIntervalSeconds = leaderImbalanceCheckIntervalSeconds
        self.leaderImbalancePerBrokerPercentage = leaderImbalancePerBrokerPercentage
        self.deleteTopicEnable = deleteTopicEnable
        self.controllerSocketTimeoutMs = controllerSocketTimeoutMs
        self.observability = observability
        self.observability.logLevel = logLevel
    }

    /// The core's part of the configuration.
    public var coreConfiguration: ControllerCore.Configuration {
        ControllerCore.Configuration(
            controllerID: controllerID, uncleanLeaderElectionEnable: uncleanLeaderElectionEnable,
            autoLeaderRebalanceEnable: autoLeaderRebalanceEnable,
            leaderImbalancePerBrokerPercentage: leaderImbalancePerBrokerPercentage, deleteTopicEnable: deleteTopicEnable
        )
    }
}
