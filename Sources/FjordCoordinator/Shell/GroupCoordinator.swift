import FjordCluster
import FjordModel
import Foundation
import Logging
import Synchronization
import ZooKeeper

/// The broker's group coordinator: the API the Kafka request handlers call for the group APIs.
///
/// It owns the groups this broker coordinates, one ``GroupHost`` actor each (so groups proceed in parallel and each
/// group's events are serialized), created on the first request for a group; the host claims the group in
/// ZooKeeper and loads it (docs/group-coordinator.md). Requests and answers are plain structs (``JoinGroupInput``,
/// ``JoinGroupOutcome``, …) rather than generated protocol messages, so this target does not depend on protocol
/// versions; each handler maps its message version onto them.
///
/// Session loss: ``run()`` watches the ZooKeeper session; when it ends, or whenever the session must be assumed lost
/// (disconnected for a third of its timeout), every group is unloaded and requests get NOT_COORDINATOR until the
/// broker installs a new session with ``replaceSession(zooKeeper:brokerEpoch:)``.
///
/// Thread-safety: `Sendable`; the map of hosts sits behind a `Mutex`, and every group's state inside its actor.
public final class GroupCoordinator: Sendable {
    private struct State {
        var context: CoordinatorContext
        var hosts: [GroupID: GroupHost] = [:]
    }

    private let state: Mutex<State>

    /// - Parameters:
    ///   - broker: this broker's id.
    ///   - brokerEpoch: the czxid of this broker's registration znode (recorded in each group's owner node).
    ///   - zooKeeper: this broker's session.
    ///   - scheduler: runs the groups' timers (tests inject their own).
    ///   - clock: wall-clock milliseconds (tests inject their own).
    ///   - zNodeMaxBytes: the largest znode content written (ZooKeeper's default `jute.maxbuffer` is 1 MiB).
    public init(
        broker: BrokerID, brokerEpoch: BrokerEpoch, zooKeeper: any CoordinatorZooKeeper,
        config: GroupCoordinatorConfig, scheduler: any GroupTimerScheduler = TaskTimerScheduler(),
        clock: @escaping @Sendable () -> TimestampMs = { TimestampMs.now() }, zNodeMaxBytes: Int = 1_000_000,
        logger: Logger
    ) {
        var logger = logger
        logger[metadataKey: "broker"] = "\(broker)"
        state = Mutex(
            State(
                context: CoordinatorContext(
                    broker: broker, brokerEpoch: brokerEpoch, zooKeeper: zooKeeper, config: config,
                    scheduler: scheduler, clock: clock, logger: logger, zNodeMaxBytes: zNodeMaxBytes)))
    }

    var context: CoordinatorContext { state.withLock { $0.context } }

    // MARK: Hosts

    /// The host of a group, created on first use. Nil when the session must be assumed lost.
    private func host(for groupID: GroupID) async -> GroupHost? {
        let context = self.context
        if context.zooKeeper.mustAssumeSessionLost(at: .now) {
            await unloadAll(reason: "ZooKeeper session lost")
            return nil
        }
        return state.withLock { state in
            if let host = state.hosts[groupID] { return host }
            let host = GroupHost(
                groupID: groupID, context: state.context, memberIDIncarnation: UUID().uuidString.lowercased(),
                onUnload: { [weak self] host in self?.forget(host) })
            state.hosts[groupID] = host
            return host
        }
    }

    private func forget(_ host: GroupHost) {
        state.withLock { state in
            if state.hosts[host.groupID] === host { state.hosts[host.groupID] = nil }
        }
    }

    /// Runs a request on the group's host.
    private func request(
        _ groupID: GroupID,
        _ body: @escaping @Sendable (inout GroupStateMachine, RequestToken, TimestampMs) -> [GroupDirective]
    ) async -> HostAnswer {
        guard let host = await host(for: groupID) else { return .failed(.notCoordinator) }
        return await host.request(body)
    }

    // MARK: FindCoordinator

    /// The broker coordinating `groupID`: the live owner recorded in ZooKeeper, else the deterministic choice
    /// among live brokers (``CoordinatorSelection``). Nil when no broker is live (COORDINATOR_NOT_AVAILABLE).
    public func findCoordinator(_ groupID: GroupID) async throws -> BrokerID? {
        let context = self.context
        let owner = await context.zooKeeper.getMany([GroupZNodePaths(groupID).owner])[0]
        var currentOwner: BrokerID?
        switch owner {
        case .success(let node):
            currentOwner = try? ZNodeJSON.decode(GroupCoordinatorClaim.self, from: node.data, path: "owner").broker
        case .failure(let error) where error.code == .noNode:
            currentOwner = nil
        case .failure(let error):
            throw error
        }
        let live = try await context.zooKeeper.children(ZNodePaths.brokerIds).compactMap { Int32($0) }.map {
            BrokerID($0)
        }
        // An owner node exists only while its broker's session lives, so a recorded owner is live.
        if let currentOwner { return currentOwner }
        return CoordinatorSelection.coordinator(for: groupID, liveBrokers: live, currentOwner: nil)
    }

