import FjordCluster
import FjordModel
import KafkaProtocol
import NIOCore

/// Kafka's `ConfigSource` values as carried on the wire.
enum ConfigSource: Int8, Sendable {
    case unknown = 0
    case topicConfig = 1
    case dynamicBrokerConfig = 2
    case dynamicDefaultBrokerConfig = 3
    case staticBrokerConfig = 4
    case defaultConfig = 5
}

/// Kafka's config resource types.
enum ConfigResourceType: Int8, Sendable {
    case topic = 2
    case broker = 4
    case brokerLogger = 8
}

/// One described config entry with its synonyms (most specific first).
struct ConfigEntry: Sendable {
    var name: String
    var value: String?
    var source: ConfigSource
    var kind: ConfigDefinition.Kind
    var documentation: String
    var synonyms: [(name: String, value: String?, source: ConfigSource)]
}

/// DescribeConfigs (key 32), served 0–3.
///
/// - Topic resources: every topic-level key (or those asked for), the override from `/config/topics/<t>` (source
///   TOPIC_CONFIG) or the broker's value (STATIC_BROKER_CONFIG when set in the file, environment or flags, else
///   DEFAULT_CONFIG); synonyms list the chain when asked; unknown topics get UNKNOWN_TOPIC_OR_PARTITION.
/// - Broker resources: this broker's id gives every broker key with its static or default value; the empty name
///   (cluster-wide dynamic defaults) gives none, since Fjord has no dynamic broker configs; another id is
///   INVALID_REQUEST, as in Kafka.
/// - v0 reports `is_default`; v3 adds documentation and types when asked.
enum DescribeConfigsHandler {
    static func handle(
        _ request: DescribeConfigsRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        let needsLoad = request.resources.filter { $0.resourceType == ConfigResourceType.topic.rawValue }
            .map { TopicName($0.resourceName) }.filter { !broker.topicConfigs.isLoaded($0) }
        guard needsLoad.isEmpty else {
            return context.eventLoop.makeFutureWithTask {
                await broker.topicConfigs.ensureLoaded(needsLoad)
                return .message(respond(request, version: version, broker))
            }
        }
        return context.eventLoop.makeSucceededFuture(.message(respond(request, version: version, broker)))
    }

    static func respond(_ request: DescribeConfigsRequest, version: Int16, _ broker: BrokerContext)
        -> DescribeConfigsResponse
    {
        let results = request.resources.map { resource -> DescribeConfigsResponse.DescribeConfigsResult in
            var result = DescribeConfigsResponse.DescribeConfigsResult(
                resourceType: resource.resourceType, resourceName: resource.resourceName)
            let entries: [ConfigEntry]
            switch ConfigResourceType(rawValue: resource.resourceType) {
            case .topic:
                let topic = TopicName(resource.resourceName)
                if let problem = topic.validationError {
                    result.errorCode = ErrorCode.invalidTopicException.rawValue
                    result.errorMessage = problem
                    return result
                }
                guard broker.metadataCache.snapshot.contains(topic) else {
                    result.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    result.errorMessage = "Topic \(topic) does not exist."
                    return result
                }
                entries = topicEntries(overrides: broker.topicConfigs.overrides(for: topic), broker: broker)
            case .broker:
                if resource.resourceName.isEmpty {
                    entries = []
                } else if resource.resourceName == String(broker.brokerID.rawValue) {
                    entries = brokerEntries(broker.config)
                } else {
                    result.errorCode = ErrorCode.invalidRequest.rawValue
                    result.errorMessage =
                        "Unexpected broker id, expected \(broker.brokerID) or empty string, but received "
                        + resource.resourceName
                    return result
                }
            default:
                result.errorCode = ErrorCode.invalidRequest.rawValue
                result.errorMessage = "Unsupported resource type \(resource.resourceType)"
                return result
            }
            let wanted = resource.configurationKeys.map(Set.init)
            result.configs = entries.filter { wanted?.contains($0.name) ?? true }.map {
                encode($0, version: version, synonyms: request.includeSynonyms, docs: request.includeDocumentation)
            }
            return result
        }
        return DescribeConfigsResponse(results: results)
    }

