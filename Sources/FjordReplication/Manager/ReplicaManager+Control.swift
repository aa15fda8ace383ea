import FjordModel
import FjordStorage
import KafkaProtocol
import KafkaWire

extension ReplicaManager {
    /// Applies a LeaderAndIsr request (Kafka's `becomeLeaderOrFollower`); the broker has already checked its
    /// controller epoch and broker epoch. Per partition: this broker must be in the replica list
    /// (UNKNOWN_TOPIC_OR_PARTITION otherwise); the leader epoch must be newer than the partition's
    /// (STALE_CONTROLLER_EPOCH otherwise, as Kafka 3.9 answers in ZooKeeper mode); the log is created if absent
    /// (KAFKA_STORAGE_ERROR if that fails). Leaders: fetchers removed, then ``Partition/makeLeader``. Followers:
    /// ``Partition/makeFollower``, delayed operations on the partition answered, the fetcher (re)pointed at the new
    /// leader from the log end offset.
    ///
    /// Blocking (file creation, checkpoint writes, producer-state scans): call it off the event loops.
    public func becomeLeaderOrFollower(_ request: LeaderAndIsrRequest, version: Int16) -> LeaderAndIsrResponse {
        let entries = Self.partitionStates(of: request, version: version)
        var errors: [(TopicPartition, ErrorCode)] = []
        controlLock.withLock { _ in
            var leaders: [(Partition, Partition.Assignment)] = []
            var followers: [(Partition, Partition.Assignment)] = []
            for (topicID, state) in entries {
                let tp = TopicPartition(TopicName(state.topicName), PartitionID(state.partitionIndex))
                if let topicID, topicID != .zero { topicIDs.withLock { $0[tp.topic] = topicID } }
                let assignment = Partition.Assignment(
                    leader: BrokerID(state.leader), leaderEpoch: LeaderEpoch(state.leaderEpoch),
                    partitionEpoch: state.partitionEpoch, isr: state.isr.map { BrokerID($0) },
                    replicas: state.replicas.map { BrokerID($0) })
                guard assignment.replicas.contains(config.brokerID) else {
                    errors.append((tp, .unknownTopicOrPartition))
                    continue
                }
                if let existing = partition(tp), assignment.leaderEpoch <= existing.leaderEpoch {
                    logger.info(
                        "ignoring LeaderAndIsr with a leader epoch not newer than the partition's",
                        metadata: [
                            "partition": "\(tp)", "requestEpoch": "\(assignment.leaderEpoch)",
                            "currentEpoch": "\(existing.leaderEpoch)",
                        ])
                    errors.append((tp, .staleControllerEpoch))
                    continue
                }
                guard let partition = getOrCreatePartition(tp) else {
                    errors.append((tp, .kafkaStorageError))
                    continue
                }
                errors.append((tp, .noError))
                if assignment.leader == config.brokerID {
                    leaders.append((partition, assignment))
                } else {
                    followers.append((partition, assignment))
                }
            }
            let failed = makeLeaders(leaders)
            makeFollowers(followers)
            errors = errors.map { entry in failed.contains(entry.0) ? (entry.0, .kafkaStorageError) : entry }
        }
        return Self.leaderAndIsrResponse(errors, version: version, topicIDs: topicIDs.withLock { $0 })
    }

    /// The partition for `topicPartition`, created with its log (opened or created) if absent.
    func getOrCreatePartition(_ topicPartition: TopicPartition) -> Partition? {
        if let existing = partition(topicPartition) { return existing }
        do {
            let log = try logManager.getOrCreateLog(topicPartition, config: topicConfig(topicPartition.topic))
            return partitions.withLock { partitions in
                if let existing = partitions[topicPartition] { return existing }
                let endpoints = self.endpoints
                let partition = Partition(
                    topicPartition: topicPartition, localBrokerID: config.brokerID, log: log, logger: logger,
                    isLive: { endpoints.isLive($0) })
                partitions[topicPartition] = partition
                return partition
            }
        } catch {
            logger.error("cannot create log", metadata: ["partition": "\(topicPartition)", "error": "\(error)"])
            return nil
        }
    }

    /// Returns the partitions that failed.
    private func makeLeaders(_ leaders: [(Partition, Partition.Assignment)]) -> Set<TopicPartition> {
        guard !leaders.isEmpty else { return [] }
        fetcherManager.removePartitions(Set(leaders.map(\.0.topicPartition)))
        var failed: Set<TopicPartition> = []
        let nowMs = MonotonicClock.nowMs()
        for (partition, assignment) in leaders {
            do {
                try partition.makeLeader(
                    assignment, minInsyncReplicas: minInsyncReplicas(partition.topicPartition.topic),
                    replicaLagTimeMaxMs: config.replicaLagTimeMaxMs, nowMs: nowMs)
            } catch {
                logger.error(
                    "cannot become leader", metadata: ["partition": "\(partition.topicPartition)", "error": "\(error)"])
                failed.insert(partition.topicPartition)
            }
            completeDelayedRequests(partition.topicPartition)
        }
        return failed
    }

    private func makeFollowers(_ followers: [(Partition, Partition.Assignment)]) {
        guard !followers.isEmpty else { return }
        for (partition, assignment) in followers { partition.makeFollower(assignment) }
        fetcherManager.removePartitions(Set(followers.map(\.0.topicPartition)))
        for (partition, _) in followers { completeDelayedRequests(partition.topicPartition) }
        let fetched = followers.filter { $0.1.leader != .none }.map { partition, assignment in
            ReplicaFetcherManager.PartitionToFetch(
                topicPartition: partition.topicPartition, leader: assignment.leader,
                leaderEpoch: assignment.leaderEpoch, fetchOffset: partition.log.logEndOffset,
                lastFetchedEpoch: partition.log.latestEpoch)
        }
        fetcherManager.addPartitions(fetched)
    }

    /// The partition states of a request at `version`, with the topic id their topic carries (v5+).
    static func partitionStates(of request: LeaderAndIsrRequest, version: Int16)
        -> [(KafkaUUID?, LeaderAndIsrRequest.LeaderAndIsrPartitionState)]
    {
        if version <= 1 { return request.ungroupedPartitionStates.map { (nil, $0) } }
        return request.topicStates.flatMap { topic in
            topic.partitionStates.map { state -> (KafkaUUID?, LeaderAndIsrRequest.LeaderAndIsrPartitionState) in
                var state = state
                state.topicName = topic.topicName
                return (version >= 5 ? topic.topicId : nil, state)
            }
        }
    }

    static func leaderAndIsrResponse(
        _ errors: [(TopicPartition, ErrorCode)], version: Int16, topicIDs: [TopicName: KafkaUUID]
    ) -> LeaderAndIsrResponse {
        var response = LeaderAndIsrResponse(errorCode: 0)
        if version < 5 {
            response.partitionErrors = errors.map { tp, error in
                LeaderAndIsrResponse.LeaderAndIsrPartitionError(
                    topicName: tp.topic.rawValue, partitionIndex: tp.partition.rawValue, errorCode: error.rawValue)
            }
        } else {
            let groups = ReplicaFetchRequest.groupedByTopic(errors) { $0.0.topic }
            response.topics = groups.map { topic, items in
                LeaderAndIsrResponse.LeaderAndIsrTopicError(
                    topicId: topicIDs[topic] ?? .zero,
                    partitionErrors: items.map { tp, error in
                        LeaderAndIsrResponse.LeaderAndIsrPartitionError(
                            partitionIndex: tp.partition.rawValue, errorCode: error.rawValue)
                    })
            }
        }
        return response
    }
}
