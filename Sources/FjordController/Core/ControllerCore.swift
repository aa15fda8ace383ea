import FjordCluster
import FjordModel

/// The controller's decisions, without I/O: Kafka 3.9's ZooKeeper-mode controller as a state machine.
///
/// Terms: an *event* (``ControllerEvent``) is something that happened; the core answers it with znode writes
/// (``ZNodeWrite``, performed by the shell inside fenced `multi`s) and then, given how the writes went, with
/// ``ControllerActions`` (control requests per broker, a reply, follow-up events). The shell drives it strictly as
/// `handle(event)` → perform the writes → `finish(results)`, one event at a time; it never calls `handle` again
/// before `finish`.
///
/// Ordering invariant: control requests describe what ZooKeeper holds after the event's writes, because they are
/// built in `finish`, after the writes, and only for partitions whose writes succeeded.
///
/// Departures from Kafka, all deliberate (docs/controller.md): one write per partition per event (Kafka may bump a
/// leader epoch twice in one event, once to elect and once to shrink the ISR); a partition's ISR shrink and election
/// on broker failure are one decision; a reassignment's final leader, ISR and assignment are written in one `multi`;
/// topic deletion does not write ISR changes for the topic it is deleting.
public struct ControllerCore: Sendable {
    public struct Configuration: Sendable {
        public var controllerID: Int32
        public var uncleanLeaderElectionEnable: Bool
        public var autoLeaderRebalanceEnable: Bool
        public var leaderImbalancePerBrokerPercentage: Int
        public var deleteTopicEnable: Bool
        /// Makes a topic id for a topic whose znode has none (Kafka's base64 UUID text). Injected for tests.
        public var makeTopicID: @Sendable () -> String

        public init(
            controllerID: Int32, uncleanLeaderElectionEnable: Bool = false, autoLeaderRebalanceEnable: Bool = true,
            leaderImbalancePerBrokerPercentage: Int = 10, deleteTopicEnable: Bool = true,
            makeTopicID: @escaping @Sendable () -> String = TopicID.random
        ) {
            self.controllerID = controllerID
            self.uncleanLeaderElectionEnable = uncleanLeaderElectionEnable
            self.autoLeaderRebalanceEnable = autoLeaderRebalanceEnable
            self.leaderImbalancePerBrokerPercentage = leaderImbalancePerBrokerPercentage
            self.deleteTopicEnable = deleteTopicEnable
            self.makeTopicID = makeTopicID
        }
    }

    /// How many times in a row a write conflict may send the core back to re-derive its decisions.
    public static let maxReconcileAttempts = 3

    public let configuration: Configuration
    /// The cluster as this controller knows it; nil while standing by.
    public private(set) var context: ControllerContext?
    private var pending: EventPlan?
    private var pendingEvent: ControllerEvent?

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public var isActive: Bool { context != nil }

    /// Handles one event; returns the writes to perform before calling ``finish(_:)``.
    public mutating func handle(_ event: ControllerEvent) -> [ZNodeWrite] {
        precondition(pending == nil, "handle(\(event)) called before finish() of \(String(describing: pendingEvent))")
        pendingEvent = event
        if case .becameActive(let snapshot) = event {
            context = ControllerContext(
                controllerID: configuration.controllerID, epoch: snapshot.epoch, epochZkVersion: snapshot.epochZkVersion
            )
        }
        if case .resigned = event { context = nil }
        guard let current = context else {
            var plan = EventPlan()
            plan.reply = Self.notControllerReply(for: event).map { .ready($0) }
            pending = plan
            return []
        }
        var planner = EventPlanner(context: current, configuration: configuration)
        planner.handle(event)
        let units = planner.seal()
        context = planner.context
        pending = planner.plan
        return units
    }

    /// Takes how the writes of the last ``handle(_:)`` went and returns what to do next.
    public mutating func finish(_ results: ZNodeWriteResults) -> ControllerActions {
        guard let plan = pending else { preconditionFailure("finish() without handle()") }
        let event = pendingEvent
        pending = nil
        pendingEvent = nil
        var actions = ControllerActions()
        actions.notes = plan.notes
        if results.fenced {
            context = nil
            actions.resign = true
            actions.notes.append("fenced: /controller_epoch moved on; resigning")
            actions.reply = event.flatMap(Self.notControllerReply(for:))
            return actions
        }
        guard var current = context else {
            if case .ready(let reply) = plan.reply { actions.reply = reply }
            return actions
        }
        var dropped = Set<TopicPartition>()
        for (index, refreshes) in results.failedUnits.sorted(by: { $0.key < $1.key }) {
            if index < plan.unitPartitions.count { dropped.formUnion(plan.unitPartitions[index]) }
            for refresh in refreshes { current.refresh(from: refresh) }
        }
        actions.followUps = plan.followUps
        if !results.failedUnits.isEmpty {
            actions.notes.append("\(results.failedUnits.count) write unit(s) conflicted; context refreshed")
            let attempt = if case .reconcile(let n) = event { n + 1 } else { 1 }
            if attempt <= Self.maxReconcileAttempts { actions.followUps.append(.reconcile(attempt: attempt)) }
        }
        context = current
        actions.requests = plan.batch.build(context: current, dropping: dropped)
        actions.reply = plan.reply.map { resolve($0, context: current, dropped: dropped) }
        return actions
    }

