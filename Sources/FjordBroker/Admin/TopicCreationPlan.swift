import FjordCluster
import FjordModel
import Foundation

/// The validated plan for one new topic: its replica assignment and config overrides. Pure: built from the request,
/// the broker configuration and the live brokers, with the checks Kafka's CreateTopics makes in this order — name,
/// partition count and replication factor or manual assignment, configs.
public struct TopicCreationPlan: Hashable, Sendable {
    public var name: TopicName
    public var assignment: [PartitionID: [BrokerID]]
    public var configs: [String: String]

    public var partitionCount: Int { assignment.count }
    public var replicationFactor: Int { assignment[PartitionID(0)]?.count ?? 0 }

    /// What a CreateTopics entry asks for. `-1` counts mean "the broker default" (CreateTopics v4+).
    public struct Request: Hashable, Sendable {
        public var name: String
        public var numPartitions: Int32
        public var replicationFactor: Int16
        /// Partition → replicas, when the client assigns them itself.
        public var assignments: [Int32: [Int32]]
        /// Config overrides; a nil value is invalid.
        public var configs: [String: String?]

        public init(
            name: String, numPartitions: Int32, replicationFactor: Int16, assignments: [Int32: [Int32]] = [:],
            configs: [String: String?] = [:]
        ) {
            self.name = name
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.assignments = assignments
            self.configs = configs
        }
    }

    /// Validates `request` and assigns replicas.
    ///
    /// - Parameters:
    ///   - liveBrokers: brokers replicas may be placed on.
    ///   - existingTopics: topics that exist now, for the `.`/`_` collision check (Kafka's metric-name rule).
    /// - Throws: ``ApiError`` with INVALID_TOPIC_EXCEPTION, INVALID_REQUEST, INVALID_PARTITIONS,
    ///   INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT or INVALID_CONFIG.
    public static func make(
        _ request: Request, defaults: BrokerConfig, liveBrokers: [BrokerID], existingTopics: Set<TopicName>,
        random: Bool = true
    ) throws(ApiError) -> TopicCreationPlan {
        let name = TopicName(request.name)
        if let problem = name.validationError { throw ApiError(.invalidTopicException, problem) }
        if let clash = collision(name, existingTopics) {
            throw ApiError(.invalidTopicException, "Topic '\(name)' collides with existing topic: \(clash)")
        }
        let assignment: [PartitionID: [BrokerID]]
        if !request.assignments.isEmpty {
            guard request.numPartitions == -1 && request.replicationFactor == -1 else {
                throw ApiError(
                    .invalidRequest,
                    "Both numPartitions or replicationFactor and replicasAssignments were set. "
                        + "Both cannot be used at the same time.")
            }
            assignment = try manualAssignment(request.assignments, liveBrokers: liveBrokers)
        } else {
            let partitions = request.numPartitions == -1 ? defaults.numPartitions : Int(request.numPartitions)
            let factor =
                request.replicationFactor == -1 ? defaults.defaultReplicationFactor : Int(request.replicationFactor)
            guard partitions > 0 else {
                throw ApiError(.invalidPartitions, "Number of partitions must be larger than 0.")
            }
            guard factor > 0 else {
                throw ApiError(.invalidReplicationFactor, "Replication factor must be larger than 0.")
            }
            do {
                assignment =
                    random
                    ? try ReplicaAssignment.assignRandomly(
                        brokers: liveBrokers, partitionCount: partitions, replicationFactor: factor)
                    : try ReplicaAssignment.assign(
                        brokers: liveBrokers, partitionCount: partitions, replicationFactor: factor, startIndex: 0,
                        replicaShift: 0)
            } catch {
                throw ApiError(.invalidReplicationFactor, error.description)
            }
        }
        var configs: [String: String] = [:]
        for (key, value) in request.configs {
            guard let value else {
                throw ApiError(.invalidRequest, "Null value not supported for topic configs: \(key)")
            }
            configs[key] = value
        }
        if let problem = TopicConfig.validationError(configs, defaults: defaults) {
            throw ApiError(.invalidConfig, problem)
        }
        return TopicCreationPlan(name: name, assignment: assignment, configs: configs)
    }

    /// Checks a client's own assignment: partitions numbered 0..<n, each with the same non-zero number of distinct
    /// live brokers.
    static func manualAssignment(_ raw: [Int32: [Int32]], liveBrokers: [BrokerID]) throws(ApiError)
        -> [PartitionID: [BrokerID]]
    {
        let live = Set(liveBrokers)
        guard raw.keys.sorted() == Array(0..<Int32(raw.count)) else {
            throw ApiError(
                .invalidReplicaAssignment, "Partitions should be a consecutive 0-based integer sequence.")
        }
        let factor = raw[0]?.count ?? 0
        var result: [PartitionID: [BrokerID]] = [:]
        for (partition, replicas) in raw {
            guard !replicas.isEmpty else {
                throw ApiError(.invalidReplicationFactor, "Replication factor must be larger than 0.")
            }
            guard Set(replicas).count == replicas.count else {
                throw ApiError(
                    .invalidReplicaAssignment, "Duplicate replica assignment found for partition \(partition).")
            }
            guard replicas.count == factor else {
                throw ApiError(.invalidReplicaAssignment, "All partitions should have the same number of replicas.")
            }
            let brokers = replicas.map { BrokerID($0) }
            if let unknown = brokers.first(where: { !live.contains($0) }) {
                throw ApiError(
                    .invalidReplicaAssignment, "Unknown broker \(unknown) in the assignment of partition \(partition).")
            }
            result[PartitionID(partition)] = brokers
        }
        return result
    }

    /// The existing topic whose name differs from `name` only by `.` versus `_`, if any.
    static func collision(_ name: TopicName, _ existing: Set<TopicName>) -> TopicName? {
        guard name.rawValue.contains(".") || name.rawValue.contains("_") else { return nil }
        let key = name.rawValue.replacingOccurrences(of: ".", with: "_")
        return existing.first { $0 != name && $0.rawValue.replacingOccurrences(of: ".", with: "_") == key }
    }
}
