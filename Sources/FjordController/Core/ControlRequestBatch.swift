import FjordCluster
import FjordModel

/// The control requests one event asks for, collected per broker and turned into requests once the event's writes
/// are done (Kafka's `ControllerBrokerRequestBatch`).
///
/// Entries name partitions, not states: ``build(context:dropping:)`` reads each partition's leadership and assignment
/// from the context after the writes, so a request always carries what ZooKeeper holds. Entries for partitions
/// whose write failed are dropped. Every LeaderAndIsr entry also puts the partition in the UpdateMetadata sent to
/// every registered broker, as in Kafka.
public struct ControlRequestBatch: Sendable {
    private var leaderAndIsr: [BrokerID: [TopicPartition: Bool]] = [:]
    private var updateMetadataBrokers: Set<BrokerID> = []
    private var updateMetadataPartitions: Set<TopicPartition> = []
    private var stopReplica: [BrokerID: [TopicPartition: Bool]] = [:]
    /// Brokers that get an UpdateMetadata before anything else in this batch: `true` with every partition that
    /// has a leader (a broker that just started), `false` with none (it only learns the live brokers).
    private var leadingMetadata: [BrokerID: Bool] = [:]

    public init() {}

    public var isEmpty: Bool {
        leaderAndIsr.isEmpty && updateMetadataBrokers.isEmpty && stopReplica.isEmpty && leadingMetadata.isEmpty
    }

    /// LeaderAndIsr for `tp` to each of `brokers` (ignoring negative ids), and UpdateMetadata for `tp` to all.
    public mutating func addLeaderAndIsr(
        _ brokers: [BrokerID], _ tp: TopicPartition, isNew: Bool, context: ControllerContext
    ) {
        for broker in brokers where broker.rawValue >= 0 {
            let already = leaderAndIsr[broker]?[tp] ?? false
            leaderAndIsr[broker, default: [:]][tp] = already || isNew
        }
        addUpdateMetadata(context.liveOrShuttingDownBrokerIDs, partitions: [tp])
    }

    /// UpdateMetadata with `partitions` to each of `brokers` (an empty partition list still tells the brokers the
    /// current set of live brokers).
    public mutating func addUpdateMetadata(_ brokers: [BrokerID], partitions: some Sequence<TopicPartition>) {
        updateMetadataBrokers.formUnion(brokers.filter { $0.rawValue >= 0 })
        updateMetadataPartitions.formUnion(partitions)
    }

    /// An UpdateMetadata sent before this batch's LeaderAndIsr, as Kafka sends one on failover (brokers must know
    /// the live brokers before they follow anyone) and to brokers that just started (`full`: with every partition
    /// that has a leader).
    public mutating func addLeadingUpdateMetadata(_ brokers: [BrokerID], full: Bool) {
        for broker in brokers where broker.rawValue >= 0 {
            leadingMetadata[broker] = (leadingMetadata[broker] ?? false) || full
        }
    }

    /// StopReplica for `tp` to each of `brokers`; `delete` also deletes the replica's log. Merging keeps delete.
    public mutating func addStopReplica(_ brokers: [BrokerID], _ tp: TopicPartition, delete: Bool) {
        for broker in brokers where broker.rawValue >= 0 {
            let already = stopReplica[broker]?[tp] ?? false
            stopReplica[broker, default: [:]][tp] = already || delete
        }
    }

