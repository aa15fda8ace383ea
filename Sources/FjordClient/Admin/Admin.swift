import FjordModel
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix

/// The admin client: topics, partitions, configs, consumer groups (with lag and offset resets) and cluster
/// description. Topic operations go to the broker Metadata names as controller, and are retried once there after
/// NOT_CONTROLLER.
public final class Admin: Sendable {
    public let configuration: AdminConfiguration
    let cluster: ClusterClient

    public init(
        configuration: AdminConfiguration, logger: Logger = Logger(label: "fjord.admin"),
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) {
        self.configuration = configuration
        self.cluster = ClusterClient(
            settings: configuration.connectionSettings, logger: logger,
            group: eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton)
    }

    /// Closes the connections.
    public func close() {
        cluster.close()
    }

    // MARK: Topics

    /// Creates topics; returns each topic's outcome (a topic-level failure does not throw).
    public func createTopics(_ topics: [NewTopic], validateOnly: Bool = false) async throws
        -> [TopicName: Result<Void, KafkaClientError>]
    {
        let request = CreateTopicsRequest(
            topics: topics.map { t in
                CreateTopicsRequest.CreatableTopic(
                    name: t.name.rawValue, numPartitions: t.partitions, replicationFactor: t.replicationFactor,
                    assignments: [],
                    configs: t.configs.sorted { $0.key < $1.key }.map {
                        CreateTopicsRequest.CreatableTopicConfig(name: $0.key, value: $0.value)
                    })
            }, timeoutMs: configuration.requestTimeout.millisecondsInt32, validateOnly: validateOnly)
        let response = try await sendToController(request)
        var results: [TopicName: Result<Void, KafkaClientError>] = [:]
        for t in response.topics {
            let code = ErrorCode(t.errorCode)
            results[TopicName(t.name)] =
                code == .noError ? .success(()) : .failure(.broker(code, t.errorMessage ?? code.defaultMessage))
        }
        return results
    }

    /// Creates one topic.
    ///
    /// - Throws: `.broker(TOPIC_ALREADY_EXISTS)`, `.broker(INVALID_REPLICATION_FACTOR)`… as the broker answers.
    public func createTopic(
        _ name: String, partitions: Int32 = -1, replicationFactor: Int16 = -1, configs: [String: String] = [:]
    ) async throws {
        let topic = TopicName(name)
        if let problem = topic.validationError { throw KafkaClientError(.invalidArgument, problem) }
        let results = try await createTopics([
            NewTopic(name: topic, partitions: partitions, replicationFactor: replicationFactor, configs: configs)
        ])
        guard let result = results[topic] else {
            throw KafkaClientError(.protocolViolation, "CreateTopics response does not mention \(name)")
        }
        try result.get()
    }

    /// Deletes topics.
    ///
    /// - Throws: the first topic's error (UNKNOWN_TOPIC_OR_PARTITION for a missing topic…).
    public func deleteTopics(_ names: [String]) async throws {
        let request = DeleteTopicsRequest(
            topicNames: names, timeoutMs: configuration.requestTimeout.millisecondsInt32)
        let response = try await sendToController(request)
        for r in response.responses where r.errorCode != 0 {
            throw KafkaClientError.broker(
                ErrorCode(r.errorCode), "cannot delete topic \(r.name ?? "?")\(r.errorMessage.map { ": \($0)" } ?? "")")
        }
    }

