import FjordBroker
import FjordCluster
import FjordModel
import FjordStorage
import Testing

@Suite struct BrokerConfigTests {
    static let required = ["broker.id": "1", "zookeeper.connect": "localhost:2181/fjord"]

    @Test func defaultsAreKafkas() throws {
        let config = try BrokerConfig.load(fileText: nil, environment: [:], overrides: Self.required)
        #expect(config.listeners == [Endpoint(listenerName: "PLAINTEXT", host: "", port: 9092)])
        #expect(config.interBrokerListenerName == "PLAINTEXT")
        #expect(config.numPartitions == 1 && config.defaultReplicationFactor == 1)
        #expect(config.autoCreateTopicsEnable && config.deleteTopicEnable && !config.uncleanLeaderElectionEnable)
        #expect(config.defaultLogConfig.retentionMs == 168 * 3_600_000)
        #expect(config.defaultLogConfig.segmentBytes == 1_073_741_824)
        #expect(config.messageMaxBytes == 1_048_588)
        #expect(config.zooKeeperSessionTimeoutMs == 18_000 && config.zooKeeperConnectionTimeoutMs == 18_000)
        #expect(config.logDirs == ["/tmp/kafka-logs"])
        #expect(config.replicaLagTimeMaxMs == 30_000)
        #expect(config.controlledShutdownEnable && config.controlledShutdownMaxRetries == 3)
    }

    /// File, then environment (KAFKA_ and FJORD_), then --override flags.
    @Test func laterSourcesWin() throws {
        let file =
            "broker.id=1\nzookeeper.connect=a:1\nnum.partitions=2\nlog.dirs=/file\ndefault.replication.factor=2\n"
        let config = try BrokerConfig.load(
            fileText: file, environment: ["KAFKA_NUM_PARTITIONS": "3", "KAFKA_LOG_DIRS": "/env", "KAFKA_HOME": "/x"],
            overrides: ["num.partitions": "4"])
        #expect(config.numPartitions == 4)
        #expect(config.logDirs == ["/env"])
        #expect(config.defaultReplicationFactor == 2)
        #expect(config.resolved.properties.sources["log.dirs"] == "env KAFKA_LOG_DIRS")
    }

