import FjordCluster
import FjordModel
import KafkaProtocol
import NIOCore

/// IncrementalAlterConfigs (key 44), served 0–1, advertised 0 (v1 is flexible). Applies SET, DELETE, APPEND and
/// SUBTRACT to a topic's overrides (APPEND/SUBTRACT only on list keys such as `cleanup.policy`, starting from the
/// default when the key has no override), then validates and writes like AlterConfigs. A key named twice in one
/// resource is INVALID_REQUEST; broker resources are INVALID_REQUEST.
enum IncrementalAlterConfigsHandler {
    enum Operation: Int8 {
        case set = 0
        case delete = 1
        case append = 2
        case subtract = 3
    }

    static func handle(
        _ request: IncrementalAlterConfigsRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        context.eventLoop.makeFutureWithTask {
            var responses: [IncrementalAlterConfigsResponse.AlterConfigsResourceResponse] = []
            for resource in request.resources {
                let error = await alter(resource, validateOnly: request.validateOnly, broker)
                responses.append(
                    .init(
                        errorCode: error.code.rawValue, errorMessage: error.message,
                        resourceType: resource.resourceType, resourceName: resource.resourceName))
            }
            return .message(IncrementalAlterConfigsResponse(responses: responses))
        }
    }

    static func alter(
        _ resource: IncrementalAlterConfigsRequest.AlterConfigsResource, validateOnly: Bool, _ broker: BrokerContext
    ) async -> ApiError {
        switch ConfigResourceType(rawValue: resource.resourceType) {
        case .topic:
            let names = resource.configs.map(\.name)
            guard Set(names).count == names.count else {
                return ApiError(.invalidRequest, "Error due to duplicate config keys")
            }
            let configs = resource.configs
            let defaults = broker.config
            return await TopicConfigAdmin.alter(
                TopicName(resource.resourceName), validateOnly: validateOnly, broker: broker
            ) { current throws(ApiError) in try apply(configs, to: current, defaults: defaults) }
        case .broker:
            return ApiError(.invalidRequest, "Fjord does not support dynamic broker configuration.")
        default:
            return ApiError(.invalidRequest, "Unsupported resource type \(resource.resourceType)")
        }
    }

    /// The overrides after the operations.
    static func apply(
        _ configs: [IncrementalAlterConfigsRequest.AlterableConfig], to current: [String: String],
        defaults: BrokerConfig
    ) throws(ApiError) -> [String: String] {
        var next = current
        for config in configs {
            guard let operation = Operation(rawValue: config.configOperation) else {
                throw ApiError(.invalidRequest, "Unknown config operation \(config.configOperation)")
            }
            switch operation {
            case .set:
                guard let value = config.value else {
                    throw ApiError(.invalidRequest, "Null value not supported for : \(config.name)")
                }
                next[config.name] = value
            case .delete:
                next[config.name] = nil
            case .append, .subtract:
                guard let key = TopicConfig.keysByName[config.name] else {
                    throw ApiError(.invalidConfig, "Unknown topic config name: \(config.name)")
                }
                guard key.kind == .list else {
                    throw ApiError(
                        .invalidConfig,
                        "Config value append/subtract is not allowed for config key \(config.name) (not a list)")
                }
                let base = next[config.name] ?? TopicConfig.defaultValue(of: config.name, defaults: defaults) ?? ""
                var items = base.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
                let given = (config.value ?? "").split(separator: ",").map { $0.trimmingWhitespace() }
                    .filter { !$0.isEmpty }
                if operation == .append {
                    for item in given where !items.contains(item) { items.append(item) }
                } else {
                    items.removeAll { given.contains($0) }
                }
                next[config.name] = items.joined(separator: ",")
            }
        }
        return next
    }

    static func errorResponse(_ request: IncrementalAlterConfigsRequest, error: ErrorCode)
        -> IncrementalAlterConfigsResponse
    {
        IncrementalAlterConfigsResponse(
            responses: request.resources.map {
                .init(errorCode: error.rawValue, resourceType: $0.resourceType, resourceName: $0.resourceName)
            })
    }
}