    // MARK: Group membership

    public func joinGroup(_ groupID: GroupID, _ input: JoinGroupInput) async -> JoinGroupOutcome {
        guard groupID.isValid(for: .joinGroup) else { return .failure(.invalidGroupID, memberID: input.memberID) }
        let outcome: JoinGroupOutcome
        switch await request(groupID, { $0.joinGroup(input, token: $1, now: $2) }) {
        case .directive(.respondJoin(_, let answer)): outcome = answer
        case .failed(let error): outcome = .failure(error, memberID: input.memberID)
        case .directive(let other): preconditionFailure("JoinGroup answered with \(other)")
        }
        log(
            groupID, "JoinGroup",
            [
                "member": "\(input.memberID)", "instance": "\(input.groupInstanceID?.rawValue ?? "-")",
                "error": "\(outcome.error)", "generation": "\(outcome.generation)",
                "assignedMember": "\(outcome.memberID)", "leader": "\(outcome.leader)",
            ])
        return outcome
    }

    public func syncGroup(_ groupID: GroupID, _ input: SyncGroupInput) async -> SyncGroupOutcome {
        guard groupID.isValid(for: .syncGroup) else { return .failure(.invalidGroupID) }
        let outcome: SyncGroupOutcome
        switch await request(groupID, { $0.syncGroup(input, token: $1, now: $2) }) {
        case .directive(.respondSync(_, let answer)): outcome = answer
        case .failed(let error): outcome = .failure(error)
        case .directive(let other): preconditionFailure("SyncGroup answered with \(other)")
        }
        log(
            groupID, "SyncGroup",
            [
                "member": "\(input.memberID)", "generation": "\(input.generation)", "error": "\(outcome.error)",
                "assignmentBytes": "\(outcome.assignment.count)",
            ])
        return outcome
    }

    public func heartbeat(_ groupID: GroupID, _ input: HeartbeatInput) async -> GroupErrorCode {
        guard groupID.isValid(for: .heartbeat) else { return .invalidGroupID }
        let error: GroupErrorCode
        switch await request(groupID, { $0.heartbeat(input, token: $1, now: $2) }) {
        case .directive(.respondHeartbeat(_, let answer)): error = answer
        case .failed(let failure): error = failure
        case .directive(let other): preconditionFailure("Heartbeat answered with \(other)")
        }
        if error != .none {
            log(
                groupID, "Heartbeat",
                ["member": "\(input.memberID)", "generation": "\(input.generation)", "error": "\(error)"])
        }
        return error
    }

    /// A debug line per membership request (the answer; parked requests log when they are answered).
    private func log(_ groupID: GroupID, _ api: String, _ metadata: Logger.Metadata) {
        var logger = context.logger
        logger[metadataKey: "group"] = "\(groupID)"
        logger.debug("\(api) answered", metadata: metadata)
    }

    public func leaveGroup(_ groupID: GroupID, members: [LeavingMember]) async -> LeaveGroupOutcome {
        guard groupID.isValid(for: .leaveGroup) else { return LeaveGroupOutcome(error: .invalidGroupID, members: []) }
        let outcome: LeaveGroupOutcome
        switch await request(groupID, { $0.leaveGroup(members, token: $1, now: $2) }) {
        case .directive(.respondLeave(_, let answer)): outcome = answer
        case .failed(let error): outcome = LeaveGroupOutcome(error: error, members: [])
        case .directive(let other): preconditionFailure("LeaveGroup answered with \(other)")
        }
        log(
            groupID, "LeaveGroup",
            [
                "members": "\(members.map(\.memberID.rawValue))", "error": "\(outcome.error)",
                "memberErrors": "\(outcome.members.map(\.error))",
            ])
        return outcome
    }

    // MARK: Offsets

    /// OffsetCommit: per partition, in request order. Answered once the offsets are in ZooKeeper (one `multi`).
    public func commitOffsets(_ groupID: GroupID, _ input: OffsetCommitInput) async -> [PartitionResult] {
        let failAll = { (error: GroupErrorCode) in input.entries.map { PartitionResult($0.partition, error) } }
        guard groupID.isValid(for: .offsetCommit) else { return failAll(.invalidGroupID) }
        switch await request(groupID, { $0.commitOffsets(input, token: $1, now: $2) }) {
        case .directive(.respondOffsetCommit(_, let results)): return results
        case .failed(let error): return failAll(error)
        case .directive(let other): preconditionFailure("OffsetCommit answered with \(other)")
        }
    }

