import FjordCluster
import FjordModel
import Logging
import ZooKeeper

extension ControllerLoop {
    /// Handles one event from the queue. ZooKeeper reads that fail (a connection loss) put the event back after a
    /// short pause; if the session is really gone, the session monitor's notice comes first.
    func handle(_ event: ShellEvent) async {
        guard let zk else { return }
        let reader = ClusterReader(zk: zk, logger: logger)
        do {
            switch event {
            case .controllerChanged:
                try await onControllerChanged(zk)
            case .request(let controllerEvent, let reply):
                let actions = await process(controllerEvent)
                reply(actions.reply ?? answer(controllerEvent))
            case .core(let controllerEvent):
                if core.isActive { await process(controllerEvent) }
            case .brokersChanged:
                guard core.isActive else { return }
                await process(.brokersChanged(try await reader.brokers()))
            case .topicsChanged:
                guard core.isActive, let known = core.context?.topics.keys else { return }
                let all = try await reader.topicNames()
                let new = await reader.topics(all.subtracting(known))
                await process(.topicsChanged(all: all, new: new))
            case .topicModified(let topic):
                guard core.isActive else { return }
                await process(.topicModified(topic, await reader.topic(topic)))
            case .topicDeletionsChanged:
                guard core.isActive else { return }
                await process(.topicDeletionRequested(try await reader.topicsToDelete()))
            case .reassignmentCreated:
                guard core.isActive, let node = await reader.reassignment(), node != core.context?.zkReassignment else {
                    return
                }
                await process(.zkReassignmentRequested(node))
            case .preferredElectionCreated:
                guard core.isActive, let partitions = await reader.preferredReplicaElection() else { return }
                await process(.preferredReplicaElectionRequested(partitions))
            case .sessionLost, .shutdown:
                return
            }
        } catch {
            logger.warning("event failed; will retry", metadata: ["event": "\(event.name)", "error": "\(error)"])
            let queue = self.queue
            Task {
                try? await Task.sleep(for: .milliseconds(200))
                queue.put(event)
            }
        }
    }

    /// Drives the core through one event and its follow-ups; returns the event's own actions (with its reply).
    @discardableResult
    func process(_ event: ControllerEvent) async -> ControllerActions {
        var pending = [event]
        var first: ControllerActions?
        while !pending.isEmpty {
            let next = pending.removeFirst()
            let clock = ContinuousClock()
            let started = clock.now
            let units = core.handle(next)
            var results = ZNodeWriteResults.allApplied
            if let zk, let context = core.context, !units.isEmpty {
                results = await ZNodeWriter(zk: zk, epochZkVersion: context.epochZkVersion, logger: logger).perform(
                    units)
            }
            let actions = core.finish(results)
            let elapsed = clock.now - started
            let key = String(next.name.prefix { $0 != "(" })
            recordMetrics(next, key: key, units: units, elapsed: elapsed)
            status.update {
                $0.eventsHandled += 1
                $0.lastEvents[key] = EventTiming(milliseconds: elapsed.milliseconds, writeUnits: units.count)
            }
            log(next, units: units.count, actions: actions, elapsed: elapsed)
            if first == nil { first = actions }
            if actions.resign {
                await resign(deleteControllerNode: true)
                queue.put(.controllerChanged)
                break
            }
            if let context = core.context {
                await channels.sync(context.liveBrokers)
                await channels.send(actions.requests)
                await watches?.syncTopics(context.topics.keys)
            }
            pending.insert(contentsOf: actions.followUps, at: 0)
        }
        if let context = core.context { metrics.recordClusterState(context) }
        return first ?? ControllerActions()
    }

    /// The event's duration and the leader elections its writes made.
    private func recordMetrics(_ event: ControllerEvent, key: String, units: [ZNodeWrite], elapsed: Duration) {
        metrics.controller.recordEvent(key, seconds: elapsed.milliseconds / 1000)
        guard let context = core.context, !units.isEmpty else { return }
        for (kind, count) in elections.elections(after: event, units: units, context: context) {
            metrics.controller.recordLeaderElections(kind, count: count)
        }
    }