    static func encode(_ entry: ConfigEntry, version: Int16, synonyms: Bool, docs: Bool)
        -> DescribeConfigsResponse.DescribeConfigsResourceResult
    {
        var result = DescribeConfigsResponse.DescribeConfigsResourceResult(
            name: entry.name, value: entry.value, readOnly: false)
        if version == 0 {
            result.isDefault = entry.source == .defaultConfig
        } else {
            result.configSource = entry.source.rawValue
        }
        if version >= 1 && synonyms {
            result.synonyms = entry.synonyms.map { .init(name: $0.name, value: $0.value, source: $0.source.rawValue) }
        }
        if version >= 3 {
            result.configType = configType(entry.kind)
            if docs { result.documentation = entry.documentation }
        }
        return result
    }

    /// Kafka's `ConfigType` numbers.
    static func configType(_ kind: ConfigDefinition.Kind) -> Int8 {
        switch kind {
        case .bool: 1
        case .string: 2
        case .int: 3
        case .long: 5
        case .double: 6
        case .list: 7
        }
    }

    /// Every topic-level key for a topic with `overrides`.
    static func topicEntries(overrides: [String: String], broker: BrokerContext) -> [ConfigEntry] {
        let resolved = broker.config.resolved
        return TopicConfig.keys.map { key in
            var synonyms: [(name: String, value: String?, source: ConfigSource)] = []
            if let value = overrides[key.name] { synonyms.append((key.name, value, .topicConfig)) }
            for brokerKey in key.brokerSynonyms {
                let source = resolved.properties.sources[brokerKey] ?? "default"
                if source != "default", let value = resolved.string(brokerKey) {
                    synonyms.append((brokerKey, value, .staticBrokerConfig))
                }
            }
            let fallback = TopicConfig.defaultValue(of: key.name, defaults: broker.config)
            if let withDefault = key.brokerSynonyms.first(where: { resolved.definitions[$0]?.defaultValue != nil }) {
                synonyms.append((withDefault, resolved.definitions[withDefault]?.defaultValue, .defaultConfig))
            }
            let source: ConfigSource
            let value: String?
            if let override = overrides[key.name] {
                (value, source) = (override, .topicConfig)
            } else if synonyms.contains(where: { $0.source == .staticBrokerConfig }) {
                (value, source) = (fallback, .staticBrokerConfig)
            } else {
                (value, source) = (fallback, .defaultConfig)
            }
            return ConfigEntry(
                name: key.name, value: value, source: source, kind: key.kind, documentation: key.documentation,
                synonyms: synonyms)
        }
    }

    /// Every broker key with its static or default value.
    static func brokerEntries(_ config: BrokerConfig) -> [ConfigEntry] {
        let resolved = config.resolved
        return BrokerConfig.definitions.sorted { $0.name < $1.name }.map { definition in
            let value = resolved.string(definition.name)
            let isStatic = (resolved.properties.sources[definition.name] ?? "default") != "default"
            var synonyms: [(name: String, value: String?, source: ConfigSource)] = []
            if isStatic { synonyms.append((definition.name, value, .staticBrokerConfig)) }
            if definition.defaultValue != nil {
                synonyms.append((definition.name, definition.defaultValue, .defaultConfig))
            }
            return ConfigEntry(
                name: definition.name, value: value, source: isStatic ? .staticBrokerConfig : .defaultConfig,
                kind: definition.kind, documentation: definition.documentation, synonyms: synonyms)
        }
    }

    static func errorResponse(_ request: DescribeConfigsRequest, error: ErrorCode) -> DescribeConfigsResponse {
        DescribeConfigsResponse(
            results: request.resources.map {
                .init(errorCode: error.rawValue, resourceType: $0.resourceType, resourceName: $0.resourceName)
            })
    }
}