    @Test func retentionPrecedenceMsOverMinutesOverHours() throws {
        var o = Self.required
        o["log.retention.hours"] = "1"
        #expect(
            try BrokerConfig.load(fileText: nil, environment: [:], overrides: o).defaultLogConfig.retentionMs
                == 3_600_000)
        o["log.retention.minutes"] = "2"
        #expect(
            try BrokerConfig.load(fileText: nil, environment: [:], overrides: o).defaultLogConfig.retentionMs == 120_000
        )
        o["log.retention.ms"] = "-1"
        #expect(try BrokerConfig.load(fileText: nil, environment: [:], overrides: o).defaultLogConfig.retentionMs == -1)
    }

    @Test func listenersAndAdvertisedListeners() throws {
        var o = Self.required
        o["listeners"] = "EXTERNAL://:9092,INTERNAL://127.0.0.1:19092"
        o["advertised.listeners"] = "EXTERNAL://localhost:9092,INTERNAL://127.0.0.1:19092"
        o["listener.security.protocol.map"] = "EXTERNAL:PLAINTEXT,INTERNAL:PLAINTEXT"
        o["inter.broker.listener.name"] = "internal"
        let config = try BrokerConfig.load(fileText: nil, environment: [:], overrides: o)
        #expect(config.interBrokerListenerName == "INTERNAL")
        #expect(config.interBrokerEndpoint == Endpoint(listenerName: "INTERNAL", host: "127.0.0.1", port: 19092))
    }

    @Test func rejectsBrokenListenerSetups() {
        var o = Self.required
        o["listeners"] = "EXTERNAL://:9092"
        #expect(throws: ConfigError.self) {  // EXTERNAL missing from the protocol map
            try BrokerConfig.load(fileText: nil, environment: [:], overrides: o)
        }
        o["listener.security.protocol.map"] = "EXTERNAL:PLAINTEXT"
        #expect(throws: ConfigError.self) {  // inter-broker listener PLAINTEXT is not a listener
            try BrokerConfig.load(fileText: nil, environment: [:], overrides: o)
        }
        o["inter.broker.listener.name"] = "EXTERNAL"
        #expect(throws: Never.self) { try BrokerConfig.load(fileText: nil, environment: [:], overrides: o) }
        o["listener.security.protocol.map"] = "EXTERNAL:SSL"
        #expect(throws: ConfigError.self) { try BrokerConfig.load(fileText: nil, environment: [:], overrides: o) }
    }

    @Test func requiresBrokerIDAndZooKeeper() {
        #expect(throws: ConfigError.self) {
            try BrokerConfig.load(fileText: nil, environment: [:], overrides: ["zookeeper.connect": "a:1"])
        }
        #expect(throws: ConfigError.self) {
            try BrokerConfig.load(fileText: nil, environment: [:], overrides: ["broker.id": "1"])
        }
        #expect(throws: ConfigError.self) {
            try BrokerConfig.load(
                fileText: nil, environment: [:], overrides: Self.required.merging(["num.partitions": "x"]) { $1 })
        }
    }

    /// The keys the brief (and the compose checker) rely on are all defined.
    @Test func definesTheDocumentedKeys() {
        let names = Set(BrokerConfig.definitions.map(\.name))
        for key in [
            "broker.id", "listeners", "advertised.listeners", "listener.security.protocol.map",
            "inter.broker.listener.name", "log.dirs", "log.dir", "zookeeper.connect", "zookeeper.session.timeout.ms",
            "zookeeper.connection.timeout.ms", "num.partitions", "default.replication.factor", "min.insync.replicas",
            "unclean.leader.election.enable", "auto.create.topics.enable", "delete.topic.enable",
            "log.retention.hours", "log.retention.minutes", "log.retention.ms", "log.retention.bytes",
            "log.retention.check.interval.ms", "log.segment.bytes", "log.roll.hours", "log.roll.ms",
            "log.flush.interval.messages", "log.flush.interval.ms", "log.message.timestamp.type", "message.max.bytes",
            "socket.request.max.bytes", "connections.max.idle.ms", "num.network.threads", "replica.lag.time.max.ms",
            "replica.fetch.max.bytes", "replica.fetch.wait.max.ms", "replica.fetch.min.bytes",
            "replica.fetch.response.max.bytes", "replica.high.watermark.checkpoint.interval.ms",
            "group.initial.rebalance.delay.ms", "group.min.session.timeout.ms", "group.max.session.timeout.ms",
            "offsets.retention.minutes", "offsets.topic.replication.factor", "controlled.shutdown.enable",
            "controlled.shutdown.max.retries", "controlled.shutdown.retry.backoff.ms", "broker.rack", "log.level",
            "metrics.port",
        ] {
            #expect(names.contains(key), "missing \(key)")
        }
        #expect(names.count == BrokerConfig.definitions.count, "a key is defined twice")
    }

    @Test func commandLine() throws {
        let parsed = try BrokerCommandLine(arguments: [
            "server.properties", "--override", "broker.id=3", "--override=a=b=c",
        ])
        #expect(parsed.configFile == "server.properties")
        #expect(parsed.overrides == ["broker.id": "3", "a": "b=c"])
        #expect(try BrokerCommandLine(arguments: ["--config", "x"]).configFile == "x")
        #expect(try BrokerCommandLine(arguments: ["--print-config-keys"]).action == .printConfigKeys)
        #expect(throws: ConfigError.self) { try BrokerCommandLine(arguments: ["--bogus"]) }
        #expect(throws: ConfigError.self) { try BrokerCommandLine(arguments: ["--override", "novalue"]) }
    }
}

@Suite struct TopicConfigTests {
    let defaults = try! BrokerConfig.load(
        fileText: nil, environment: [:],
        overrides: ["broker.id": "1", "zookeeper.connect": "a:1", "min.insync.replicas": "2"])

    @Test func overridesResolveOverBrokerDefaults() {
        let config = TopicConfig.logConfig(
            overrides: [
                "retention.ms": "1000", "segment.bytes": "2048", "max.message.bytes": "100",
                "message.timestamp.type": "LogAppendTime",
            ], defaults: defaults)
        #expect(config.retentionMs == 1000 && config.segmentBytes == 2048 && config.maxMessageBytes == 100)
        #expect(config.timestampType == .logAppendTime)
        #expect(config.segmentMs == defaults.defaultLogConfig.segmentMs)
        #expect(TopicConfig.minInsyncReplicas(overrides: [:], defaults: defaults) == 2)
        #expect(TopicConfig.minInsyncReplicas(overrides: ["min.insync.replicas": "3"], defaults: defaults) == 3)
    }

    @Test func validation() {
        #expect(
            TopicConfig.validationError(["retention.ms": "-1", "cleanup.policy": "compact,delete"], defaults: defaults)
                == nil)
        #expect(TopicConfig.validationError(["nope": "1"], defaults: defaults) != nil)
        #expect(TopicConfig.validationError(["segment.bytes": "10"], defaults: defaults) != nil)
        #expect(TopicConfig.validationError(["cleanup.policy": "remove"], defaults: defaults) != nil)
        #expect(TopicConfig.validationError(["min.insync.replicas": "0"], defaults: defaults) != nil)
        #expect(TopicConfig.validationError(["unclean.leader.election.enable": "maybe"], defaults: defaults) != nil)
    }

    /// Unparseable overrides from ZooKeeper fall back to the defaults instead of failing.
    @Test func badStoredOverridesAreIgnored() {
        let config = TopicConfig.logConfig(overrides: ["retention.ms": "soon"], defaults: defaults)
        #expect(config.retentionMs == defaults.defaultLogConfig.retentionMs)
    }
}
