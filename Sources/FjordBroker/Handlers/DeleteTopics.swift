import FjordModel
import KafkaProtocol
import KafkaWire
import NIOCore

/// DeleteTopics (key 20), served 0–3 (the codec reads up to v6, where topics may be named by id). Writes
/// `/admin/delete_topics/<t>` for each known topic and waits up to the timeout until the controller has removed the
/// topic from metadata (REQUEST_TIMED_OUT after that). Unknown topics are UNKNOWN_TOPIC_OR_PARTITION; with
/// `delete.topic.enable=false` every topic gets TOPIC_DELETION_DISABLED (INVALID_REQUEST before v3, as in Kafka).
enum DeleteTopicsHandler {
    static func handle(
        _ request: DeleteTopicsRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        return context.eventLoop.makeFutureWithTask {
            .message(await respond(request, version: version, broker))
        }
    }

    /// A topic as the request names it: by name, or (v6+) by id.
    struct Target {
        var name: String?
        var id: KafkaUUID
    }

    static func targets(_ request: DeleteTopicsRequest, version: Int16) -> [Target] {
        version >= 6
            ? request.topics.map { Target(name: $0.name, id: $0.topicId) }
            : request.topicNames.map { Target(name: $0, id: .zero) }
    }

    static func respond(_ request: DeleteTopicsRequest, version: Int16, _ broker: BrokerContext) async
        -> DeleteTopicsResponse
    {
        let snapshot = broker.metadataCache.snapshot
        var results: [(Target, TopicName?, ApiError)] = []
        var seen = Set<String>()
        for var target in targets(request, version: version) {
            if target.name == nil, let name = snapshot.topicIDs.first(where: { $0.value == target.id })?.key {
                target.name = name.rawValue
            }
            guard let name = target.name else {
                results.append((target, nil, ApiError(.unknownTopicId, "Topic id \(target.id) does not exist.")))
                continue
            }
            let topic = TopicName(name)
            if !broker.config.deleteTopicEnable {
                let code: ErrorCode = version < 3 ? .invalidRequest : .topicDeletionDisabled
                results.append((target, topic, ApiError(code, "Topic deletion is disabled.")))
            } else if !seen.insert(name).inserted {
                results.append((target, topic, ApiError(.invalidRequest, "Duplicate topic name \(name).")))
            } else if !snapshot.contains(topic) {
                results.append((target, topic, ApiError(.unknownTopicOrPartition, "Topic \(name) does not exist.")))
            } else {
                results.append((target, topic, .success))
            }
        }
        let doomed = results.filter { $0.2.isSuccess }.compactMap(\.1)
        if !doomed.isEmpty {
            if let zk = try? broker.session.current() {
                for (index, entry) in results.enumerated() where entry.2.isSuccess {
                    let error = await TopicAdmin.markForDeletion(entry.1!, zk: zk)
                    results[index].2 = error
                    if error.isSuccess {
                        broker.logger.info("topic deletion requested", metadata: ["topic": "\(entry.1!)"])
                    }
                }
            } else {
                for index in results.indices where results[index].2.isSuccess {
                    results[index].2 = ApiError(.requestTimedOut, "ZooKeeper unavailable")
                }
            }
            let waiting = results.filter { $0.2.isSuccess }.compactMap(\.1)
            if request.timeoutMs > 0 && !waiting.isEmpty {
                _ = await broker.metadataCache.waitUntil(timeout: .milliseconds(Int64(request.timeoutMs))) { s in
                    waiting.allSatisfy { !s.contains($0) }
                }
                let after = broker.metadataCache.snapshot
                for index in results.indices {
                    if results[index].2.isSuccess, let topic = results[index].1, after.contains(topic) {
                        results[index].2 = ApiError(.requestTimedOut, "Topic \(topic) is still being deleted.")
                    }
                }
            }
        }
        return DeleteTopicsResponse(
            responses: results.map { target, topic, error in
                .init(
                    name: topic?.rawValue ?? target.name, topicId: version >= 6 ? target.id : .zero,
                    errorCode: error.code.rawValue, errorMessage: version >= 5 ? error.message : nil)
            })
    }

    static func errorResponse(_ request: DeleteTopicsRequest, version: Int16, error: ErrorCode) -> DeleteTopicsResponse
    {
        DeleteTopicsResponse(
            responses: targets(request, version: version).map {
                .init(name: $0.name, topicId: version >= 6 ? $0.id : .zero, errorCode: error.rawValue)
            })
    }
}
