import FjordCluster
import FjordModel
import KafkaProtocol
import ZooKeeper

/// Changes a topic's config overrides in `/config/topics/<t>` with compare-and-set, as AlterConfigs and
/// IncrementalAlterConfigs do: read the overrides and their version, compute the new set, validate it, write it
/// expecting the version read; on a conflict start over (at most five times).
enum TopicConfigAdmin {
    static func alter(
        _ topic: TopicName, validateOnly: Bool, broker: BrokerContext,
        change: @Sendable ([String: String]) throws(ApiError) -> [String: String]
    ) async -> ApiError {
        if let problem = topic.validationError { return ApiError(.invalidTopicException, problem) }
        guard let zk = try? broker.session.current() else { return ApiError(.requestTimedOut, "ZooKeeper unavailable") }
        for _ in 0..<5 {
            do {
                guard try await zk.exists(ZNodePaths.topic(topic)) != nil else {
                    return ApiError(.unknownTopicOrPartition, "Topic \(topic) does not exist.")
                }
                let (current, version) = try await TopicAdmin.readConfig(topic, zk: zk)
                let next: [String: String]
                do {
                    next = try change(current)
                } catch {
                    return error
                }
                if let problem = TopicConfig.validationError(next, defaults: broker.config) {
                    return ApiError(.invalidConfig, problem)
                }
                if validateOnly { return .success }
                try await TopicAdmin.writeConfig(next, topic: topic, expectedVersion: version, zk: zk)
                broker.topicConfigs.set(topic, overrides: next)
                broker.logger.info("altered topic config", metadata: ["topic": "\(topic)"])
                return .success
            } catch let error as ZooKeeperError where error.code == .badVersion || error.code == .nodeExists {
                continue
            } catch {
                return TopicAdmin.zooKeeperFailure(error)
            }
        }
        return ApiError(.requestTimedOut, "Topic \(topic)'s config kept changing concurrently; retry.")
    }
}
