import FjordModel
import KafkaProtocol
import KafkaWire
import NIOCore

/// Metadata (key 3), served 0–12 (advertised 0–8).
///
/// Answers from the metadata cache with the endpoints of the listener the client connected on. Topics: v0 with an
/// empty list and v1+ with a null list mean all topics; v10+ may name topics by id. ControllerId is the lowest live
/// broker (trap 8). Partitions whose leader is not live report LEADER_NOT_AVAILABLE with leader -1 (LISTENER_NOT_FOUND
/// from v6 when the leader lacks the client's listener). v0 lists only live replicas and reports
/// REPLICA_NOT_AVAILABLE when some are missing, as Kafka does.
///
/// Unknown topics are created when `auto.create.topics.enable` is on and the request allows it (always before v4,
/// the `allow_auto_topic_creation` flag from v4), with `num.partitions` and `default.replication.factor`; they are
/// reported LEADER_NOT_AVAILABLE until the controller has elected leaders, or with the creation's error
/// (INVALID_REPLICATION_FACTOR when there are fewer live brokers). Otherwise UNKNOWN_TOPIC_OR_PARTITION (trap 9).
enum MetadataHandler {
    static func handle(
        _ request: MetadataRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        let version = context.apiVersion
        let snapshot = broker.metadataCache.snapshot
        let requested = requestedTopics(request, version: version, snapshot: snapshot)
        guard let requested else {
            let all = snapshot.topics.keys.sorted()
            let response = build(all.map { .known($0) }, snapshot, context, broker)
            return context.eventLoop.makeSucceededFuture(.message(response))
        }
        let allowCreation =
            broker.config.autoCreateTopicsEnable && (version < 4 || request.allowAutoTopicCreation)
        let toCreate = requested.compactMap { entry -> TopicName? in
            guard case .unknown(let name) = entry, allowCreation, name.validationError == nil else { return nil }
            return name
        }
        guard !toCreate.isEmpty else {
            let entries = requested.map { entry -> TopicEntry in
                if case .unknown(let name) = entry {
                    return .failed(
                        name, name.validationError == nil ? .unknownTopicOrPartition : .invalidTopicException)
                }
                return entry
            }
            return context.eventLoop.makeSucceededFuture(.message(build(entries, snapshot, context, broker)))
        }
        return context.eventLoop.makeFutureWithTask {
            let results = await autoCreate(toCreate, broker)
            let entries = requested.map { entry -> TopicEntry in
                guard case .unknown(let name) = entry else { return entry }
                if name.validationError != nil { return .failed(name, .invalidTopicException) }
                return .failed(name, results[name] ?? .unknownTopicOrPartition)
            }
            return .message(build(entries, broker.metadataCache.snapshot, context, broker))
        }
    }

    /// A topic of the response: in the cache, failed with an error, or unknown (not yet decided).
    enum TopicEntry {
        case known(TopicName)
        case unknown(TopicName)
        case failed(TopicName, ErrorCode)
        case unknownID(KafkaUUID)
    }

    /// The topics asked for, nil for all.
    static func requestedTopics(_ request: MetadataRequest, version: Int16, snapshot: MetadataSnapshot)
        -> [TopicEntry]?
    {
        guard let topics = request.topics else { return nil }
        if version == 0 && topics.isEmpty { return nil }
        var seen = Set<String>()
        var entries: [TopicEntry] = []
        for topic in topics {
            if let name = topic.name {
                guard seen.insert(name).inserted else { continue }
                let topicName = TopicName(name)
                entries.append(snapshot.contains(topicName) ? .known(topicName) : .unknown(topicName))
            } else if let name = snapshot.topicIDs.first(where: { $0.value == topic.topicId })?.key {
                guard seen.insert(name.rawValue).inserted else { continue }
                entries.append(.known(name))
            } else {
                entries.append(.unknownID(topic.topicId))
            }
        }
        return entries
    }