    private func resolve(_ reply: EventPlan.PendingReply, context: ControllerContext, dropped: Set<TopicPartition>)
        -> ControllerReply
    {
        switch reply {
        case .ready(let reply):
            return reply
        case .alterPartition(let request, let errors):
            return .alterPartition(
                Self.alterPartitionReply(request, errors: errors, context: context, dropped: dropped))
        case .controlledShutdown(let broker):
            // Kafka counts only partitions whose leadership could move (replication factor > 1): a single-replica
            // partition stays led by the broker until it stops, and reporting it would only make the broker retry.
            let movable = context.partitionsLed(by: broker).filter { context.replicas($0).count > 1 }
            return .controlledShutdown(.none, remaining: movable)
        case .electLeaders(let type, var outcomes, let elected):
            for tp in elected {
                if dropped.contains(tp) {
                    let code: ControllerErrorCode =
                        type == .preferred ? .preferredLeaderNotAvailable : .eligibleLeadersNotAvailable
                    outcomes[tp] = .failed(ControllerApiError(code, "partition state changed concurrently; retry"))
                } else if let leader = context.leadership[tp]?.leader {
                    outcomes[tp] = .elected(leader)
                }
            }
            return .electLeaders(.none, outcomes)
        }
    }

    /// The answer a standby gives to a request: NOT_CONTROLLER.
    static func notControllerReply(for event: ControllerEvent) -> ControllerReply? {
        let notController = ControllerApiError(.notController)
        switch event {
        case .alterPartition: return .alterPartition(AlterPartitionReply(error: .notController))
        case .controlledShutdown: return .controlledShutdown(.notController, remaining: [])
        case .alterPartitionReassignments: return .alterPartitionReassignments(notController, [:])
        case .listPartitionReassignments: return .listPartitionReassignments(notController, [:])
        case .electLeaders(_, let partitions):
            return .electLeaders(
                notController,
                Dictionary(uniqueKeysWithValues: (partitions ?? []).map { ($0, ElectionOutcome.failed(notController)) })
            )
        default: return nil
        }
    }
}

extension ControllerContext {
    /// Replaces what the context believes about a znode with what ZooKeeper holds (after a failed write).
    mutating func refresh(from refresh: ZNodeRefresh) {
        switch refresh.subject {
        case .partitionState(let tp):
            guard let data = refresh.data,
                let state = try? ZNodeJSON.decode(PartitionState.self, from: data, path: refresh.subject.path)
            else {
                leadership[tp] = nil
                return
            }
            if assignment(tp) != nil { leadership[tp] = LeaderAndIsr(znode: state, version: refresh.version) }
        case .topicAssignment(let topic), .topicTree(let topic):
            guard let data = refresh.data,
                let assignment = try? ZNodeJSON.decode(TopicAssignment.self, from: data, path: refresh.subject.path)
            else {
                removeTopic(topic)
                return
            }
            apply(LoadedTopic(assignment: assignment, zkVersion: refresh.version), to: topic)
        case .reassignment:
            zkReassignment = refresh.data.flatMap { ZkReassignment(json: $0, version: refresh.version) }
        case .topicConfig, .topicDeletionMarker, .preferredReplicaElection:
            break
        }
    }

    /// Sets a topic's assignment, id and version from its znode, keeping leadership of partitions that remain.
    mutating func apply(_ loaded: LoadedTopic, to topic: TopicName) {
        let adding = loaded.assignment.adding
        let removing = loaded.assignment.removing
        var partitions: [PartitionID: PartitionAssignment] = [:]
        for (p, replicas) in loaded.assignment.replicas {
            partitions[p] = PartitionAssignment(
                replicas: replicas, adding: adding[p] ?? [], removing: removing[p] ?? [])
        }
        let config = topics[topic]?.config ?? loaded.config
        topics[topic] = Topic(
            topicID: loaded.assignment.topicId, partitions: partitions, zkVersion: loaded.zkVersion, config: config)
        for tp in leadership.keys where tp.topic == topic && partitions[tp.partition] == nil { leadership[tp] = nil }
        for p in partitions.keys {
            let tp = TopicPartition(topic, p)
            if partitions[p]!.isBeingReassigned {
                partitionsBeingReassigned.insert(tp)
            } else {
                partitionsBeingReassigned.remove(tp)
            }
        }
        partitionsBeingReassigned = partitionsBeingReassigned.filter {
            $0.topic != topic || partitions[$0.partition] != nil
        }
    }

    /// Forgets a topic entirely (deleted).
    mutating func removeTopic(_ topic: TopicName) {
        topics[topic] = nil
        topicsToBeDeleted.remove(topic)
        topicsWithDeletionStarted.remove(topic)
        topicsIneligibleForDeletion.remove(topic)
        leadership = leadership.filter { $0.key.topic != topic }
        partitionsBeingReassigned = partitionsBeingReassigned.filter { $0.topic != topic }
        replicaDeletionStates = replicaDeletionStates.filter { $0.key.topic != topic }
    }
}

extension ControllerContext.ZkReassignment {
    /// Parses Kafka's `/admin/reassign_partitions` JSON; nil when unreadable.
    public init?(json: [UInt8], version: Int32) {
        guard
            let request = try? ZNodeJSON.decode(
                ReassignmentRequest.self, from: json, path: ZNodePaths.reassignPartitions)
        else { return nil }
        var targets: [TopicPartition: [BrokerID]] = [:]
        for entry in request.partitions {
            targets[TopicPartition(topic: entry.topic, partition: entry.partition)] = entry.replicas.map {
                BrokerID($0)
            }
        }
        self.init(targets: targets, zkVersion: version)
    }
}
