import FjordModel
import KafkaProtocol

extension Admin {
    /// Every group known to any broker (ListGroups sent to each broker, as Kafka's admin client does).
    public func listGroups() async throws -> [GroupListing] {
        let metadata = try await cluster.fetchMetadata(topics: [], allowAutoTopicCreation: false)
        var groups: [String: GroupListing] = [:]
        var errors: [KafkaClientError] = []
        for broker in metadata.brokers.keys.sorted() {
            do {
                let response = try await cluster.send(ListGroupsRequest(), to: broker)
                guard response.errorCode == 0 else {
                    errors.append(.broker(ErrorCode(response.errorCode), "ListGroups failed on broker \(broker)"))
                    continue
                }
                for g in response.groups {
                    groups[g.groupId] = GroupListing(groupId: g.groupId, protocolType: g.protocolType)
                }
            } catch let error as KafkaClientError {
                errors.append(error)
            }
        }
        if groups.isEmpty, let first = errors.first { throw first }
        return groups.values.sorted { $0.groupId < $1.groupId }
    }

    /// Describes a group at its coordinator.
    ///
    /// - Throws: `.broker(GROUP_ID_NOT_FOUND)` when the group is unknown (state Dead).
    public func describeGroup(_ groupId: String) async throws -> GroupDescription {
        let coordinator = try await cluster.findCoordinator(group: groupId, timeout: configuration.requestTimeout)
        let response = try await cluster.send(DescribeGroupsRequest(groups: [groupId]), to: coordinator)
        guard let g = response.groups.first else {
            throw KafkaClientError(.protocolViolation, "DescribeGroups response lacks group \(groupId)")
        }
        let code = ErrorCode(g.errorCode)
        guard code == .noError else { throw KafkaClientError.broker(code, "cannot describe group \(groupId)") }
        let members = g.members.map { m in
            GroupMemberDescription(
                memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId,
                clientHost: m.clientHost,
                assignment: g.protocolType == GroupProtocolCodec.protocolType
                    ? (try? GroupProtocolCodec.decodeAssignment(m.memberAssignment)) ?? [] : [])
        }
        return GroupDescription(
            groupId: g.groupId, state: g.groupState, protocolType: g.protocolType, assignmentStrategy: g.protocolData,
            members: members.sorted { $0.memberId < $1.memberId }, coordinator: cluster.metadata.brokers[coordinator],
            error: code)
    }

    /// A group's committed offsets (all partitions it committed).
    public func groupOffsets(_ groupId: String) async throws -> [TopicPartition: Offset] {
        let coordinator = try await cluster.findCoordinator(group: groupId, timeout: configuration.requestTimeout)
        let connection = try await cluster.connection(to: coordinator)
        let offsets = try await OffsetCommitter.fetch(nil, group: groupId, connection: connection)
        return offsets.compactMapValues { $0 }
    }

    /// The rows of `kafka-consumer-groups --describe`: every partition the group committed or has assigned, with
    /// committed offset, log end offset, lag and the member consuming it. Sorted by topic and partition.
    public func groupLag(_ groupId: String) async throws -> (description: GroupDescription, rows: [GroupPartitionLag]) {
        let description = try await describeGroup(groupId)
        let committed = try await groupOffsets(groupId)
        var owner: [TopicPartition: GroupMemberDescription] = [:]
        for member in description.members {
            for tp in member.assignment { owner[tp] = member }
        }
        let partitions = Set(committed.keys).union(owner.keys)
        let ends = try await cluster.listOffsets(
            Dictionary(uniqueKeysWithValues: partitions.map { ($0, ClusterClient.latestTimestamp) }))
        let rows = partitions.sorted().map { tp in
            GroupPartitionLag(
                topicPartition: tp, currentOffset: committed[tp], logEndOffset: try? ends[tp]?.get(), member: owner[tp])
        }
        return (description, rows)
    }

    /// Computes new committed offsets for a group and, with `execute`, commits them (as a simple consumer, which the
    /// coordinator accepts only while the group has no members). Returns the new offsets.
    ///
    /// - Parameter partitions: the partitions to reset; nil for every partition the group has committed.
    /// - Throws: `.invalidArgument` when the group has active members.
    public func resetGroupOffsets(
        group groupId: String, partitions: [TopicPartition]?, to target: OffsetResetTarget, execute: Bool
    ) async throws -> [TopicPartition: Offset] {
        let description: GroupDescription? = try? await describeGroup(groupId)
        if let state = description?.state, state != "Empty", state != "Dead" {
            throw KafkaClientError(
                .invalidArgument,
                "Assignments can only be reset if the group '\(groupId)' is inactive, but the current state is \(state)"
            )
        }
        let committed = (try? await groupOffsets(groupId)) ?? [:]
        let targets = partitions ?? Array(committed.keys)
        guard !targets.isEmpty else { return [:] }
        let earliest = try await cluster.listOffsets(
            Dictionary(uniqueKeysWithValues: targets.map { ($0, ClusterClient.earliestTimestamp) }))
        let latest = try await cluster.listOffsets(
            Dictionary(uniqueKeysWithValues: targets.map { ($0, ClusterClient.latestTimestamp) }))
        var byTime: [TopicPartition: Result<Offset, KafkaClientError>] = [:]
        if case .timestamp(let ts) = target {
            byTime = try await cluster.listOffsets(Dictionary(uniqueKeysWithValues: targets.map { ($0, ts.rawValue) }))
        }
        var planned: [TopicPartition: Offset] = [:]
        for tp in targets {
            let low = try earliest[tp]?.get() ?? .zero
            let high = try latest[tp]?.get() ?? .zero
            let wanted: Offset
            switch target {
            case .earliest: wanted = low
            case .latest: wanted = high
            case .offset(let o): wanted = o
            case .shiftBy(let n): wanted = (committed[tp] ?? low) + n
            case .timestamp:
                let found = try byTime[tp]?.get() ?? .none
                wanted = found.rawValue >= 0 ? found : high
            }
            planned[tp] = min(max(wanted, low), high)
        }
        if execute {
            let coordinator = try await cluster.findCoordinator(group: groupId, timeout: configuration.requestTimeout)
            let connection = try await cluster.connection(to: coordinator)
            try await OffsetCommitter.commit(
                planned, group: groupId, generation: -1, memberId: "", connection: connection)
        }
        return planned
    }

    /// Deletes groups (they must be empty).
    public func deleteGroups(_ groupIds: [String]) async throws -> [String: Result<Void, KafkaClientError>] {
        var results: [String: Result<Void, KafkaClientError>] = [:]
        for groupId in groupIds {
            do {
                let coordinator = try await cluster.findCoordinator(
                    group: groupId, timeout: configuration.requestTimeout)
                let response = try await cluster.send(DeleteGroupsRequest(groupsNames: [groupId]), to: coordinator)
                let code = ErrorCode(response.results.first?.errorCode ?? ErrorCode.unknownServerError.rawValue)
                results[groupId] = code == .noError ? .success(()) : .failure(.broker(code))
            } catch let error as KafkaClientError {
                results[groupId] = .failure(error)
            }
        }
        return results
    }

    /// The log start and end offsets of partitions.
    public func offsets(of partitions: [TopicPartition], earliest: Bool) async throws -> [TopicPartition: Offset] {
        let timestamp = earliest ? ClusterClient.earliestTimestamp : ClusterClient.latestTimestamp
        let results = try await cluster.listOffsets(
            Dictionary(uniqueKeysWithValues: partitions.map { ($0, timestamp) }))
        return try results.mapValues { try $0.get() }
    }
}