    private func log(_ event: ControllerEvent, units: Int, actions: ControllerActions, elapsed: Duration) {
        var metadata: Logger.Metadata = [
            "event": "\(event.name)", "writes": "\(units)",
            "requests": "\(actions.requests.reduce(0) { $0 + $1.requests.count })",
            "ms": "\(String(format: "%.1f", elapsed.milliseconds))",
        ]
        if let epoch = core.context?.epoch { metadata["epoch"] = "\(epoch)" }
        if !actions.notes.isEmpty {
            let joined = actions.notes.prefix(5).joined(separator: "; ")
            metadata["notes"] = "\(actions.notes.count > 5 ? joined + "; …" : joined)"
        }
        if actions.resign { metadata["resign"] = "true" }
        logger.info("controller event", metadata: metadata)
    }

    /// `/controller` changed or this controller must (re)check: resign if it is no longer ours, elect if empty.
    private func onControllerChanged(_ zk: ZooKeeperClient) async throws {
        let election = ControllerElection(
            zk: zk, controllerID: settings.controllerID, endpoint: advertised, logger: logger)
        if core.isActive {
            if try await election.ownsControllerNode() { return }
            logger.warning("/controller is no longer this controller's; resigning")
            await resign(deleteControllerNode: false)
        } else if try await election.ownsControllerNode() {
            // Our own node without being active (a takeover that failed half-way): remove it and elect afresh.
            logger.warning("removing this session's stale /controller before electing")
            try await zk.delete(ZNodePaths.controller)
        }
        switch try await election.run() {
        case .won(let epoch, let version):
            do {
                try await becomeActive(zk, epoch: epoch, epochZkVersion: version)
            } catch {
                logger.error("taking over failed; resigning", metadata: ["error": "\(error)"])
                await resign(deleteControllerNode: true)
                throw error
            }
        case .lost(let active):
            status.update { $0.activeControllerID = active }
            logger.info("standing by", metadata: ["active_controller": "\(active.map(String.init) ?? "none")"])
            if active == nil { queue.put(.controllerChanged) }
        }
    }

    private func becomeActive(_ zk: ZooKeeperClient, epoch: ControllerEpoch, epochZkVersion: Int32) async throws {
        logger.info("elected controller", metadata: ["epoch": "\(epoch)", "epoch_zk_version": "\(epochZkVersion)"])
        status.update {
            $0.isActive = true
            $0.epoch = epoch
            $0.epochZkVersion = epochZkVersion
            $0.activeControllerID = settings.controllerID
            $0.activations += 1
        }
        try await ensureClusterID(zk)
        let clock = ContinuousClock()
        let started = clock.now
        try await watches?.armActive()
        let reader = ClusterReader(zk: zk, logger: logger)
        let snapshot = try await reader.snapshot(epoch: epoch, epochZkVersion: epochZkVersion)
        await watches?.syncTopics(snapshot.topics.keys)
        elections.reset(snapshot.partitionStates)
        metrics.controller.becameActive(epoch: epoch.rawValue)
        let loaded = clock.now
        await process(.becameActive(snapshot))
        let done = clock.now
        let timing = FailoverTiming(
            partitions: snapshot.topics.values.reduce(0) { $0 + $1.assignment.partitions.count },
            brokers: snapshot.brokers.count, loadMs: (loaded - started).milliseconds,
            stateReadMs: reader.lastStateReadMs.value, actMs: (done - loaded).milliseconds)
        status.update { $0.lastFailover = timing }
        logger.info(
            "failover complete",
            metadata: [
                "partitions": "\(timing.partitions)", "brokers": "\(timing.brokers)",
                "load_ms": "\(String(format: "%.1f", timing.loadMs))",
                "state_read_ms": "\(String(format: "%.1f", timing.stateReadMs))",
                "act_ms": "\(String(format: "%.1f", timing.actMs))",
            ])
        startRebalanceTimer()
    }

