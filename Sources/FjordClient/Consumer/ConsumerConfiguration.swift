/// What a consumer does when it has no valid position for a partition (`auto.offset.reset`).
public enum OffsetResetStrategy: String, Sendable, Hashable {
    /// Start at the log start offset.
    case earliest
    /// Start at the log end offset: only records produced from now on.
    case latest
    /// Fail: the records iterator throws.
    case none
}

/// The partition assignment strategies (`partition.assignment.strategy`) the consumer offers its group; the group
/// uses the first one every member supports.
public enum PartitionAssignmentStrategy: String, Sendable, Hashable, CaseIterable {
    /// Per topic, consecutive ranges of partitions to members sorted by member id (Kafka's `RangeAssignor`).
    case range
    /// All partitions dealt out in turn to the members subscribed to them (`RoundRobinAssignor`).
    case roundRobin = "roundrobin"
    /// Balanced and sticky, with incremental cooperative rebalancing (KIP-429, `CooperativeStickyAssignor`):
    /// a member keeps its partitions during a rebalance and gives up only those that move.
    case cooperativeSticky = "cooperative-sticky"

    /// Parses Kafka's names, including the Java class names.
    public init?(parsing text: String) {
        let name = text.split(separator: ".").last.map(String.init)?.lowercased() ?? text.lowercased()
        switch name {
        case "range", "rangeassignor": self = .range
        case "roundrobin", "roundrobinassignor": self = .roundRobin
        case "cooperative-sticky", "cooperativestickyassignor": self = .cooperativeSticky
        default: return nil
        }
    }
}

/// A consumer's settings, with Kafka's consumer property names (given for each) and defaults.
public struct ConsumerConfiguration: Sendable, Hashable {
    /// `bootstrap.servers`.
    public var bootstrapServers: [BrokerAddress]
    /// `client.id`.
    public var clientId: String = "fjord-consumer"
    /// `group.id`: needed for ``Consumer/subscribe(topics:)`` and for committing offsets.
    public var groupId: String?
    /// `auto.offset.reset` (default `latest`).
    public var autoOffsetReset: OffsetResetStrategy = .latest
    /// `enable.auto.commit`: commit the positions of processed records every ``autoCommitInterval``, before a
    /// rebalance revokes partitions, and on close.
    public var enableAutoCommit: Bool = true
    /// `auto.commit.interval.ms`.
    public var autoCommitInterval: Duration = .seconds(5)
    /// `session.timeout.ms`: the coordinator drops a member that sends no heartbeat for this long.
    public var sessionTimeout: Duration = .seconds(45)
    /// `heartbeat.interval.ms`.
    public var heartbeatInterval: Duration = .seconds(3)
    /// `max.poll.interval.ms`: sent as the rebalance timeout (how long members have to rejoin).
    public var maxPollInterval: Duration = .seconds(300)
    /// `partition.assignment.strategy`, in order of preference (Kafka's default: range, then cooperative-sticky).
    public var partitionAssignmentStrategies: [PartitionAssignmentStrategy] = [.range, .cooperativeSticky]
    /// `fetch.min.bytes`.
    public var fetchMinBytes: Int = 1
    /// `fetch.max.bytes`.
    public var fetchMaxBytes: Int = 52_428_800
    /// `max.partition.fetch.bytes`.
    public var maxPartitionFetchBytes: Int = 1_048_576
    /// `fetch.max.wait.ms`: how long a broker may hold a fetch waiting for `fetch.min.bytes`.
    public var fetchMaxWait: Duration = .milliseconds(500)
    /// `isolation.level`: `read_uncommitted` (false) or `read_committed` (true; records of open transactions are
    /// not returned, aborted ones are not filtered — Fjord has no transactions).
    public var readCommitted: Bool = false
    /// Records fetched ahead of the application, in bytes (librdkafka's `queued.max.messages.kbytes`). Fetches
    /// continue while the application processes records, up to this much.
    public var maxBufferedBytes: Int = 64 << 20
    /// `check.crcs`.
    public var checkCRCs: Bool = true
    /// `request.timeout.ms`.
    public var requestTimeout: Duration = .seconds(30)
    /// `retry.backoff.ms`.
    public var retryBackoff: Duration = .milliseconds(100)
    /// `metadata.max.age.ms`.
    public var metadataMaxAge: Duration = .seconds(300)
    /// `reconnect.backoff.ms` / `reconnect.backoff.max.ms`.
    public var reconnectBackoff: Duration = .milliseconds(50)
    public var reconnectBackoffMax: Duration = .seconds(1)
    /// `socket.connection.setup.timeout.ms`.
    public var connectTimeout: Duration = .seconds(10)
    /// `allow.auto.create.topics`.
    public var allowAutoTopicCreation: Bool = true

    public init(bootstrapServers: [BrokerAddress], groupId: String? = nil) {
        self.bootstrapServers = bootstrapServers
        self.groupId = groupId
    }

