import FjordModel
import KafkaProtocol

/// An admin client's settings (Kafka's AdminClient property names).
public struct AdminConfiguration: Sendable, Hashable {
    /// `bootstrap.servers`.
    public var bootstrapServers: [BrokerAddress]
    /// `client.id`.
    public var clientId: String = "fjord-admin"
    /// `request.timeout.ms`; also the broker-side timeout of topic operations.
    public var requestTimeout: Duration = .seconds(30)
    /// `retry.backoff.ms`.
    public var retryBackoff: Duration = .milliseconds(100)
    /// `reconnect.backoff.ms` / `reconnect.backoff.max.ms`.
    public var reconnectBackoff: Duration = .milliseconds(50)
    public var reconnectBackoffMax: Duration = .seconds(1)
    /// `socket.connection.setup.timeout.ms`.
    public var connectTimeout: Duration = .seconds(10)

    public init(bootstrapServers: [BrokerAddress]) {
        self.bootstrapServers = bootstrapServers
    }

    /// Applies one Kafka admin property.
    public mutating func apply(_ key: String, _ value: String) throws(KafkaClientError) {
        guard let ms = Int(value.trimmingWhitespace()) else {
            if key == "client.id" {
                clientId = value
                return
            }
            if key == "bootstrap.servers" {
                bootstrapServers = try BrokerAddress.parseList(value)
                return
            }
            throw KafkaClientError(.configuration, "invalid value \"\(value)\" for admin property \(key)")
        }
        switch key {
        case "request.timeout.ms", "default.api.timeout.ms": requestTimeout = .milliseconds(ms)
        case "retry.backoff.ms": retryBackoff = .milliseconds(ms)
        case "reconnect.backoff.ms": reconnectBackoff = .milliseconds(ms)
        case "reconnect.backoff.max.ms": reconnectBackoffMax = .milliseconds(ms)
        case "socket.connection.setup.timeout.ms": connectTimeout = .milliseconds(ms)
        case "client.id": clientId = value
        default: throw KafkaClientError(.configuration, "unknown admin property \(key)")
        }
    }

    var connectionSettings: ConnectionSettings {
        ConnectionSettings(
            bootstrapServers: bootstrapServers, clientId: clientId, requestTimeout: requestTimeout,
            connectTimeout: connectTimeout, reconnectBackoff: reconnectBackoff,
            reconnectBackoffMax: reconnectBackoffMax, allowAutoTopicCreation: false)
    }
}

/// A topic to create.
public struct NewTopic: Sendable, Hashable {
    public var name: TopicName
    /// -1: the broker's `num.partitions`.
    public var partitions: Int32
    /// -1: the broker's `default.replication.factor`.
    public var replicationFactor: Int16
    public var configs: [String: String]

    public init(name: TopicName, partitions: Int32 = -1, replicationFactor: Int16 = -1, configs: [String: String] = [:])
    {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// One configuration entry of a topic or broker (DescribeConfigs).
public struct ConfigEntry: Sendable, Hashable {
    /// Where the value comes from (Kafka's `ConfigSource`).
    public enum Source: Int8, Sendable, Hashable {
        case unknown = 0
        case dynamicTopicConfig = 1
        case dynamicBrokerConfig = 2
        case dynamicDefaultBrokerConfig = 3
        case staticBrokerConfig = 4
        case defaultConfig = 5
        case dynamicBrokerLoggerConfig = 6
    }

    public var name: String
    public var value: String?
    public var source: Source
    public var isReadOnly: Bool
    public var isSensitive: Bool

    public init(name: String, value: String?, source: Source, isReadOnly: Bool = false, isSensitive: Bool = false) {
        self.name = name
        self.value = value
        self.source = source
        self.isReadOnly = isReadOnly
        self.isSensitive = isSensitive
    }

    /// A per-topic override (what `kafka-topics --describe` lists under Configs).
    public var isTopicOverride: Bool { source == .dynamicTopicConfig }
}

/// A group as ListGroups reports it.
public struct GroupListing: Sendable, Hashable {
    public var groupId: String
    public var protocolType: String

    public init(groupId: String, protocolType: String) {
        self.groupId = groupId
        self.protocolType = protocolType
    }
}

/// A group member (DescribeGroups), with its assignment decoded for consumer groups.
public struct GroupMemberDescription: Sendable, Hashable {
    public var memberId: String
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    public var assignment: [TopicPartition]

    public init(
        memberId: String, groupInstanceId: String? = nil, clientId: String, clientHost: String,
        assignment: [TopicPartition]
    ) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.clientId = clientId
        self.clientHost = clientHost
        self.assignment = assignment
    }
}

/// A group (DescribeGroups).
public struct GroupDescription: Sendable, Hashable {
    public var groupId: String
    /// Empty, PreparingRebalance, CompletingRebalance, Stable or Dead.
    public var state: String
    public var protocolType: String
    /// The assignor chosen (range, roundrobin, cooperative-sticky…).
    public var assignmentStrategy: String
    public var members: [GroupMemberDescription]
    public var coordinator: BrokerInfo?
    public var error: ErrorCode

    public init(
        groupId: String, state: String, protocolType: String, assignmentStrategy: String,
        members: [GroupMemberDescription], coordinator: BrokerInfo? = nil, error: ErrorCode = .noError
    ) {
        self.groupId = groupId
        self.state = state
        self.protocolType = protocolType
        self.assignmentStrategy = assignmentStrategy
        self.members = members
        self.coordinator = coordinator
        self.error = error
    }
}

/// One partition's row of a group's lag report.
public struct GroupPartitionLag: Sendable, Hashable {
    public var topicPartition: TopicPartition
    /// The committed offset, nil when none.
    public var currentOffset: Offset?
    public var logEndOffset: Offset?
    /// `logEndOffset - currentOffset` when both are known.
    public var lag: Int64? {
        guard let currentOffset, let logEndOffset else { return nil }
        return max(0, logEndOffset - currentOffset)
    }
    /// The member consuming it, nil when unassigned.
    public var member: GroupMemberDescription?

    public init(
        topicPartition: TopicPartition, currentOffset: Offset?, logEndOffset: Offset?,
        member: GroupMemberDescription? = nil
    ) {
        self.topicPartition = topicPartition
        self.currentOffset = currentOffset
        self.logEndOffset = logEndOffset
        self.member = member
    }
}

/// The cluster as Metadata describes it.
public struct ClusterDescription: Sendable, Hashable {
    public var clusterId: String?
    /// The broker Metadata reports as controller (for Fjord: the broker that takes admin requests).
    public var controllerId: BrokerID?
    public var brokers: [BrokerInfo]
    public var topics: [TopicMetadata]
    /// The active fjord-controller process (its `controller.id` and RPC endpoint), when a broker named one.
    public var activeController: FjordActiveController?

    public init(
        clusterId: String?, controllerId: BrokerID?, brokers: [BrokerInfo], topics: [TopicMetadata],
        activeController: FjordActiveController? = nil
    ) {
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.brokers = brokers
        self.topics = topics
        self.activeController = activeController
    }
}

/// Where ``Admin/resetGroupOffsets(group:partitions:to:execute:)`` moves a group's offsets.
public enum OffsetResetTarget: Sendable, Hashable {
    case earliest
    case latest
    case offset(Offset)
    /// The earliest offset with a timestamp at or after this time.
    case timestamp(TimestampMs)
    /// Shift by this many records from the current committed offset (clamped to the log).
    case shiftBy(Int64)
}
