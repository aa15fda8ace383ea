import FjordCluster
import FjordModel
import Logging
import ZooKeeper

/// The ZooKeeper watches of one session, each turned into ``ShellEvent``s on the queue.
///
/// `/controller` is watched for the whole session (a standby re-runs the election when it disappears); the rest only
/// while active: broker registrations, the topic list, each topic's assignment (partition additions), topic
/// deletions, and the creation of `/admin/reassign_partitions` and `/admin/preferred_replica_election`. Watches are
/// armed before the state they guard is read, so nothing between the read and the watch is missed.
final class ControllerWatches {
    private struct Armed {
        var watch: NodeWatch
        var task: Task<Void, Never>
    }

    private let zk: ZooKeeperClient
    private let queue: ControllerEventQueue
    private let logger: Logger
    private var controllerWatch: Armed?
    private var activeWatches: [String: Armed] = [:]
    private var topicWatches: [TopicName: Armed] = [:]

    init(zk: ZooKeeperClient, queue: ControllerEventQueue, logger: Logger) {
        self.zk = zk
        self.queue = queue
        self.logger = logger
    }

    func watchController() async throws {
        let (watch, _) = try await zk.watchNode(ZNodePaths.controller)
        controllerWatch = Armed(watch: watch, task: forward(watch) { _ in .controllerChanged })
    }

    /// Arms the watches of an active controller (not the per-topic ones).
    func armActive() async throws {
        let zk = self.zk
        async let brokers = zk.watchChildren(ZNodePaths.brokerIds)
        async let topics = zk.watchChildren(ZNodePaths.brokerTopics)
        async let deletions = zk.watchChildren(ZNodePaths.deleteTopics)
        async let reassign = zk.watchNode(ZNodePaths.reassignPartitions)
        async let preferred = zk.watchNode(ZNodePaths.preferredReplicaElection)
        let b = try await brokers.watch
        activeWatches[ZNodePaths.brokerIds] = Armed(watch: b, task: forward(b) { _ in .brokersChanged })
        let t = try await topics.watch
        activeWatches[ZNodePaths.brokerTopics] = Armed(watch: t, task: forward(t) { _ in .topicsChanged })
        let d = try await deletions.watch
        activeWatches[ZNodePaths.deleteTopics] = Armed(watch: d, task: forward(d) { _ in .topicDeletionsChanged })
        let r = try await reassign.watch
        activeWatches[ZNodePaths.reassignPartitions] = Armed(
            watch: r, task: forward(r) { $0 == .nodeCreated || $0 == .watchRestored ? .reassignmentCreated : nil })
        let p = try await preferred.watch
        activeWatches[ZNodePaths.preferredReplicaElection] = Armed(
            watch: p, task: forward(p) { $0 == .nodeCreated || $0 == .watchRestored ? .preferredElectionCreated : nil })
    }

    /// Watches each topic's assignment znode; stops watching topics no longer in `topics`. Arms new watches in one
    /// pipelined burst.
    func syncTopics(_ topics: some Collection<TopicName>) async {
        let wanted = Set(topics)
        for (topic, armed) in topicWatches where !wanted.contains(topic) {
            armed.watch.cancel()
            armed.task.cancel()
            topicWatches[topic] = nil
        }
        let missing = wanted.filter { topicWatches[$0] == nil }
        guard !missing.isEmpty else { return }
        let zk = self.zk
        let armed = await withTaskGroup(of: (TopicName, NodeWatch?).self) { group in
            for topic in missing {
                group.addTask { (topic, try? await zk.watchNode(ZNodePaths.topic(topic)).watch) }
            }
            var result: [(TopicName, NodeWatch)] = []
            for await (topic, watch) in group { if let watch { result.append((topic, watch)) } }
            return result
        }
        for (topic, watch) in armed {
            topicWatches[topic] = Armed(
                watch: watch,
                task: forward(watch) { $0 == .nodeDataChanged || $0 == .watchRestored ? .topicModified(topic) : nil })
        }
    }

    /// Stops every watch of the active controller (keeps `/controller`'s).
    func disarmActive() {
        for armed in activeWatches.values { stop(armed) }
        for armed in topicWatches.values { stop(armed) }
        activeWatches.removeAll()
        topicWatches.removeAll()
    }

    func disarmAll() {
        disarmActive()
        if let controllerWatch { stop(controllerWatch) }
        controllerWatch = nil
    }

    var topicWatchCount: Int { topicWatches.count }

    private func stop(_ armed: Armed) {
        armed.watch.cancel()
        armed.task.cancel()
    }

    private func forward(_ watch: NodeWatch, _ map: @escaping @Sendable (WatchEvent.Kind) -> ShellEvent?) -> Task<
        Void, Never
    > {
        let queue = self.queue
        let logger = self.logger
        return Task {
            do {
                for try await event in watch {
                    if let shellEvent = map(event.kind) { queue.put(shellEvent) }
                }
            } catch {
                logger.debug("watch ended", metadata: ["path": "\(watch.path)", "error": "\(error)"])
            }
        }
    }
}