    /// Creates the topics (no waiting for leaders) and maps each outcome to the error the response reports.
    static func autoCreate(_ topics: [TopicName], _ broker: BrokerContext) async -> [TopicName: ErrorCode] {
        let live = await TopicAdmin.liveBrokers(broker)
        guard let zk = try? broker.session.current() else {
            return Dictionary(uniqueKeysWithValues: topics.map { ($0, ErrorCode.leaderNotAvailable) })
        }
        return await withTaskGroup(of: (TopicName, ErrorCode).self) { group in
            for topic in topics {
                group.addTask {
                    let request = TopicCreationPlan.Request(
                        name: topic.rawValue, numPartitions: -1, replicationFactor: -1)
                    let plan: TopicCreationPlan
                    do {
                        plan = try TopicCreationPlan.make(
                            request, defaults: broker.config, liveBrokers: live, existingTopics: [])
                    } catch let error as ApiError {
                        return (topic, error.code)
                    } catch {
                        return (topic, .unknownServerError)
                    }
                    switch await TopicAdmin.create(plan, zk: zk) {
                    case .success:
                        broker.logger.info(
                            "auto-created topic",
                            metadata: ["topic": "\(topic)", "partitions": "\(plan.partitionCount)"])
                        return (topic, .leaderNotAvailable)
                    case .failure(let error) where error.code == .topicAlreadyExists:
                        return (topic, .leaderNotAvailable)
                    case .failure(let error):
                        return (topic, error.code == .requestTimedOut ? .leaderNotAvailable : error.code)
                    }
                }
            }
            var results: [TopicName: ErrorCode] = [:]
            for await (topic, error) in group { results[topic] = error }
            return results
        }
    }

    static func build(
        _ entries: [TopicEntry], _ snapshot: MetadataSnapshot, _ context: RequestContext, _ broker: BrokerContext
    ) -> MetadataResponse {
        let version = context.apiVersion
        let listener = context.listenerName
        let brokers = snapshot.liveBrokerIDs.compactMap { id -> MetadataResponse.MetadataResponseBroker? in
            guard let live = snapshot.brokers[id], let endpoint = live.endpoints[listener] else { return nil }
            return .init(nodeId: id.rawValue, host: endpoint.host, port: endpoint.port, rack: live.rack)
        }
        let topics = entries.map { entry -> MetadataResponse.MetadataResponseTopic in
            switch entry {
            case .known(let name):
                return topic(name, snapshot, listener: listener, version: version)
            case .unknown(let name):
                return .init(errorCode: ErrorCode.unknownTopicOrPartition.rawValue, name: name.rawValue)
            case .failed(let name, let error):
                return .init(errorCode: error.rawValue, name: name.rawValue)
            case .unknownID(let id):
                return .init(errorCode: ErrorCode.unknownTopicId.rawValue, name: version >= 12 ? nil : "", topicId: id)
            }
        }
        return MetadataResponse(
            brokers: brokers, clusterId: broker.clusterID, controllerId: snapshot.reportedControllerID, topics: topics)
    }

    static func topic(_ name: TopicName, _ snapshot: MetadataSnapshot, listener: String, version: Int16)
        -> MetadataResponse.MetadataResponseTopic
    {
        let partitions = (snapshot.topics[name] ?? [:]).sorted { $0.key < $1.key }.map { id, state in
            partition(id, state, snapshot, listener: listener, version: version)
        }
        return .init(
            errorCode: 0, name: name.rawValue, topicId: snapshot.topicIDs[name] ?? .zero, isInternal: false,
            partitions: partitions)
    }

    static func partition(
        _ id: PartitionID, _ state: MetadataSnapshot.Partition, _ snapshot: MetadataSnapshot, listener: String,
        version: Int16
    ) -> MetadataResponse.MetadataResponsePartition {
        let onlyLive = version == 0
        let replicas = onlyLive ? state.replicas.filter { snapshot.brokers[$0] != nil } : state.replicas
        let isr = onlyLive ? state.isr.filter { snapshot.brokers[$0] != nil } : state.isr
        var error = ErrorCode.noError
        var leader = state.leader.rawValue
        if let live = snapshot.brokers[state.leader] {
            if live.endpoints[listener] == nil {
                error = version >= 6 ? .listenerNotFound : .leaderNotAvailable
                leader = -1
            } else if replicas.count < state.replicas.count || isr.count < state.isr.count {
                error = .replicaNotAvailable
            }
        } else {
            error = .leaderNotAvailable
            leader = -1
        }
        return .init(
            errorCode: error.rawValue, partitionIndex: id.rawValue, leaderId: leader,
            leaderEpoch: state.leaderEpoch.rawValue, replicaNodes: replicas.map(\.rawValue),
            isrNodes: isr.map(\.rawValue), offlineReplicas: state.offlineReplicas.map(\.rawValue))
    }

    static func errorResponse(_ request: MetadataRequest, error: ErrorCode) -> MetadataResponse {
        MetadataResponse(
            topics: (request.topics ?? []).map { .init(errorCode: error.rawValue, name: $0.name, topicId: $0.topicId) })
    }
}