    /// A configuration from Kafka property strings over the defaults.
    public init(bootstrapServers: [BrokerAddress], properties: [String: String]) throws(KafkaClientError) {
        self.init(bootstrapServers: bootstrapServers)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            try apply(key, value)
        }
    }

    /// Checks the settings against each other as Kafka's `ConsumerConfig` does.
    public func validate() throws(KafkaClientError) {
        func fail(_ message: String) -> KafkaClientError { KafkaClientError(.configuration, message) }
        guard !bootstrapServers.isEmpty else { throw fail("bootstrap.servers is empty; give at least one host:port") }
        guard heartbeatInterval < sessionTimeout else {
            throw fail("heartbeat.interval.ms must be lower than session.timeout.ms")
        }
        guard !partitionAssignmentStrategies.isEmpty else {
            throw fail("partition.assignment.strategy is empty; use range, roundrobin or cooperative-sticky")
        }
        guard fetchMinBytes >= 0, fetchMaxBytes > 0, maxPartitionFetchBytes > 0, maxBufferedBytes > 0 else {
            throw fail("fetch sizes must be positive")
        }
        if let groupId, groupId.isEmpty { throw fail("group.id must not be empty") }
    }

    /// Applies one Kafka consumer property.
    public mutating func apply(_ key: String, _ value: String) throws(KafkaClientError) {
        func bad() -> KafkaClientError {
            KafkaClientError(.configuration, "invalid value \"\(value)\" for consumer property \(key)")
        }
        func int() throws(KafkaClientError) -> Int {
            guard let v = Int(value.trimmingWhitespace()) else { throw bad() }
            return v
        }
        func ms() throws(KafkaClientError) -> Duration { .milliseconds(try int()) }
        func bool() throws(KafkaClientError) -> Bool {
            guard let b = Bool(value.lowercased()) else { throw bad() }
            return b
        }
        switch key {
        case "bootstrap.servers": bootstrapServers = try BrokerAddress.parseList(value)
        case "client.id": clientId = value
        case "group.id": groupId = value
        case "auto.offset.reset":
            switch value.lowercased() {
            case "earliest", "smallest", "beginning": autoOffsetReset = .earliest
            case "latest", "largest", "end": autoOffsetReset = .latest
            case "none", "error": autoOffsetReset = .none
            default: throw bad()
            }
        case "enable.auto.commit": enableAutoCommit = try bool()
        case "auto.commit.interval.ms": autoCommitInterval = try ms()
        case "session.timeout.ms": sessionTimeout = try ms()
        case "heartbeat.interval.ms": heartbeatInterval = try ms()
        case "max.poll.interval.ms": maxPollInterval = try ms()
        case "partition.assignment.strategy":
            var strategies: [PartitionAssignmentStrategy] = []
            for item in value.split(separator: ",") {
                guard let s = PartitionAssignmentStrategy(parsing: String(item.trimmingWhitespace())) else {
                    throw bad()
                }
                strategies.append(s)
            }
            partitionAssignmentStrategies = strategies
        case "fetch.min.bytes": fetchMinBytes = try int()
        case "fetch.max.bytes": fetchMaxBytes = try int()
        case "max.partition.fetch.bytes": maxPartitionFetchBytes = try int()
        case "fetch.max.wait.ms", "fetch.wait.max.ms": fetchMaxWait = try ms()
        case "isolation.level":
            switch value.lowercased() {
            case "read_uncommitted": readCommitted = false
            case "read_committed": readCommitted = true
            default: throw bad()
            }
        case "queued.max.messages.kbytes": maxBufferedBytes = try int() * 1024
        case "check.crcs": checkCRCs = try bool()
        case "request.timeout.ms": requestTimeout = try ms()
        case "retry.backoff.ms": retryBackoff = try ms()
        case "metadata.max.age.ms": metadataMaxAge = try ms()
        case "reconnect.backoff.ms": reconnectBackoff = try ms()
        case "reconnect.backoff.max.ms": reconnectBackoffMax = try ms()
        case "socket.connection.setup.timeout.ms": connectTimeout = try ms()
        case "allow.auto.create.topics": allowAutoTopicCreation = try bool()
        default: throw KafkaClientError(.configuration, "unknown consumer property \(key)")
        }
    }

    var connectionSettings: ConnectionSettings {
        ConnectionSettings(
            bootstrapServers: bootstrapServers, clientId: clientId, requestTimeout: requestTimeout,
            connectTimeout: connectTimeout, reconnectBackoff: reconnectBackoff,
            reconnectBackoffMax: reconnectBackoffMax, metadataMaxAge: metadataMaxAge,
            allowAutoTopicCreation: allowAutoTopicCreation)
    }

    /// Cooperative rebalancing is used only when every offered strategy supports it (as Kafka decides).
    var usesCooperativeRebalancing: Bool {
        partitionAssignmentStrategies.allSatisfy { $0 == .cooperativeSticky }
    }
}