    /// The requests per broker, for registered brokers only, each carrying the broker's current epoch.
    public func build(context: ControllerContext, dropping dropped: Set<TopicPartition> = []) -> [BrokerControlRequests]
    {
        let liveBrokers = context.liveOrShuttingDownBrokerIDs.compactMap { context.liveBrokers[$0] }
        var result: [BrokerControlRequests] = []
        // Partition states shared by every broker's UpdateMetadata, computed once.
        let changedStates = updateMetadataPartitions.subtracting(dropped).sorted().compactMap {
            Self.metadataState($0, context)
        }
        let changedIDs = Self.topicIDs(changedStates.map(\.topicPartition), context)
        let fullStates: [UpdateMetadataPartitionState] =
            leadingMetadata.values.contains(true)
            ? context.leadership.keys.sorted().compactMap { Self.metadataState($0, context) } : []
        let fullIDs = Self.topicIDs(fullStates.map(\.topicPartition), context)
        let brokers = Set(leaderAndIsr.keys).union(updateMetadataBrokers).union(stopReplica.keys).union(
            leadingMetadata.keys)
        for broker in brokers.sorted() {
            guard let registered = context.liveBrokers[broker] else { continue }
            let header = ControlRequestHeader(
                controllerID: context.controllerID, controllerEpoch: context.epoch, brokerEpoch: registered.epoch)
            var requests: [ControlRequest] = []
            if let full = leadingMetadata[broker] {
                requests.append(
                    .updateMetadata(
                        header, partitions: full ? fullStates : [], topicIDs: full ? fullIDs : [:],
                        liveBrokers: liveBrokers
                    ))
            }
            if let entries = leaderAndIsr[broker] {
                let partitions = entries.keys.sorted().filter { !dropped.contains($0) }.compactMap {
                    tp -> LeaderAndIsrPartitionState? in
                    guard let state = context.leadership[tp], let assignment = context.assignment(tp) else {
                        return nil
                    }
                    return LeaderAndIsrPartitionState(
                        topicPartition: tp, state: state, assignment: assignment, isNew: entries[tp] ?? false)
                }
                if !partitions.isEmpty {
                    let leaderIDs = Set(partitions.map(\.state.leader))
                    requests.append(
                        .leaderAndIsr(
                            header, partitions: partitions,
                            topicIDs: Self.topicIDs(partitions.map(\.topicPartition), context),
                            liveLeaders: liveBrokers.filter { leaderIDs.contains($0.id) }))
                }
            }
            if updateMetadataBrokers.contains(broker) && (leadingMetadata[broker] == nil || !changedStates.isEmpty) {
                requests.append(
                    .updateMetadata(header, partitions: changedStates, topicIDs: changedIDs, liveBrokers: liveBrokers))
            }
            if let entries = stopReplica[broker] {
                let partitions = entries.keys.sorted().map {
                    StopReplicaPartitionState(
                        topicPartition: $0, leaderEpoch: context.stopReplicaLeaderEpoch($0),
                        deletePartition: entries[$0] ?? false)
                }
                if !partitions.isEmpty { requests.append(.stopReplica(header, partitions: partitions)) }
            }
            if !requests.isEmpty { result.append(BrokerControlRequests(broker: broker, requests: requests)) }
        }
        return result
    }

    private static func topicIDs(_ tps: [TopicPartition], _ context: ControllerContext) -> [TopicName: String] {
        var ids: [TopicName: String] = [:]
        for tp in tps { if let id = context.topics[tp.topic]?.topicID { ids[tp.topic] = id } }
        return ids
    }

    private static func metadataState(_ tp: TopicPartition, _ context: ControllerContext)
        -> UpdateMetadataPartitionState?
    {
        guard let state = context.leadership[tp] else { return nil }
        let replicas = context.replicas(tp)
        let offline = replicas.filter { !context.isLive($0) }
        if context.isTopicQueuedForDeletion(tp.topic) {
            // Kafka's LeaderAndIsr.duringDelete: leader -2, initial epochs, so brokers stop serving the partition.
            return UpdateMetadataPartitionState(
                topicPartition: tp, controllerEpoch: state.controllerEpoch, leader: LeaderAndIsr.leaderDuringDelete,
                leaderEpoch: LeaderEpoch(0), isr: state.isr, partitionEpoch: .initial, replicas: replicas,
                offlineReplicas: offline)
        }
        return UpdateMetadataPartitionState(
            topicPartition: tp, controllerEpoch: state.controllerEpoch, leader: state.leader,
            leaderEpoch: state.leaderEpoch, isr: state.isr, partitionEpoch: state.partitionEpoch, replicas: replicas,
            offlineReplicas: offline)
    }
}
