import FjordModel
import KafkaProtocol
import Logging
import NIOCore

/// What the group membership asks of the consumer it belongs to.
protocol GroupMembershipDelegate: AnyObject, Sendable {
    /// Partitions were assigned: start fetching them from their committed offsets.
    func membershipAssigned(_ partitions: [TopicPartition]) async
    /// Partitions are being revoked (`lost`: without a chance to commit): stop fetching them, after committing their
    /// processed positions when auto-commit is on and they are not lost.
    func membershipRevoked(_ partitions: [TopicPartition], lost: Bool) async
    /// A fatal group error, for the records iterator to throw.
    func membershipFailed(_ error: KafkaClientError)
}

/// A consumer's membership in its group, with Kafka's classic protocol: FindCoordinator, JoinGroup (with the
/// member-id-required round trip of v4+), SyncGroup (the leader computes the assignment), Heartbeat on a timer,
/// OffsetCommit/OffsetFetch, and LeaveGroup on close.
///
/// Rebalancing is eager (revoke everything, then join) unless every configured strategy is cooperative-sticky;
/// then it is incremental (KIP-429): the member keeps its partitions while rejoining, reports them as owned, and
/// after SyncGroup revokes only those missing from the new assignment — and rejoins at once if it revoked any, so
/// the partitions it gave up can be assigned to their new owner in a second rebalance.
///
/// An actor: its loop (`run`) and commit/offset calls from the consumer are serialised here; network calls suspend
/// without blocking it.
actor GroupMembership {
    let groupId: String
    let configuration: ConsumerConfiguration
    let cluster: ClusterClient
    let logger: Logger
    private weak var delegate: (any GroupMembershipDelegate)?

    private var coordinator: BrokerID?
    private(set) var memberId = ""
    private(set) var generationId: Int32 = -1
    private var protocolName: String?
    private var topics: Set<TopicName> = []
    private(set) var owned: [TopicPartition] = []
    private var rejoinNeeded = true
    private var closed = false
    private var loop: Task<Void, Never>?
    private let wakeup: LoopWakeup

    init(
        groupId: String, configuration: ConsumerConfiguration, cluster: ClusterClient, logger: Logger,
        eventLoop: any EventLoop
    ) {
        self.groupId = groupId
        self.configuration = configuration
        self.cluster = cluster
        self.logger = logger
        self.wakeup = LoopWakeup(eventLoop: eventLoop)
    }

    func setDelegate(_ delegate: any GroupMembershipDelegate) {
        self.delegate = delegate
    }

    private var cooperative: Bool { configuration.usesCooperativeRebalancing }

    /// Subscribes (or changes the subscription) and starts the membership loop.
    func subscribe(_ newTopics: Set<TopicName>) {
        topics = newTopics
        cluster.addInterest(newTopics)
        rejoinNeeded = true
        if loop == nil {
            loop = Task { await self.run() }
        } else {
            wakeup.signal()
        }
    }

    // MARK: The loop

    private func run() async {
        var backoff = configuration.retryBackoff
        while !closed {
            do {
                if coordinator == nil { coordinator = try await cluster.findCoordinator(group: groupId) }
                if rejoinNeeded {
                    try await joinAndSync()
                    backoff = configuration.retryBackoff
                    continue
                }
                let deadline = MonotonicClock.nowNs() &+ UInt64(configuration.heartbeatInterval.nanosecondsClamped)
                await wakeup.wait(untilNs: deadline)
                if closed || rejoinNeeded { continue }
                try await heartbeat()
                backoff = configuration.retryBackoff
            } catch let error as KafkaClientError {
                if closed { break }
                if isFatal(error) {
                    logger.error("group membership failed", metadata: ["group": "\(groupId)", "error": "\(error)"])
                    delegate?.membershipFailed(error)
                    return
                }
                logger.debug("group membership retry", metadata: ["group": "\(groupId)", "error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
            } catch {
                if closed { break }
                try? await Task.sleep(for: backoff)
            }
        }
    }

    private func isFatal(_ error: KafkaClientError) -> Bool {
        guard error.kind == .broker, let code = error.errorCode else { return false }
        return [
            .inconsistentGroupProtocol, .invalidSessionTimeout, .groupAuthorizationFailed, .groupMaxSizeReached,
            .fencedInstanceId, .invalidGroupId, .unsupportedVersion,
        ].contains(code)
    }

    /// Errors that mean "find the coordinator again".
    private func coordinatorMoved(_ code: ErrorCode) -> Bool {
        code == .notCoordinator || code == .coordinatorNotAvailable
    }

    private func coordinatorConnection() async throws -> BrokerConnection {
        guard let coordinator else { throw KafkaClientError.broker(.coordinatorNotAvailable) }
        do {
            return try await cluster.connection(to: coordinator)
        } catch {
            self.coordinator = nil
            throw error
        }
    }

    // MARK: Join and sync

    private func joinAndSync() async throws {
        if !cooperative && !owned.isEmpty {
            let revoked = owned
            await delegate?.membershipRevoked(revoked, lost: false)
            owned = []
        }
        let join = try await joinGroup()
        let assignments: [SyncGroupRequest.SyncGroupRequestAssignment]
        if join.leader == join.memberId {
            assignments = try await computeAssignments(join)
        } else {
            assignments = []
        }
        let connection = try await coordinatorConnection()
        let syncVersion = try connection.requireVersion(.syncGroup)
        let sync = try await connection.send(
            SyncGroupRequest(
                groupId: groupId, generationId: generationId, memberId: memberId, groupInstanceId: nil,
                protocolType: syncVersion >= 5 ? GroupProtocolCodec.protocolType : nil,
                protocolName: syncVersion >= 5 ? protocolName : nil, assignments: assignments),
            version: syncVersion)
        let code = ErrorCode(sync.errorCode)
        guard code == .noError else {
            try handleGroupError(code, during: "SyncGroup")
            return
        }
        let assigned = try GroupProtocolCodec.decodeAssignment(sync.assignment)
        rejoinNeeded = false
        try await apply(assigned)
    }

    /// JoinGroup, repeated once with the member id the coordinator hands out (MEMBER_ID_REQUIRED).
    private func joinGroup() async throws -> JoinGroupResponse {
        for _ in 0..<3 {
            let connection = try await coordinatorConnection()
            let version = try connection.requireVersion(.joinGroup)
            let protocols = configuration.partitionAssignmentStrategies.map { strategy in
                JoinGroupRequest.JoinGroupRequestProtocol(
                    name: strategy.rawValue,
                    metadata: GroupProtocolCodec.encodeSubscription(
                        topics: topics, ownedPartitions: cooperative ? owned : [], generation: generationId,
                        strategy: strategy))
            }
            let request = JoinGroupRequest(
                groupId: groupId, sessionTimeoutMs: configuration.sessionTimeout.millisecondsInt32,
                rebalanceTimeoutMs: configuration.maxPollInterval.millisecondsInt32, memberId: memberId,
                groupInstanceId: nil, protocolType: GroupProtocolCodec.protocolType, protocols: protocols)
            let response = try await connection.send(
                request, version: version, extraTimeout: configuration.maxPollInterval + .seconds(5))
            let code = ErrorCode(response.errorCode)
            if code == .memberIdRequired {
                memberId = response.memberId
                continue
            }
            guard code == .noError else {
                try handleGroupError(code, during: "JoinGroup")
                throw KafkaClientError.broker(code, "JoinGroup failed")
            }
            memberId = response.memberId
            generationId = response.generationId
            protocolName = response.protocolName
            logger.debug(
                "joined group",
                metadata: [
                    "group": "\(groupId)", "generation": "\(generationId)", "member": "\(memberId)",
                    "protocol": "\(protocolName ?? "-")", "leader": "\(response.leader == memberId)",
                ])
            return response
        }
        throw KafkaClientError.broker(.memberIdRequired, "the coordinator kept asking for a member id")
    }

    /// The leader's job: decode every member's subscription, fetch partition counts, run the chosen assignor.
    private func computeAssignments(_ join: JoinGroupResponse) async throws
        -> [SyncGroupRequest.SyncGroupRequestAssignment]
    {
        guard let name = join.protocolName, let strategy = PartitionAssignmentStrategy(rawValue: name) else {
            throw KafkaClientError.broker(
                .inconsistentGroupProtocol, "the group chose assignor \(join.protocolName ?? "none"), unknown here")
        }
        var members: [GroupMemberSubscription] = []
        for member in join.members {
            members.append(
                try GroupProtocolCodec.decodeSubscription(
                    memberId: member.memberId, groupInstanceId: member.groupInstanceId, metadata: member.metadata))
        }
        let allTopics = Set(members.flatMap(\.topics))
        cluster.addInterest(allTopics)
        let metadata = try await cluster.fetchMetadata(topics: allTopics, allowAutoTopicCreation: nil)
        var counts: [TopicName: Int] = [:]
        for topic in allTopics {
            if let count = metadata.partitionCount(of: topic) { counts[topic] = count }
        }
        let result = PartitionAssignors.assign(strategy, members: members, partitionCounts: counts)
        return members.map { member in
            SyncGroupRequest.SyncGroupRequestAssignment(
                memberId: member.memberId,
                assignment: GroupProtocolCodec.encodeAssignment(result[member.memberId] ?? []))
        }
    }

    /// Applies a SyncGroup assignment: eager — take it all; cooperative — revoke what is gone (then rejoin), add
    /// what is new.
    private func apply(_ assigned: [TopicPartition]) async throws {
        let newSet = Set(assigned)
        let oldSet = Set(owned)
        let revoked = owned.filter { !newSet.contains($0) }
        let added = assigned.filter { !oldSet.contains($0) }
        if !revoked.isEmpty {
            await delegate?.membershipRevoked(revoked, lost: false)
            rejoinNeeded = cooperative
            if cooperative { wakeup.signal() }
        }
        owned = assigned
        await delegate?.membershipAssigned(added)
    }

    /// Reacts to a group error code: rediscover the coordinator, forget the member id or generation (the
    /// partitions are then lost), or rejoin. Throws for codes that end the attempt.
    private func handleGroupError(_ code: ErrorCode, during what: String) throws {
        switch code {
        case .notCoordinator, .coordinatorNotAvailable:
            coordinator = nil
            rejoinNeeded = true
            throw KafkaClientError.broker(code, "\(what): the coordinator moved")
        case .coordinatorLoadInProgress:
            throw KafkaClientError.broker(code, "\(what): the coordinator is loading")
        case .rebalanceInProgress:
            rejoinNeeded = true
        case .unknownMemberId:
            memberId = ""
            generationId = -1
            rejoinNeeded = true
            throw KafkaClientError.broker(code, "\(what): the coordinator forgot this member")
        case .illegalGeneration:
            generationId = -1
            rejoinNeeded = true
            throw KafkaClientError.broker(code, "\(what): the generation is stale")
        default:
            throw KafkaClientError.broker(code, "\(what) failed")
        }
    }

    // MARK: Heartbeat

    private func heartbeat() async throws {
        let connection = try await coordinatorConnection()
        let response = try await connection.send(
            HeartbeatRequest(groupId: groupId, generationId: generationId, memberId: memberId, groupInstanceId: nil))
        let code = ErrorCode(response.errorCode)
        switch code {
        case .noError:
            return
        case .rebalanceInProgress:
            rejoinNeeded = true
        case .unknownMemberId, .illegalGeneration, .fencedInstanceId:
            let lost = owned
            owned = []
            if !lost.isEmpty { await delegate?.membershipRevoked(lost, lost: true) }
            if code == .unknownMemberId { memberId = "" }
            generationId = -1
            rejoinNeeded = true
            if code == .fencedInstanceId { throw KafkaClientError.broker(code) }
        default:
            try handleGroupError(code, during: "Heartbeat")
        }
    }

    // MARK: Offsets

    /// Commits offsets for the current generation (or as a simple consumer, generation -1, when not a member).
    func commit(_ offsets: [TopicPartition: Offset]) async throws {
        guard !offsets.isEmpty else { return }
        var attempt = 0
        while true {
            attempt += 1
            if coordinator == nil { coordinator = try await cluster.findCoordinator(group: groupId) }
            let member = loop != nil && generationId >= 0
            do {
                try await OffsetCommitter.commit(
                    offsets, group: groupId, generation: member ? generationId : -1, memberId: member ? memberId : "",
                    connection: try await coordinatorConnection())
                return
            } catch let error as KafkaClientError {
                if let code = error.errorCode, coordinatorMoved(code) { coordinator = nil }
                if let code = error.errorCode,
                    [.rebalanceInProgress, .illegalGeneration, .unknownMemberId].contains(code)
                {
                    rejoinNeeded = true
                    wakeup.signal()
                    throw KafkaClientError(
                        .rebalanceInProgress,
                        "commit failed: the group rebalanced (\(code.name)); the partitions may now belong to "
                            + "another member", errorCode: code)
                }
                guard error.isRetriable, attempt < 5 else { throw error }
                try await Task.sleep(for: configuration.retryBackoff * attempt)
            }
        }
    }

    /// The group's committed offsets for `partitions` (nil where none is committed).
    func committed(_ partitions: [TopicPartition]) async throws -> [TopicPartition: Offset?] {
        var attempt = 0
        while true {
            attempt += 1
            if coordinator == nil { coordinator = try await cluster.findCoordinator(group: groupId) }
            do {
                return try await OffsetCommitter.fetch(
                    partitions, group: groupId, connection: try await coordinatorConnection())
            } catch let error as KafkaClientError {
                if let code = error.errorCode, coordinatorMoved(code) { coordinator = nil }
                guard error.isRetriable, attempt < 10 else { throw error }
                try await Task.sleep(for: configuration.retryBackoff * attempt)
            }
        }
    }

    // MARK: Close

    /// Stops the loop and leaves the group (LeaveGroup), so the others rebalance at once.
    func leave() async {
        closed = true
        wakeup.signal()
        loop?.cancel()
        guard !memberId.isEmpty, let coordinator else { return }
        do {
            let connection = try await cluster.connection(to: coordinator)
            let version = try connection.requireVersion(.leaveGroup)
            let request =
                version >= 3
                ? LeaveGroupRequest(
                    groupId: groupId,
                    members: [LeaveGroupRequest.MemberIdentity(memberId: memberId, groupInstanceId: nil)])
                : LeaveGroupRequest(groupId: groupId, memberId: memberId)
            _ = try await connection.send(request, version: version)
        } catch {
            logger.debug("LeaveGroup failed", metadata: ["group": "\(groupId)", "error": "\(error)"])
        }
        memberId = ""
        owned = []
    }
}
