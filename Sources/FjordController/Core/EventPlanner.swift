import FjordCluster
import FjordModel

/// What one event asks for while it is being handled: znode writes, control requests, the reply, follow-ups.
///
/// Partition-state writes are keyed by partition, so several decisions about one partition in one event make one
/// write expecting the version the event started from. A topic's assignment is written once per event, at the end,
/// with the partition states attached to it (a reassignment step changes both, and they must change together).
struct EventPlan {
    struct StateWrite {
        /// The version the write expects; nil creates the znode.
        var expected: PartitionEpoch?
        var attachedTo: TopicName?
    }

    enum PendingReply {
        case ready(ControllerReply)
        case alterPartition(AlterPartitionRequest, errors: [TopicReference: [PartitionID: ControllerErrorCode]])
        case controlledShutdown(BrokerID)
        case electLeaders(ElectionType, [TopicPartition: ElectionOutcome], elected: Set<TopicPartition>)
    }

    var stateWrites: [TopicPartition: StateWrite] = [:]
    /// Topics whose assignment znode is written, with the version the write expects.
    var topicWrites: [TopicName: Int32] = [:]
    var topicTreeDeletions: [TopicName] = []
    var markerDeletions: Set<TopicName> = []
    var reassignmentNodeDirty = false
    var deletePreferredElectionNode = false
    var batch = ControlRequestBatch()
    var reply: PendingReply?
    var followUps: [ControllerEvent] = []
    var notes: [String] = []
    /// After sealing: the partitions each unit carries, to drop their control requests if the unit fails.
    var unitPartitions: [[TopicPartition]] = []
}

/// Handles one event against the context. The handlers (`EventPlanner+*.swift`) mutate `context` as if every write
/// succeeds; ``ControllerCore`` refreshes whatever a failed write touched.
struct EventPlanner {
    var context: ControllerContext
    let configuration: ControllerCore.Configuration
    var plan = EventPlan()

    init(context: ControllerContext, configuration: ControllerCore.Configuration) {
        self.context = context
        self.configuration = configuration
    }

    // MARK: Writes

    /// Records a new leadership decision for an initialized partition and writes it with compare-and-set.
    ///
    /// A decision that breaks ``LeaderAndIsr``'s invariants is never written: it can only come from malformed
    /// znodes (an empty ISR, duplicate replicas written by hand), and the controller refuses to spread them.
    mutating func setLeadership(_ tp: TopicPartition, _ state: LeaderAndIsr, attachTo topic: TopicName? = nil) {
        if let problem = state.invariantViolation() {
            note("\(tp): not writing an invalid decision (\(problem))")
            return
        }
        guard let current = context.leadership[tp] else {
            note("\(tp): no state to update")
            return
        }
        var write = plan.stateWrites[tp] ?? EventPlan.StateWrite(expected: current.partitionEpoch, attachedTo: nil)
        if let topic, write.expected != nil { write.attachedTo = topic }
        plan.stateWrites[tp] = write
        var next = state
        next.partitionEpoch = write.expected.map { $0.next() } ?? .initial
        context.leadership[tp] = next
    }

    /// Records the first state of a new partition; the write creates the znode (and its missing parents).
    mutating func createLeadership(_ tp: TopicPartition, _ state: LeaderAndIsr) {
        if let problem = state.invariantViolation() {
            note("\(tp): not writing an invalid first state (\(problem))")
            return
        }
        plan.stateWrites[tp] = EventPlan.StateWrite(expected: nil, attachedTo: nil)
        var next = state
        next.partitionEpoch = .initial
        context.leadership[tp] = next
    }

    /// Marks the topic's assignment (as the context will hold it at the end of the event) for writing.
    mutating func writeTopicAssignment(_ topic: TopicName) {
        guard let current = context.topics[topic] else { return }
        if plan.topicWrites[topic] == nil { plan.topicWrites[topic] = current.zkVersion }
    }

    mutating func deleteTopicMarker(_ topic: TopicName) { plan.markerDeletions.insert(topic) }

    mutating func writeReassignmentNode() { plan.reassignmentNodeDirty = true }