    /// Raises a topic's partition count to `totalCount`.
    public func createPartitions(topic: String, totalCount: Int32) async throws {
        let request = CreatePartitionsRequest(
            topics: [CreatePartitionsRequest.CreatePartitionsTopic(name: topic, count: totalCount, assignments: nil)],
            timeoutMs: configuration.requestTimeout.millisecondsInt32, validateOnly: false)
        let response = try await sendToController(request)
        for r in response.results where r.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(r.errorCode), r.errorMessage)
        }
    }

    /// Topic names, sorted (internal topics only when asked).
    public func listTopics(includeInternal: Bool = false) async throws -> [TopicName] {
        let metadata = try await cluster.fetchMetadata(topics: nil, allowAutoTopicCreation: false)
        return metadata.topics.values.filter { includeInternal || !$0.isInternal }.map(\.name).sorted()
    }

    /// Describes topics (nil: all topics), sorted by name.
    ///
    /// - Throws: `.broker(UNKNOWN_TOPIC_OR_PARTITION)` when a named topic does not exist.
    public func describeTopics(_ names: [String]? = nil) async throws -> [TopicMetadata] {
        let wanted = names.map { Set($0.map { TopicName($0) }) }
        let metadata = try await cluster.fetchMetadata(topics: wanted, allowAutoTopicCreation: false)
        var result: [TopicMetadata] = []
        for name in (wanted.map { Array($0) } ?? Array(metadata.topics.keys)).sorted() {
            guard let topic = metadata.topics[name], topic.error != .unknownTopicOrPartition else {
                throw KafkaClientError.broker(.unknownTopicOrPartition, "topic '\(name)' does not exist")
            }
            result.append(topic)
        }
        return result
    }

    // MARK: Configs

    /// The configuration of a topic (resource type 2) or broker (resource type 4).
    public func describeConfigs(topic: String) async throws -> [ConfigEntry] {
        try await describeConfigs(resourceType: 2, name: topic)
    }

    public func describeConfigs(broker: BrokerID) async throws -> [ConfigEntry] {
        try await describeConfigs(resourceType: 4, name: String(broker.rawValue))
    }

    private func describeConfigs(resourceType: Int8, name: String) async throws -> [ConfigEntry] {
        let request = DescribeConfigsRequest(
            resources: [
                DescribeConfigsRequest.DescribeConfigsResource(
                    resourceType: resourceType, resourceName: name, configurationKeys: nil)
            ], includeSynonyms: false, includeDocumentation: false)
        let response: DescribeConfigsResponse
        if resourceType == 4, let broker = Int32(name) {
            response = try await cluster.send(request, to: BrokerID(broker))
        } else {
            let connection = try await cluster.anyConnection()
            response = try await connection.send(request)
        }
        guard let result = response.results.first else { return [] }
        guard result.errorCode == 0 else {
            throw KafkaClientError.broker(ErrorCode(result.errorCode), result.errorMessage)
        }
        return result.configs.map { c in
            let source: ConfigEntry.Source =
                c.configSource > 0
                ? ConfigEntry.Source(rawValue: c.configSource) ?? .unknown
                : (c.isDefault ? .defaultConfig : (resourceType == 2 ? .dynamicTopicConfig : .staticBrokerConfig))
            return ConfigEntry(
                name: c.name, value: c.value, source: source, isReadOnly: c.readOnly, isSensitive: c.isSensitive)
        }.sorted { $0.name < $1.name }
    }

    /// Sets and removes topic config overrides. AlterConfigs replaces the whole override set, so the current
    /// overrides are read first and merged (what `kafka-configs --alter` does with this API).
    public func alterTopicConfigs(topic: String, set: [String: String], delete: [String] = []) async throws {
        var overrides: [String: String] = [:]
        for entry in try await describeConfigs(topic: topic) where entry.isTopicOverride {
            if let value = entry.value { overrides[entry.name] = value }
        }
        for (k, v) in set { overrides[k] = v }
        for k in delete { overrides[k] = nil }
        let request = AlterConfigsRequest(
            resources: [
                AlterConfigsRequest.AlterConfigsResource(
                    resourceType: 2, resourceName: topic,
                    configs: overrides.sorted { $0.key < $1.key }.map {
                        AlterConfigsRequest.AlterableConfig(name: $0.key, value: $0.value)
                    })
            ], validateOnly: false)
        let response = try await sendToController(request)
        for r in response.responses where r.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(r.errorCode), r.errorMessage)
        }
    }

    // MARK: Cluster

    /// Brokers, the controller id Metadata reports, and every topic's partitions.
    public func describeCluster() async throws -> ClusterDescription {
        let metadata = try await cluster.fetchMetadata(topics: nil, allowAutoTopicCreation: false)
        var description = ClusterDescription(
            clusterId: metadata.clusterId, controllerId: metadata.controllerId,
            brokers: metadata.brokers.values.sorted { $0.id < $1.id },
            topics: metadata.topics.values.sorted { $0.name < $1.name })
        description.activeController = try await activeController()
        return description
    }

    /// The active fjord-controller process as a broker last saw it (``FjordActiveController``, a tagged field of
    /// DescribeCluster); nil when there is none, or the broker does not say (a Kafka broker, or one without
    /// DescribeCluster).
    func activeController() async throws -> FjordActiveController? {
        let connection = try await cluster.anyConnection()
        guard connection.versions.version(for: .describeCluster) != nil else { return nil }
        let response = try await connection.send(DescribeClusterRequest())
        if response.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(response.errorCode), response.errorMessage)
        }
        return try FjordActiveController.find(in: response.unknownTaggedFields)
    }

    // MARK: Internals

    /// Sends a request to the controller Metadata names, refreshing and retrying after NOT_CONTROLLER or a
    /// connection failure.
    func sendToController<R: KafkaRequest>(_ request: R) async throws -> R.Response {
        var lastError: (any Error)?
        for attempt in 0..<3 {
            if attempt > 0 { try await Task.sleep(for: configuration.retryBackoff * attempt) }
            let metadata = try await cluster.fetchMetadata(topics: [], allowAutoTopicCreation: false)
            do {
                let connection =
                    if let controller = metadata.controllerId {
                        try await cluster.connection(to: controller)
                    } else {
                        try await cluster.anyConnection()
                    }
                let response = try await connection.send(request)
                if Self.reportsNotController(response) {
                    lastError = KafkaClientError.broker(.notController)
                    continue
                }
                return response
            } catch let error as KafkaClientError where error.isRetriable {
                lastError = error
            }
        }
        throw lastError ?? KafkaClientError.broker(.notController)
    }

    private static func reportsNotController(_ response: some KafkaResponse) -> Bool {
        let notController = ErrorCode.notController.rawValue
        switch response {
        case let r as CreateTopicsResponse: return r.topics.contains { $0.errorCode == notController }
        case let r as DeleteTopicsResponse: return r.responses.contains { $0.errorCode == notController }
        case let r as CreatePartitionsResponse: return r.results.contains { $0.errorCode == notController }
        default: return false
        }
    }
}
