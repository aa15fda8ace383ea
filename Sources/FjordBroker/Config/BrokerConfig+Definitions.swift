import FjordCluster
import FjordCoordinator
import FjordObservability

extension BrokerConfig {
    /// Every key `fjord-broker` reads, with Kafka 3.9's names, defaults and meaning.
    ///
    /// The list drives parsing (types are checked when the configuration is resolved), the `KAFKA_*`/`FJORD_*`
    /// environment mapping, `fjord-broker --print-config-keys`, DescribeConfigs on the broker resource, and
    /// docs/configuration.md. A key without a default (`nil`) is unset unless given.
    public static let definitions: [ConfigDefinition] =
        identityDefinitions + zooKeeperDefinitions + topicDefaultDefinitions + logDefinitions + networkDefinitions
        + replicationDefinitions + GroupCoordinatorConfig.definitions + shutdownDefinitions
        + ObservabilityConfig.definitions

    static let identityDefinitions: [ConfigDefinition] = [
        ConfigDefinition("broker.id", .int, default: "-1", "This broker's id; unique in the cluster, at least 0."),
        ConfigDefinition("broker.rack", .string, default: nil, "The rack of the broker (reported in metadata)."),
        ConfigDefinition(
            "listeners", .list, default: "PLAINTEXT://:9092",
            "Addresses the broker binds: NAME://host:port, comma-separated; an empty host binds every interface."),
        ConfigDefinition(
            "advertised.listeners", .list, default: nil,
            "Addresses published in ZooKeeper for clients and other brokers, per listener name; defaults to listeners."),
        ConfigDefinition(
            "listener.security.protocol.map", .list,
            default: "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
            "Security protocol of each listener name, NAME:PROTOCOL. Fjord serves PLAINTEXT only."),
        ConfigDefinition(
            "inter.broker.listener.name", .string, default: nil,
            "The listener other brokers and the controller use; the only one accepting control requests."),
    ]

    static let zooKeeperDefinitions: [ConfigDefinition] = [
        ConfigDefinition(
            "zookeeper.connect", .string, default: nil,
            "ZooKeeper connect string host:port[,host:port]/chroot (the chroot is created if missing)."),
        ConfigDefinition(
            "zookeeper.session.timeout.ms", .int, default: "18000",
            "ZooKeeper session timeout; the controller declares the broker dead this long after losing it."),
        ConfigDefinition(
            "zookeeper.connection.timeout.ms", .int, default: nil,
            "How long to wait for the first ZooKeeper connection; defaults to the session timeout."),
    ]

    static let topicDefaultDefinitions: [ConfigDefinition] = [
        ConfigDefinition("num.partitions", .int, default: "1", "Partitions of auto-created topics."),
        ConfigDefinition(
            "default.replication.factor", .int, default: "1",
            "Replication factor of auto-created topics and of CreateTopics requests that leave it unset."),
        ConfigDefinition(
            "min.insync.replicas", .int, default: "1",
            "Fewest in-sync replicas an acks=all produce needs (else NOT_ENOUGH_REPLICAS)."),
        ConfigDefinition(
            "unclean.leader.election.enable", .bool, default: "false",
            "Whether a replica outside the ISR may become leader (losing records)."),
        ConfigDefinition(
            "auto.create.topics.enable", .bool, default: "true",
            "Whether a Metadata request that allows it creates unknown topics."),
        ConfigDefinition("delete.topic.enable", .bool, default: "true", "Whether DeleteTopics is allowed."),
        ConfigDefinition(
            "auto.leader.rebalance.enable", .bool, default: "true",
            "Accepted for compatibility; the controller process moves leadership back to preferred replicas."),
        ConfigDefinition(
            "offsets.topic.replication.factor", .int, default: "3",
            "Accepted for compatibility; Fjord keeps committed offsets in ZooKeeper, not in a topic."),
    ]