    /// Stops acting: forgets the cluster, drops watches, channels and timers. With `deleteControllerNode`, removes
    /// `/controller` if it is still this session's, so the next election can happen (Kafka's `triggerControllerMove`).
    func resign(deleteControllerNode: Bool) async {
        let wasActive = core.isActive
        status.update {
            $0.isActive = false
            $0.epoch = nil
            $0.epochZkVersion = nil
        }
        _ = core.handle(.resigned)
        _ = core.finish(.allApplied)
        elections.clear()
        metrics.controller.resigned()
        rebalanceTask?.cancel()
        rebalanceTask = nil
        watches?.disarmActive()
        await channels.stopAll()
        if deleteControllerNode, let zk {
            let election = ControllerElection(
                zk: zk, controllerID: settings.controllerID, endpoint: advertised, logger: logger)
            if (try? await election.ownsControllerNode()) == true { try? await zk.delete(ZNodePaths.controller) }
        }
        if wasActive { logger.warning("resigned as controller") }
    }

    private func ensureClusterID(_ zk: ZooKeeperClient) async throws {
        guard try await zk.exists(ZNodePaths.clusterId) == nil else { return }
        do {
            try await zk.create(ZNodePaths.clusterId, data: ZNodeJSON.encode(ClusterIDNode(id: TopicID.random())))
        } catch let error as ZooKeeperError where error.code == .nodeExists {}
    }

    /// Kafka's auto leader rebalance: first check 5 s after taking over, then every interval.
    private func startRebalanceTimer() {
        guard settings.autoLeaderRebalanceEnable else { return }
        let queue = self.queue
        let interval = Duration.seconds(settings.leaderImbalanceCheckIntervalSeconds)
        rebalanceTask = Task {
            var delay = min(Duration.seconds(5), interval)
            while !Task.isCancelled {
                try? await Task.sleep(for: delay)
                if Task.isCancelled { return }
                queue.put(.core(.autoLeaderRebalance))
                delay = interval
            }
        }
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

extension ShellEvent {
    var name: String {
        switch self {
        case .sessionLost: "session-lost"
        case .controllerChanged: "controller-changed"
        case .brokersChanged: "brokers-changed"
        case .topicsChanged: "topics-changed"
        case .topicModified(let t): "topic-modified(\(t))"
        case .topicDeletionsChanged: "topic-deletions-changed"
        case .reassignmentCreated: "reassignment-created"
        case .preferredElectionCreated: "preferred-election-created"
        case .request(let e, _): e.name
        case .core(let e): e.name
        case .shutdown: "shutdown"
        }
    }
}

extension ControllerEvent {
    /// A short name for logs (no payloads).
    public var name: String {
        switch self {
        case .becameActive: "BecameActive"
        case .resigned: "Resigned"
        case .brokersChanged: "BrokerChange"
        case .brokerModified: "BrokerModification"
        case .topicsChanged: "TopicChange"
        case .topicModified(let t, _): "PartitionModifications(\(t))"
        case .topicDeletionRequested: "TopicDeletion"
        case .zkReassignmentRequested: "ZkPartitionReassignment"
        case .preferredReplicaElectionRequested: "PreferredReplicaElection"
        case .alterPartition(let r): "AlterPartition(broker=\(r.brokerID))"
        case .controlledShutdown(let b, _): "ControlledShutdown(broker=\(b))"
        case .alterPartitionReassignments: "AlterPartitionReassignments"
        case .listPartitionReassignments: "ListPartitionReassignments"
        case .electLeaders(let type, _): "ElectLeaders(\(type))"
        case .autoLeaderRebalance: "AutoLeaderRebalance"
        case .stopReplicaResponse(let b, _, _): "StopReplicaResponse(broker=\(b))"
        case .reconcile(let n): "Reconcile(\(n))"
        case .resumeReassignments: "ResumeReassignments"
        case .maybeCompleteReassignments: "MaybeCompleteReassignments"
        case .resumeTopicDeletion: "ResumeTopicDeletion"
        }
    }
}
