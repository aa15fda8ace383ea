import FjordModel
import KafkaProtocol

/// Requests several client kinds share: ListOffsets to partition leaders and FindCoordinator.
extension ClusterClient {
    /// ListOffsets' special timestamps.
    static let latestTimestamp: Int64 = -1
    static let earliestTimestamp: Int64 = -2

    /// Looks up offsets by timestamp (or `latestTimestamp`/`earliestTimestamp`) at each partition's leader,
    /// refreshing metadata and retrying partitions whose leader moved, up to `attempts` rounds.
    ///
    /// A timestamp lookup that finds no record at or after the time returns `Offset.none` (-1).
    func listOffsets(_ requests: [TopicPartition: Int64], attempts: Int = 3) async throws
        -> [TopicPartition: Result<Offset, KafkaClientError>]
    {
        var results: [TopicPartition: Result<Offset, KafkaClientError>] = [:]
        var remaining = requests
        addInterest(Set(requests.keys.map(\.topic)))
        for attempt in 0..<max(1, attempts) {
            if attempt > 0 || remaining.keys.contains(where: { metadata.leader(for: $0) == nil }) {
                _ = try? await refreshMetadata()
            }
            let snapshot = metadata
            var byLeader: [BrokerID: [TopicPartition]] = [:]
            for tp in remaining.keys {
                if let leader = snapshot.leader(for: tp) {
                    byLeader[leader, default: []].append(tp)
                } else {
                    results[tp] = .failure(.broker(.leaderNotAvailable, topicPartition: tp))
                }
            }
            var retry: [TopicPartition: Int64] = [:]
            try await withThrowingTaskGroup(of: [TopicPartition: Result<Offset, KafkaClientError>].self) { group in
                for (leader, tps) in byLeader {
                    let asked = tps.map { ($0, remaining[$0]!) }
                    group.addTask { try await self.listOffsets(at: leader, asked) }
                }
                for try await partial in group {
                    for (tp, result) in partial {
                        results[tp] = result
                        if case .failure(let error) = result, error.isRetriable { retry[tp] = remaining[tp] }
                    }
                }
            }
            for tp in remaining.keys where results[tp] == nil { retry[tp] = remaining[tp] }
            remaining = retry
            if remaining.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100 * (attempt + 1)))
        }
        return results
    }

    private func listOffsets(at leader: BrokerID, _ asked: [(TopicPartition, Int64)]) async throws
        -> [TopicPartition: Result<Offset, KafkaClientError>]
    {
        let connection: BrokerConnection
        do { connection = try await self.connection(to: leader) } catch let error as KafkaClientError {
            return Dictionary(uniqueKeysWithValues: asked.map { ($0.0, .failure(error)) })
        }
        let version = try connection.requireVersion(.listOffsets)
        var byTopic: [TopicName: [ListOffsetsRequest.ListOffsetsPartition]] = [:]
        for (tp, timestamp) in asked {
            byTopic[tp.topic, default: []].append(
                ListOffsetsRequest.ListOffsetsPartition(
                    partitionIndex: tp.partition.rawValue, currentLeaderEpoch: -1, timestamp: timestamp))
        }
        let request = ListOffsetsRequest(
            replicaId: -1, isolationLevel: 0,
            topics: byTopic.map { ListOffsetsRequest.ListOffsetsTopic(name: $0.key.rawValue, partitions: $0.value) })
        let response: ListOffsetsResponse
        do { response = try await connection.send(request, version: version) } catch let error as KafkaClientError {
            return Dictionary(uniqueKeysWithValues: asked.map { ($0.0, .failure(error)) })
        }
        var results: [TopicPartition: Result<Offset, KafkaClientError>] = [:]
        for topic in response.topics {
            for p in topic.partitions {
                let tp = TopicPartition(TopicName(topic.name), PartitionID(p.partitionIndex))
                let code = ErrorCode(p.errorCode)
                results[tp] =
                    code == .noError ? .success(Offset(p.offset)) : .failure(.broker(code, topicPartition: tp))
            }
        }
        return results
    }

    /// The coordinator of a consumer group (FindCoordinator), retrying while it is not available yet.
    func findCoordinator(group: String, timeout: Duration = .seconds(30)) async throws -> BrokerID {
        let deadline = ContinuousClock.now + timeout
        var delay = Duration.milliseconds(100)
        while true {
            let connection = try await anyConnection()
            let version = try connection.requireVersion(.findCoordinator)
            let response = try await connection.send(
                FindCoordinatorRequest(key: group, keyType: 0), version: version)
            let code = ErrorCode(response.errorCode)
            if code == .noError, response.nodeId >= 0 {
                let id = BrokerID(response.nodeId)
                noteBroker(BrokerInfo(id: id, address: BrokerAddress(host: response.host, port: Int(response.port))))
                return id
            }
            guard code.isRetriable || code == .noError, ContinuousClock.now + delay < deadline else {
                throw KafkaClientError.broker(
                    code, "no coordinator for group \(group)\(response.errorMessage.map { ": \($0)" } ?? "")")
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(1))
        }
    }
}
