import FjordCluster
import FjordModel

extension EventPlanner {
    /// The registered brokers changed (Kafka's `processBrokerChange`): some are new, some gone, some restarted
    /// ("bounced": same id, larger epoch).
    ///
    /// Gone and bounced brokers leave ISRs and lose leadership; new and bounced brokers get UpdateMetadata with every
    /// partition and LeaderAndIsr for all their replicas; existing brokers learn the new broker list; offline and new
    /// partitions get leaders where possible; reassignments and topic deletions waiting for these brokers resume.
    mutating func onBrokersChanged(_ current: [LiveBroker]) {
        let byID = Dictionary(current.map { ($0.id, $0) }, uniquingKeysWith: { a, b in a.epoch >= b.epoch ? a : b })
        let known = Set(context.liveBrokers.keys)
        let newIDs = Set(byID.keys).subtracting(known)
        let deadIDs = known.subtracting(byID.keys)
        let bouncedIDs = Set(
            byID.keys.filter { id in known.contains(id) && byID[id]!.epoch > context.liveBrokers[id]!.epoch })
        guard !newIDs.isEmpty || !deadIDs.isEmpty || !bouncedIDs.isEmpty else { return }
        note(
            "brokers: new=\(newIDs.sorted().map(\.rawValue)) dead=\(deadIDs.sorted().map(\.rawValue)) "
                + "bounced=\(bouncedIDs.sorted().map(\.rawValue))")

        let existing = known.subtracting(deadIDs).subtracting(bouncedIDs)
        let gone = deadIDs.union(bouncedIDs)
        let started = newIDs.union(bouncedIDs)
        for id in deadIDs { context.liveBrokers[id] = nil }
        for id in started { context.liveBrokers[id] = byID[id] }
        context.shuttingDownBrokers.subtract(gone)

        plan.batch.addLeadingUpdateMetadata(existing.sorted(), full: false)
        plan.batch.addLeadingUpdateMetadata(started.sorted(), full: true)
        reconcilePartitions(gone: gone)
        for tp in context.allPartitions
        where context.leadership[tp] != nil && !context.isTopicQueuedForDeletion(tp.topic) {
            let onStarted = context.replicas(tp).filter(started.contains)
            if !onStarted.isEmpty { plan.batch.addLeaderAndIsr(onStarted, tp, isNew: false, context: context) }
        }
        failReplicaDeletion(on: gone)
        guard !started.isEmpty else { return }
        let resumable = context.partitionsBeingReassigned.filter {
            context.assignment($0)?.targetReplicas.contains(where: started.contains) ?? false
        }
        if !resumable.isEmpty { plan.followUps.append(.resumeReassignments(resumable)) }
        let deletingHere = context.topicsToBeDeleted.filter { topic in
            context.partitions(of: topic).contains { context.replicas($0).contains(where: started.contains) }
        }
        resumeDeletion(for: deletingHere)
    }

    /// A registration changed in place (Kafka's `processBrokerModification`): tell every broker.
    mutating func onBrokerModified(_ broker: LiveBroker) {
        guard let known = context.liveBrokers[broker.id], known.epoch == broker.epoch,
            known.registration != broker.registration
        else { return }
        context.liveBrokers[broker.id] = broker
        plan.batch.addUpdateMetadata(context.liveOrShuttingDownBrokerIDs, partitions: [])
        note("broker \(broker.id) registration updated")
    }
}