    /// OffsetFetch; `partitions` nil means all committed partitions (v2+).
    public func fetchOffsets(_ groupID: GroupID, partitions: [TopicPartition]?, requireStable: Bool = false) async
        -> OffsetFetchOutcome
    {
        guard groupID.isValid(for: .offsetFetch) else {
            return OffsetFetchOutcome(error: .invalidGroupID, partitions: [])
        }
        guard let host = await host(for: groupID) else {
            return OffsetFetchOutcome(error: .notCoordinator, partitions: [])
        }
        switch await host.query({ $0.fetchOffsets(partitions, requireStable: requireStable) }) {
        case .success(let outcome): return outcome
        case .failure(let failure): return OffsetFetchOutcome(error: failure.error, partitions: [])
        }
    }

    // MARK: Admin

    /// ListGroups: the groups this broker coordinates, optionally only those in `states` — the groups loaded here,
    /// and the groups stored in ZooKeeper that no broker has loaded but this one would coordinate
    /// (``storedGroupsCoordinatedHere(excluding:)``), as Kafka's new coordinator lists every group of the
    /// `__consumer_offsets` partitions it loads, not only those a client has touched since.
    public func listGroups(states: Set<GroupState>? = nil) async -> [GroupOverview] {
        let hosts = state.withLock { Array($0.hosts.values) }
        var overviews: [GroupID: GroupOverview] = [:]
        for host in hosts {
            if let overview = await host.overview() { overviews[overview.groupID] = overview }
        }
        for overview in await storedGroupsCoordinatedHere(excluding: Set(overviews.keys)) {
            overviews[overview.groupID] = overview
        }
        return overviews.values.filter { states?.contains($0.state) ?? true }.sorted { $0.groupID < $1.groupID }
    }

    /// DescribeGroups, in request order.
    public func describeGroups(_ groupIDs: [GroupID]) async -> [GroupDescription] {
        var descriptions: [GroupDescription] = []
        for groupID in groupIDs {
            let failed = { (error: GroupErrorCode) in
                GroupDescription(
                    groupID: groupID, error: error, state: "", protocolType: "", protocolName: "", members: [])
            }
            guard groupID.isValid(for: .describeGroups) else {
                descriptions.append(failed(.invalidGroupID))
                continue
            }
            guard let host = await host(for: groupID) else {
                descriptions.append(failed(.notCoordinator))
                continue
            }
            switch await host.query({ $0.describe() }) {
            case .success(let description): descriptions.append(description)
            case .failure(let failure): descriptions.append(failed(failure.error))
            }
        }
        return descriptions
    }

    /// DeleteGroups, in request order.
    public func deleteGroups(_ groupIDs: [GroupID]) async -> [(GroupID, GroupErrorCode)] {
        var results: [(GroupID, GroupErrorCode)] = []
        for groupID in groupIDs {
            guard groupID.isValid(for: .deleteGroups) else {
                results.append((groupID, .invalidGroupID))
                continue
            }
            switch await request(groupID, { $0.deleteGroup(token: $1, now: $2) }) {
            case .directive(.respondDeleteGroup(_, let error)): results.append((groupID, error))
            case .failed(let error): results.append((groupID, error))
            case .directive(let other): preconditionFailure("DeleteGroups answered with \(other)")
            }
        }
        return results
    }

    // MARK: Lifecycle

    /// One offset-retention pass over every loaded group.
    public func expireOffsets() async {
        let hosts = state.withLock { Array($0.hosts.values) }
        for host in hosts { await host.expireOffsets() }
    }

    /// Gives up every group (parked requests get NOT_COORDINATOR). The owner nodes stay until the session ends;
    /// the next request for a group claims it again.
    public func unloadAll(reason: String) async {
        let hosts = state.withLock { Array($0.hosts.values) }
        for host in hosts { await host.unload(reason: reason) }
    }

    /// Switches to a new ZooKeeper session (after the old one expired): every group is unloaded first.
    public func replaceSession(zooKeeper: any CoordinatorZooKeeper, brokerEpoch: BrokerEpoch) async {
        await unloadAll(reason: "ZooKeeper session replaced")
        state.withLock { state in
            let old = state.context
            state.context = CoordinatorContext(
                broker: old.broker, brokerEpoch: brokerEpoch, zooKeeper: zooKeeper, config: old.config,
                scheduler: old.scheduler, clock: old.clock, logger: old.logger, zNodeMaxBytes: old.zNodeMaxBytes)
        }
    }

    /// Background work until cancelled: unloads every group when the ZooKeeper session ends, and runs the
    /// offset-retention pass every `offsets.retention.check.interval.ms`.
    public func run() async {
        let context = self.context
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { [self] in
                for await sessionState in context.zooKeeper.sessionStates() where sessionState.isFinal {
                    await unloadAll(reason: "ZooKeeper session \(sessionState)")
                }
            }
            tasks.addTask { [self] in
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: .milliseconds(context.config.offsetsRetentionCheckIntervalMs))
                    } catch {
                        return
                    }
                    await expireOffsets()
                }
            }
            await tasks.next()
            tasks.cancelAll()
        }
    }
}
