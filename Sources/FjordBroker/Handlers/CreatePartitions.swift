import FjordCluster
import FjordModel
import KafkaProtocol
import NIOCore
import ZooKeeper

/// CreatePartitions (key 37), served 0–1. Grows a topic to `count` partitions: the new partitions' replicas are
/// placed like Kafka places them (``ReplicaAssignment/assignAdditional(existing:brokers:newTotal:)``) unless the
/// client gives them, the topic's assignment node is rewritten with compare-and-set on its version, and the
/// handler waits up to the timeout for leaders of the new partitions. Shrinking or keeping the count is
/// INVALID_PARTITIONS; a topic queued for deletion is INVALID_TOPIC_EXCEPTION; one being reassigned is
/// REASSIGNMENT_IN_PROGRESS.
enum CreatePartitionsHandler {
    static func handle(
        _ request: CreatePartitionsRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        context.eventLoop.makeFutureWithTask {
            var counts: [String: Int] = [:]
            for topic in request.topics { counts[topic.name, default: 0] += 1 }
            let live = await TopicAdmin.liveBrokers(broker)
            var results: [(String, ApiError)] = []
            var grown: [TopicName: Int] = [:]
            for topic in request.topics {
                if counts[topic.name, default: 0] > 1 {
                    if !results.contains(where: { $0.0 == topic.name }) {
                        results.append((topic.name, ApiError(.invalidRequest, "Duplicate topic \(topic.name).")))
                    }
                    continue
                }
                let error = await grow(topic, validateOnly: request.validateOnly, live: live, broker)
                if error.isSuccess && !request.validateOnly { grown[TopicName(topic.name)] = Int(topic.count) }
                results.append((topic.name, error))
            }
            if request.timeoutMs > 0 && !grown.isEmpty {
                let target = grown
                _ = await broker.metadataCache.waitUntil(timeout: .milliseconds(Int64(request.timeoutMs))) { s in
                    target.allSatisfy { s.hasLeaders($0.key, partitionCount: $0.value) }
                }
                let snapshot = broker.metadataCache.snapshot
                for index in results.indices {
                    let topic = TopicName(results[index].0)
                    if let count = grown[topic], !snapshot.hasLeaders(topic, partitionCount: count) {
                        results[index].1 = ApiError(
                            .requestTimedOut, "Leaders of the new partitions were not elected in time.")
                    }
                }
            }
            return .message(
                CreatePartitionsResponse(
                    results: results.map {
                        .init(name: $0.0, errorCode: $0.1.code.rawValue, errorMessage: $0.1.message)
                    }))
        }
    }

    static func grow(
        _ request: CreatePartitionsRequest.CreatePartitionsTopic, validateOnly: Bool, live: [BrokerID],
        _ broker: BrokerContext
    ) async -> ApiError {
        let topic = TopicName(request.name)
        guard let zk = try? broker.session.current() else { return ApiError(.requestTimedOut, "ZooKeeper unavailable") }
        for _ in 0..<5 {
            do {
                guard let (assignment, version) = try await TopicAdmin.readAssignment(topic, zk: zk) else {
                    return ApiError(.unknownTopicOrPartition, "The topic '\(topic)' does not exist.")
                }
                if try await zk.exists(ZNodePaths.deleteTopic(topic)) != nil {
                    return ApiError(.invalidTopicException, "The topic '\(topic)' is queued for deletion.")
                }
                var next = assignment
                let error = plan(&next, request: request, live: live)
                guard error.isSuccess else { return error }
                if validateOnly { return .success }
                let written = await TopicAdmin.writeAssignment(next, topic: topic, version: version, zk: zk)
                if written.code == .reassignmentInProgress { continue }  // concurrent change: read again
                if written.isSuccess {
                    broker.logger.info(
                        "added partitions", metadata: ["topic": "\(topic)", "count": "\(request.count)"])
                }
                return written
            } catch {
                return TopicAdmin.zooKeeperFailure(error)
            }
        }
        return ApiError(.requestTimedOut, "Topic \(topic) kept changing concurrently; retry.")
    }

    /// Adds the new partitions to `assignment` (pure).
    static func plan(
        _ assignment: inout TopicAssignment, request: CreatePartitionsRequest.CreatePartitionsTopic, live: [BrokerID]
    ) -> ApiError {
        let existing = assignment.replicas
        let current = existing.count
        let wanted = Int(request.count)
        if !assignment.adding.isEmpty || !assignment.removing.isEmpty {
            return ApiError(
                .reassignmentInProgress, "A partition reassignment of topic \(request.name) is in progress.")
        }
        if wanted < current {
            return ApiError(
                .invalidPartitions,
                "Topic currently has \(current) partitions, which is higher than the requested \(wanted).")
        }
        if wanted == current { return ApiError(.invalidPartitions, "Topic already has \(current) partitions.") }
        var added: [PartitionID: [BrokerID]]
        if let manual = request.assignments {
            guard manual.count == wanted - current else {
                return ApiError(
                    .invalidReplicaAssignment,
                    "Increasing the number of partitions by \(wanted - current) but \(manual.count) assignments provided."
                )
            }
            let factor = existing[PartitionID(0)]?.count ?? 0
            let liveSet = Set(live)
            added = [:]
            for (offset, entry) in manual.enumerated() {
                let replicas = entry.brokerIds.map { BrokerID($0) }
                guard replicas.count == factor, Set(replicas).count == replicas.count else {
                    return ApiError(
                        .invalidReplicaAssignment,
                        "Each new partition needs \(factor) distinct replicas, like the existing ones.")
                }
                if let unknown = replicas.first(where: { !liveSet.contains($0) }) {
                    return ApiError(.invalidReplicaAssignment, "Unknown broker \(unknown) in the assignment.")
                }
                added[PartitionID(Int32(current + offset))] = replicas
            }
        } else {
            do {
                added = try ReplicaAssignment.assignAdditional(existing: existing, brokers: live, newTotal: wanted)
            } catch {
                return ApiError(.invalidReplicationFactor, error.description)
            }
        }
        var replicas = existing
        replicas.merge(added) { old, _ in old }
        assignment = TopicAssignment(replicas: replicas, topicId: assignment.topicId)
        return .success
    }

    static func errorResponse(_ request: CreatePartitionsRequest, error: ErrorCode) -> CreatePartitionsResponse {
        CreatePartitionsResponse(results: request.topics.map { .init(name: $0.name, errorCode: error.rawValue) })
    }
}