    /// Turns the recorded writes into units, in a fixed order, and updates the context's znode versions.
    mutating func seal() -> [ZNodeWrite] {
        var units: [ZNodeWrite] = []
        var attached: [TopicName: [TopicPartition]] = [:]
        for (tp, write) in plan.stateWrites { if let t = write.attachedTo { attached[t, default: []].append(tp) } }
        for topic in plan.topicWrites.keys.sorted() {
            guard let expected = plan.topicWrites[topic], var entry = context.topics[topic] else { continue }
            let tps = (attached[topic] ?? []).sorted()
            var ops = [
                ZNodeOperation(.set(data: Self.assignmentJSON(entry), version: expected), .topicAssignment(topic))
            ]
            ops += tps.compactMap { stateOperation($0) }
            entry.zkVersion = expected + 1
            context.topics[topic] = entry
            units.append(ZNodeWrite(ops))
            plan.unitPartitions.append(tps)
        }
        let attachedSet = Set(attached.values.joined())
        for tp in plan.stateWrites.keys.sorted() where !attachedSet.contains(tp) || plan.topicWrites[tp.topic] == nil {
            guard let op = stateOperation(tp) else { continue }
            let parents =
                plan.stateWrites[tp]?.expected == nil
                ? [ZNodePaths.partitions(tp.topic), ZNodePaths.partition(tp)] : []
            units.append(ZNodeWrite([op], ensureParents: parents))
            plan.unitPartitions.append([tp])
        }
        for topic in plan.topicTreeDeletions {
            units.append(
                ZNodeWrite([
                    ZNodeOperation(.deleteTree, .topicTree(topic)), ZNodeOperation(.deleteTree, .topicConfig(topic)),
                    ZNodeOperation(.deleteTree, .topicDeletionMarker(topic)),
                ]))
            plan.unitPartitions.append([])
        }
        for topic in plan.markerDeletions.sorted() where !plan.topicTreeDeletions.contains(topic) {
            units.append(ZNodeWrite([ZNodeOperation(.deleteTree, .topicDeletionMarker(topic))]))
            plan.unitPartitions.append([])
        }
        if plan.reassignmentNodeDirty, let unit = reassignmentNodeWrite() {
            units.append(unit)
            plan.unitPartitions.append([])
        }
        if plan.deletePreferredElectionNode {
            units.append(ZNodeWrite([ZNodeOperation(.deleteTree, .preferredReplicaElection)]))
            plan.unitPartitions.append([])
        }
        return units
    }

    private func stateOperation(_ tp: TopicPartition) -> ZNodeOperation? {
        guard let write = plan.stateWrites[tp], let state = context.leadership[tp] else { return nil }
        let data = ZNodeJSON.encode(state.znode)
        if let expected = write.expected {
            return ZNodeOperation(.set(data: data, version: expected.rawValue), .partitionState(tp))
        }
        return ZNodeOperation(.create(data: data), .partitionState(tp))
    }

    private mutating func reassignmentNodeWrite() -> ZNodeWrite? {
        guard let node = context.zkReassignment else { return nil }
        if node.targets.isEmpty {
            context.zkReassignment = nil
            return ZNodeWrite([ZNodeOperation(.delete(version: node.zkVersion), .reassignment)])
        }
        let entries = node.targets.keys.sorted().map {
            ReassignmentRequest.Entry(
                topic: $0.topic.rawValue, partition: $0.partition.rawValue, replicas: node.targets[$0]!.map(\.rawValue))
        }
        context.zkReassignment?.zkVersion = node.zkVersion + 1
        return ZNodeWrite([
            ZNodeOperation(
                .set(data: ZNodeJSON.encode(ReassignmentRequest(partitions: entries)), version: node.zkVersion),
                .reassignment)
        ])
    }

    static func assignmentJSON(_ topic: ControllerContext.Topic) -> [UInt8] {
        var replicas: [PartitionID: [BrokerID]] = [:]
        var adding: [PartitionID: [BrokerID]] = [:]
        var removing: [PartitionID: [BrokerID]] = [:]
        for (p, a) in topic.partitions {
            replicas[p] = a.replicas
            if !a.adding.isEmpty { adding[p] = a.adding }
            if !a.removing.isEmpty { removing[p] = a.removing }
        }
        return ZNodeJSON.encode(
            TopicAssignment(replicas: replicas, topicId: topic.topicID, adding: adding, removing: removing))
    }

    // MARK: Helpers shared by handlers

    func allowUnclean(_ topic: TopicName) -> Bool {
        context.uncleanLeaderElectionEnabled(topic, default: configuration.uncleanLeaderElectionEnable)
    }

    mutating func note(_ text: String) { plan.notes.append(text) }
}
