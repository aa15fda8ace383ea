import FjordCluster
import FjordModel
import KafkaProtocol
import KafkaWire
import ZooKeeper

/// The ZooKeeper writes behind the admin APIs: topic creation, deletion requests, added partitions and topic config
/// changes. The controller carries them out; handlers then wait for its UpdateMetadata.
///
/// Ambiguous failures (`connectionLoss`) are resolved by reading back what was written, as ARCHITECTURE §2 requires.
enum TopicAdmin {
    /// Brokers that can take replicas: the live brokers in the metadata cache, or those registered in ZooKeeper
    /// while the cache is still empty (right after start).
    static func liveBrokers(_ broker: BrokerContext) async -> [BrokerID] {
        let cached = broker.metadataCache.snapshot.liveBrokerIDs
        if !cached.isEmpty { return cached }
        guard let zk = try? broker.session.current(),
            let children = try? await zk.children(ZNodePaths.brokerIds)
        else { return [] }
        return children.compactMap { Int32($0) }.map { BrokerID($0) }.sorted()
    }

    /// Every topic in `/brokers/topics`.
    static func existingTopics(_ zk: ZooKeeperClient) async throws -> Set<TopicName> {
        Set(try await zk.children(ZNodePaths.brokerTopics).map { TopicName($0) })
    }

    /// Writes the topic's config and assignment (with a new topic id) in one transaction.
    ///
    /// - Returns: the topic id on success; TOPIC_ALREADY_EXISTS when the topic exists (or is being deleted).
    static func create(_ plan: TopicCreationPlan, zk: ZooKeeperClient) async -> Result<KafkaUUID, ApiError> {
        let topicID = KafkaUUID.random()
        let assignment = TopicAssignment(replicas: plan.assignment, topicId: topicID.description)
        let configPath = ZNodePaths.topicConfig(plan.name)
        let configData = ZNodeJSON.encode(TopicConfigNode(config: plan.configs))
        for attempt in 0..<3 {
            do {
                // A config node left by an earlier topic of the same name is overwritten.
                let configOp: ZooKeeperOperation =
                    try await zk.exists(configPath) == nil
                    ? .create(path: configPath, data: configData)
                    : .setData(path: configPath, data: configData)
                try await zk.multi([
                    configOp, .create(path: ZNodePaths.topic(plan.name), data: ZNodeJSON.encode(assignment)),
                ])
                return .success(topicID)
            } catch let error as ZooKeeperError where error.code == .nodeExists && error.failedOperationIndex == 1 {
                return .failure(ApiError(.topicAlreadyExists, "Topic '\(plan.name)' already exists."))
            } catch let error as ZooKeeperError
                where (error.code == .nodeExists || error.code == .noNode) && error.failedOperationIndex == 0
            {
                continue  // the config node appeared or vanished meanwhile: decide again
            } catch let error as ZooKeeperError where error.code == .connectionLoss && attempt < 2 {
                if let written = try? await zk.get(ZNodePaths.topic(plan.name)) {
                    let existing = try? ZNodeJSON.decode(
                        TopicAssignment.self, from: written.data, path: ZNodePaths.topic(plan.name))
                    return existing?.topicId == topicID.description
                        ? .success(topicID)
                        : .failure(ApiError(.topicAlreadyExists, "Topic '\(plan.name)' already exists."))
                }
            } catch {
                return .failure(zooKeeperFailure(error))
            }
        }
        return .failure(ApiError(.unknownServerError, "could not write topic \(plan.name) to ZooKeeper"))
    }

    /// Requests deletion: creates `/admin/delete_topics/<t>` (already requested is fine).
    static func markForDeletion(_ topic: TopicName, zk: ZooKeeperClient) async -> ApiError {
        do {
            try await zk.create(ZNodePaths.deleteTopic(topic))
            return .success
        } catch let error as ZooKeeperError where error.code == .nodeExists {
            return .success
        } catch let error as ZooKeeperError where error.code == .noNode {
            do {
                try await zk.ensurePath(ZNodePaths.deleteTopics)
                try await zk.create(ZNodePaths.deleteTopic(topic))
                return .success
            } catch {
                return zooKeeperFailure(error)
            }
        } catch {
            return zooKeeperFailure(error)
        }
    }

    /// The topic's assignment node and its version, nil when the topic does not exist.
    static func readAssignment(_ topic: TopicName, zk: ZooKeeperClient) async throws
        -> (assignment: TopicAssignment, version: Int32)?
    {
        do {
            let node = try await zk.get(ZNodePaths.topic(topic))
            let assignment = try ZNodeJSON.decode(TopicAssignment.self, from: node.data, path: ZNodePaths.topic(topic))
            return (assignment, node.stat.version)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// Replaces the topic's assignment if its version is still `version` (CreatePartitions).
    static func writeAssignment(
        _ assignment: TopicAssignment, topic: TopicName, version: Int32, zk: ZooKeeperClient
    ) async -> ApiError {
        do {
            try await zk.set(ZNodePaths.topic(topic), data: ZNodeJSON.encode(assignment), version: version)
            return .success
        } catch let error as ZooKeeperError where error.code == .badVersion {
            return ApiError(.reassignmentInProgress, "Topic \(topic) was modified concurrently; retry.")
        } catch let error as ZooKeeperError where error.code == .noNode {
            return ApiError(.unknownTopicOrPartition, "Topic \(topic) does not exist.")
        } catch {
            return zooKeeperFailure(error)
        }
    }

    /// The topic's config overrides and the node's version (nil when the node does not exist).
    static func readConfig(_ topic: TopicName, zk: ZooKeeperClient) async throws
        -> (config: [String: String], version: Int32?)
    {
        do {
            let node = try await zk.get(ZNodePaths.topicConfig(topic))
            guard !node.data.isEmpty else { return ([:], node.stat.version) }
            let decoded = try ZNodeJSON.decode(
                TopicConfigNode.self, from: node.data, path: ZNodePaths.topicConfig(topic))
            return (decoded.config, node.stat.version)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return ([:], nil)
        }
    }

    /// Writes the topic's overrides with compare-and-set on the version read (`nil`: the node must not exist).
    static func writeConfig(
        _ config: [String: String], topic: TopicName, expectedVersion: Int32?, zk: ZooKeeperClient
    ) async throws {
        let data = ZNodeJSON.encode(TopicConfigNode(config: config))
        if let version = expectedVersion {
            try await zk.set(ZNodePaths.topicConfig(topic), data: data, version: version)
        } else {
            try await zk.create(ZNodePaths.topicConfig(topic), data: data)
        }
    }

    static func zooKeeperFailure(_ error: any Error) -> ApiError {
        if let error = error as? ZooKeeperError {
            switch error.code {
            case .connectionLoss, .operationTimeout, .sessionExpired, .closing:
                return ApiError(.requestTimedOut, "ZooKeeper unavailable: \(error)")
            default:
                return ApiError(.unknownServerError, "ZooKeeper error: \(error)")
            }
        }
        return ApiError(.unknownServerError, "\(error)")
    }
}