    static let logDefinitions: [ConfigDefinition] = [
        ConfigDefinition("log.dirs", .list, default: nil, "Directories holding partition logs; overrides log.dir."),
        ConfigDefinition("log.dir", .string, default: "/tmp/kafka-logs", "The log directory when log.dirs is unset."),
        ConfigDefinition(
            "log.retention.hours", .int, default: "168", "Hours to keep a segment (lowest precedence of the three)."),
        ConfigDefinition("log.retention.minutes", .int, default: nil, "Minutes to keep a segment; overrides hours."),
        ConfigDefinition(
            "log.retention.ms", .long, default: nil, "Milliseconds to keep a segment; overrides minutes; -1: forever."),
        ConfigDefinition(
            "log.retention.bytes", .long, default: "-1", "Largest size of a partition's log before old segments go."),
        ConfigDefinition(
            "log.retention.check.interval.ms", .long, default: "300000", "How often retention runs."),
        ConfigDefinition("log.segment.bytes", .int, default: "1073741824", "Largest size of one segment file."),
        ConfigDefinition("log.roll.hours", .int, default: "168", "Longest age of the active segment before a roll."),
        ConfigDefinition("log.roll.ms", .long, default: nil, "Longest age of the active segment; overrides hours."),
        ConfigDefinition(
            "log.flush.interval.messages", .long, default: "9223372036854775807",
            "Records appended to a partition between forced flushes."),
        ConfigDefinition(
            "log.flush.interval.ms", .long, default: nil, "Longest time a record waits in memory before a flush."),
        ConfigDefinition(
            "log.message.timestamp.type", .string, default: "CreateTime",
            "CreateTime keeps the producer's timestamps; LogAppendTime stamps batches at append."),
        ConfigDefinition(
            "log.cleanup.policy", .list, default: "delete", "Default cleanup policy of topics: delete or compact."),
        ConfigDefinition(
            "log.index.size.max.bytes", .int, default: "10485760", "Largest size of a segment's offset index."),
        ConfigDefinition(
            "log.index.interval.bytes", .int, default: "4096", "Bytes of log between two offset index entries."),
        ConfigDefinition(
            "compression.type", .string, default: "producer",
            "Accepted for compatibility; Fjord stores batches as the producer compressed them."),
        ConfigDefinition(
            "message.max.bytes", .int, default: "1048588",
            "Largest record batch a producer may append (topic override: max.message.bytes)."),
    ]

    static let networkDefinitions: [ConfigDefinition] = [
        ConfigDefinition(
            "socket.request.max.bytes", .int, default: "104857600",
            "Largest request accepted; a larger size prefix closes the connection before the body is read."),
        ConfigDefinition("connections.max.idle.ms", .long, default: "600000", "Idle connections close after this."),
        ConfigDefinition("num.network.threads", .int, default: "3", "Event-loop threads serving connections."),
    ]

    static let replicationDefinitions: [ConfigDefinition] = [
        ConfigDefinition(
            "replica.lag.time.max.ms", .long, default: "30000",
            "A follower that has not caught up for this long leaves the ISR."),
        ConfigDefinition(
            "replica.fetch.max.bytes", .int, default: "1048576", "Bytes a follower fetches per partition."),
        ConfigDefinition("replica.fetch.wait.max.ms", .int, default: "500", "Longest wait of a follower fetch."),
        ConfigDefinition("replica.fetch.min.bytes", .int, default: "1", "Bytes a follower fetch waits for."),
        ConfigDefinition(
            "replica.fetch.response.max.bytes", .int, default: "10485760", "Bytes of one follower fetch response."),
        ConfigDefinition(
            "replica.fetch.backoff.ms", .int, default: "1000", "Pause after a follower fetch fails."),
        ConfigDefinition("num.replica.fetchers", .int, default: "1", "Fetcher sessions per source broker."),
        ConfigDefinition(
            "replica.high.watermark.checkpoint.interval.ms", .long, default: "5000",
            "How often high watermarks are written to disk."),
    ]

    static let shutdownDefinitions: [ConfigDefinition] = [
        ConfigDefinition(
            "controlled.shutdown.enable", .bool, default: "true",
            "On SIGTERM, ask the controller to move leadership away before stopping."),
        ConfigDefinition(
            "controlled.shutdown.max.retries", .int, default: "3", "ControlledShutdown attempts before giving up."),
        ConfigDefinition(
            "controlled.shutdown.retry.backoff.ms", .long, default: "5000",
            "Pause between ControlledShutdown attempts."),
    ]
}
