import FjordModel
import KafkaProtocol
import NIOCore

/// AlterConfigs (key 33), served 0–1: replaces a topic's whole override set (keys left out return to their
/// defaults), validated like CreateTopics configs (INVALID_CONFIG), written to `/config/topics/<t>` with
/// compare-and-set. Broker resources are refused with INVALID_REQUEST: Fjord has no dynamic broker configuration.
enum AlterConfigsHandler {
    static func handle(
        _ request: AlterConfigsRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        context.eventLoop.makeFutureWithTask {
            var responses: [AlterConfigsResponse.AlterConfigsResourceResponse] = []
            for resource in request.resources {
                let error = await alter(resource, validateOnly: request.validateOnly, broker)
                responses.append(
                    .init(
                        errorCode: error.code.rawValue, errorMessage: error.message,
                        resourceType: resource.resourceType, resourceName: resource.resourceName))
            }
            return .message(AlterConfigsResponse(responses: responses))
        }
    }

    static func alter(_ resource: AlterConfigsRequest.AlterConfigsResource, validateOnly: Bool, _ broker: BrokerContext)
        async -> ApiError
    {
        switch ConfigResourceType(rawValue: resource.resourceType) {
        case .topic:
            var configs: [String: String] = [:]
            for config in resource.configs {
                guard let value = config.value else {
                    return ApiError(.invalidRequest, "Null value not supported for : \(config.name)")
                }
                configs[config.name] = value
            }
            let replacement = configs
            return await TopicConfigAdmin.alter(
                TopicName(resource.resourceName), validateOnly: validateOnly, broker: broker
            ) { _ in replacement }
        case .broker:
            return ApiError(.invalidRequest, "Fjord does not support dynamic broker configuration.")
        default:
            return ApiError(.invalidRequest, "Unsupported resource type \(resource.resourceType)")
        }
    }

    static func errorResponse(_ request: AlterConfigsRequest, error: ErrorCode) -> AlterConfigsResponse {
        AlterConfigsResponse(
            responses: request.resources.map {
                .init(errorCode: error.rawValue, resourceType: $0.resourceType, resourceName: $0.resourceName)
            })
    }
}
