import FjordModel
import KafkaProtocol
import KafkaWire
import NIOCore

/// CreateTopics (key 19), served 0–4. Any broker handles it (the one reported as controller gets it from clients,
/// trap 8): it validates each topic (``TopicCreationPlan``), writes `/config/topics/<t>` and `/brokers/topics/<t>`
/// (with a new topic id) in one ZooKeeper transaction, then waits up to the request's timeout until the controller
/// has announced leaders for every partition (REQUEST_TIMED_OUT after that; no wait when the timeout is 0).
/// Topics named twice in one request get INVALID_REQUEST. `validate_only` (v1+) checks without writing.
enum CreateTopicsHandler {
    static func handle(
        _ request: CreateTopicsRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        context.eventLoop.makeFutureWithTask {
            .message(await respond(request, version: context.apiVersion, broker))
        }
    }

    static func respond(_ request: CreateTopicsRequest, version: Int16, _ broker: BrokerContext) async
        -> CreateTopicsResponse
    {
        var counts: [String: Int] = [:]
        for topic in request.topics { counts[topic.name, default: 0] += 1 }
        let live = await TopicAdmin.liveBrokers(broker)
        let zk = try? broker.session.current()
        var existing: Set<TopicName> = []
        if request.topics.contains(where: { $0.name.contains(".") || $0.name.contains("_") }), let zk {
            existing = (try? await TopicAdmin.existingTopics(zk)) ?? []
        }
        var results: [String: ApiError] = [:]
        var plans: [TopicCreationPlan] = []
        for topic in request.topics where results[topic.name] == nil {
            if counts[topic.name, default: 0] > 1 {
                results[topic.name] = ApiError(
                    .invalidRequest, "Create topics request contains multiple entries for topic \(topic.name).")
                continue
            }
            do {
                let plan = try TopicCreationPlan.make(
                    planRequest(topic), defaults: broker.config, liveBrokers: live, existingTopics: existing)
                plans.append(plan)
            } catch {
                results[topic.name] = error
            }
        }
        var created: [TopicName: KafkaUUID] = [:]
        if request.validateOnly {
            for plan in plans { results[plan.name.rawValue] = .success }
        } else if let zk {
            await withTaskGroup(of: (TopicCreationPlan, Result<KafkaUUID, ApiError>).self) { group in
                for plan in plans { group.addTask { (plan, await TopicAdmin.create(plan, zk: zk)) } }
                for await (plan, outcome) in group {
                    switch outcome {
                    case .success(let id):
                        created[plan.name] = id
                        broker.topicConfigs.set(plan.name, overrides: plan.configs)
                        broker.logger.info(
                            "created topic",
                            metadata: [
                                "topic": "\(plan.name)", "partitions": "\(plan.partitionCount)",
                                "replication_factor": "\(plan.replicationFactor)",
                            ])
                        results[plan.name.rawValue] = .success
                    case .failure(let error):
                        results[plan.name.rawValue] = error
                    }
                }
            }
        } else {
            for plan in plans { results[plan.name.rawValue] = ApiError(.requestTimedOut, "ZooKeeper unavailable") }
        }
        if request.timeoutMs > 0 && !created.isEmpty {
            let expected = Dictionary(uniqueKeysWithValues: plans.map { ($0.name, $0.partitionCount) })
            let waiting = Set(created.keys)
            _ = await broker.metadataCache.waitUntil(timeout: .milliseconds(Int64(request.timeoutMs))) { snapshot in
                waiting.allSatisfy { snapshot.hasLeaders($0, partitionCount: expected[$0]) }
            }
            let snapshot = broker.metadataCache.snapshot
            for topic in waiting where !snapshot.hasLeaders(topic, partitionCount: expected[topic]) {
                results[topic.rawValue] = ApiError(
                    .requestTimedOut, "Topic \(topic) was created but its leaders were not elected in time.")
            }
        }
        let byName = Dictionary(uniqueKeysWithValues: plans.map { ($0.name.rawValue, $0) })
        var seen = Set<String>()
        var topics: [CreateTopicsResponse.CreatableTopicResult] = []
        for topic in request.topics where seen.insert(topic.name).inserted {
            let error = results[topic.name] ?? .success
            var result = CreateTopicsResponse.CreatableTopicResult(
                name: topic.name, errorCode: error.code.rawValue, errorMessage: version >= 1 ? error.message : nil)
            if version >= 5, error.isSuccess, let plan = byName[topic.name] {
                result.topicId = created[plan.name] ?? .zero
                result.numPartitions = Int32(plan.partitionCount)
                result.replicationFactor = Int16(plan.replicationFactor)
                result.configs = DescribeConfigsHandler.topicEntries(overrides: plan.configs, broker: broker)
                    .map {
                        .init(
                            name: $0.name, value: $0.value, readOnly: false, configSource: $0.source.rawValue,
                            isSensitive: false)
                    }
            }
            topics.append(result)
        }
        return CreateTopicsResponse(topics: topics)
    }

    static func planRequest(_ topic: CreateTopicsRequest.CreatableTopic) -> TopicCreationPlan.Request {
        var assignments: [Int32: [Int32]] = [:]
        for assignment in topic.assignments { assignments[assignment.partitionIndex] = assignment.brokerIds }
        var configs: [String: String?] = [:]
        for config in topic.configs { configs[config.name] = .some(config.value) }
        return TopicCreationPlan.Request(
            name: topic.name, numPartitions: topic.numPartitions, replicationFactor: topic.replicationFactor,
            assignments: assignments, configs: configs)
    }

    static func errorResponse(_ request: CreateTopicsRequest, error: ErrorCode) -> CreateTopicsResponse {
        CreateTopicsResponse(topics: request.topics.map { .init(name: $0.name, errorCode: error.rawValue) })
    }
}
