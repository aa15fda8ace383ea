import FjordModel

extension GroupStateMachine {
    /// OffsetCommit (Kafka's `handleCommitOffsets`): validated against the generation, then written; answered when
    /// the write completes.
    public mutating func commitOffsets(_ request: OffsetCommitInput, token: RequestToken, now: TimestampMs)
        -> [GroupDirective]
    {
        handle(now: now) { $0.doCommitOffsets(request, token: token) }
    }

    private mutating func doCommitOffsets(_ request: OffsetCommitInput, token: RequestToken) {
        let partitions = request.entries.map(\.partition)
        func failAll(_ error: GroupErrorCode) -> GroupDirective {
            .respondOffsetCommit(token, partitions.map { PartitionResult($0, error) })
        }
        if isUnloaded { return emit(failAll(.notCoordinator)) }
        if group == nil {
            // Without group management (generation -1) the commit creates an Empty group; otherwise the request
            // is from a generation this coordinator no longer knows.
            guard request.generation.rawValue < 0 else { return emit(failAll(.illegalGeneration)) }
            group = ConsumerGroup(groupID: groupID, state: .empty, now: now)
        }
        if let error = validateOffsetCommit(request) { return emit(failAll(error)) }
        switch group!.state {
        case .empty:
            storeOffsets(request, token: token)
        case .stable, .preparingRebalance:
            // Commits still count as liveness while a rebalance is being prepared; the heartbeat tells the member.
            let member = group!.member(request.memberID)!
            scheduleSessionTimer(member.memberID, timeoutMs: Int64(member.sessionTimeoutMs))
            storeOffsets(request, token: token)
        case .completingRebalance:
            // A valid member of the new generation that has not synced yet: let it finish the rebalance first.
            emit(failAll(.rebalanceInProgress))
        case .dead:
            emit(failAll(.coordinatorNotAvailable))
        }
    }

    /// Kafka's `validateOffsetCommit` (non-transactional).
    private func validateOffsetCommit(_ request: OffsetCommitInput) -> GroupErrorCode? {
        let group = self.group!
        if group.state == .dead { return .coordinatorNotAvailable }
        if request.generation.rawValue < 0 && group.state == .empty {
            // The admin client or a consumer without group management: allowed while nobody is a member.
            return nil
        }
        if request.generation.rawValue >= 0 || !request.memberID.isUnknown || request.groupInstanceID != nil {
            if let error = validateCurrentMember(request.memberID, instanceID: request.groupInstanceID) {
                return error
            }
            return request.generation == group.generation ? nil : .illegalGeneration
        }
        // Generation -1 without member id while the group has members: only members may commit.
        return group.state == .empty ? nil : .unknownMemberID
    }

    private mutating func storeOffsets(_ request: OffsetCommitInput, token: RequestToken) {
        var results: [PartitionResult] = []
        var updates: [TopicPartition: CommittedOffset] = [:]
        for entry in request.entries {
            if (entry.metadata?.utf16.count ?? 0) > config.offsetMetadataMaxBytes {
                results.append(PartitionResult(entry.partition, .offsetMetadataTooLarge))
            } else {
                updates[entry.partition] = CommittedOffset(
                    entry: entry, retentionTimeMs: request.retentionTimeMs, now: now)
                results.append(PartitionResult(entry.partition, .none))
            }
        }
        if updates.isEmpty { return emit(.respondOffsetCommit(token, results)) }
        var document = projectedOffsets()
        document.merge(updates) { _, new in new }
        persist(
            .offsets(token: token, updates: updates, results: results), offsets: .set(GroupOffsetsRecord(document)))
    }

    /// The offsets ZooKeeper will hold once every write in flight has landed: what new offset writes must contain.
    func projectedOffsets() -> [TopicPartition: CommittedOffset] {
        var document = group?.offsets.byPartition ?? [:]
        for ticket in pendingWrites.keys.sorted() where ticket > offsetsBaseTicket {
            if case .offsets(_, let updates, _) = pendingWrites[ticket]! {
                document.merge(updates) { _, new in new }
            }
        }
        return document
    }

    /// Partitions with a commit still being written (not yet visible to OffsetFetch, never expired).
    var pendingOffsetPartitions: Set<TopicPartition> {
        var partitions = Set<TopicPartition>()
        for (ticket, write) in pendingWrites where ticket > offsetsBaseTicket {
            if case .offsets(_, let updates, _) = write { partitions.formUnion(updates.keys) }
        }
        return partitions
    }

    /// The outcome of an offsets write: the offsets become visible, and the commit is answered.
    mutating func offsetsWritten(
        ticket: WriteTicket, token: RequestToken?, updates: [TopicPartition: CommittedOffset],
        results: [PartitionResult], error: GroupErrorCode
    ) {
        if error == .none, ticket > offsetsBaseTicket, group != nil, group!.state != .dead {
            group!.offsets.apply(updates)
        }
        guard let token else { return }
        emit(.respondOffsetCommit(token, results.map { $0.error == .none ? PartitionResult($0.partition, error) : $0 }))
    }

    /// OffsetFetch (Kafka's `handleFetchOffsets`): committed offsets regardless of the group's state; `partitions`
    /// nil asks for all of them. A group this coordinator does not know has no offsets (not an error).
    public func fetchOffsets(_ partitions: [TopicPartition]?, requireStable: Bool = false) -> OffsetFetchOutcome {
        if isUnloaded { return OffsetFetchOutcome(error: .notCoordinator, partitions: []) }
        guard let group, group.state != .dead else {
            return OffsetFetchOutcome(error: .none, partitions: (partitions ?? []).map { .missing($0) })
        }
        return OffsetFetchOutcome(
            error: .none,
            partitions: group.offsets.fetch(
                partitions, requireStable: requireStable, unstable: requireStable ? pendingOffsetPartitions : []))
    }

    /// The periodic offset-retention pass (Kafka's `cleanupGroupMetadata`): removes expired offsets, and the group
    /// itself once it is Empty without offsets.
    public mutating func expireOffsets(now: TimestampMs) -> [GroupDirective] {
        handle(now: now) { machine in
            guard !machine.isUnloaded, let group = machine.group, group.state != .dead else { return }
            let pending = machine.pendingOffsetPartitions
            let context = OffsetRetentionContext(
                state: group.state, protocolType: group.protocolType, subscribedTopics: group.subscribedTopics,
                stateTimestamp: group.stateTimestamp)
            let expired = group.offsets.expiredPartitions(
                context: context, pending: pending, now: now, retentionMs: machine.config.offsetsRetentionMs)
            machine.group!.offsets.remove(expired)
            if group.state == .empty && machine.group!.offsets.isEmpty && pending.isEmpty {
                machine.transition(to: .dead)
                machine.removeGroup(deletionToken: nil)
            } else if !expired.isEmpty {
                machine.persist(
                    .offsets(token: nil, updates: [:], results: []),
                    offsets: .set(GroupOffsetsRecord(machine.projectedOffsets())))
            }
        }
    }
}
