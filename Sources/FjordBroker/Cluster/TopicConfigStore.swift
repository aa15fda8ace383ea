import FjordCluster
import FjordModel
import FjordStorage
import Logging
import Synchronization
import ZooKeeper

/// Per-topic configuration overrides as they are in `/config/topics/<t>`, kept current by ZooKeeper watches, and the
/// effective ``LogConfig`` they give with the broker's defaults.
///
/// Every topic's config node is watched (plus the children of `/config/topics`), so a change written by any broker
/// or tool reaches every broker; `onChange` then applies it to the topic's open logs. A LeaderAndIsr request for a
/// topic whose overrides are not loaded yet first loads them (``ensureLoaded(_:)``), so a new partition's log is
/// created with its topic's settings even when the watch has not fired yet.
///
/// Thread-safety: overrides behind a `Mutex`.
public final class TopicConfigStore: Sendable {
    private let overrides = Mutex<[TopicName: [String: String]]>([:])
    private let defaults: BrokerConfig
    private let session: BrokerSession
    private let logger: Logger
    private let onChange: @Sendable (TopicName, LogConfig) -> Void

    public init(
        defaults: BrokerConfig, session: BrokerSession, logger: Logger,
        onChange: @escaping @Sendable (TopicName, LogConfig) -> Void = { _, _ in }
    ) {
        self.defaults = defaults
        self.session = session
        self.logger = logger
        self.onChange = onChange
    }

    /// The topic's overrides (empty when it has none or they are not loaded).
    public func overrides(for topic: TopicName) -> [String: String] {
        overrides.withLock { $0[topic] ?? [:] }
    }

    public func isLoaded(_ topic: TopicName) -> Bool { overrides.withLock { $0[topic] != nil } }

    /// The topic's effective log settings.
    public func logConfig(for topic: TopicName) -> LogConfig {
        TopicConfig.logConfig(overrides: overrides(for: topic), defaults: defaults)
    }

    /// The topic's effective `min.insync.replicas`.
    public func minInsyncReplicas(for topic: TopicName) -> Int {
        TopicConfig.minInsyncReplicas(overrides: overrides(for: topic), defaults: defaults)
    }

    /// Records overrides read or written by this broker.
    public func set(_ topic: TopicName, overrides new: [String: String]?) {
        let changed = overrides.withLock { map -> Bool in
            let old = map[topic]
            map[topic] = new
            return old != new
        }
        if changed, let new { onChange(topic, TopicConfig.logConfig(overrides: new, defaults: defaults)) }
    }

    /// Loads the overrides of topics not loaded yet, in one pipelined read.
    public func ensureLoaded(_ topics: [TopicName]) async {
        let missing = Array(Set(topics.filter { !isLoaded($0) }))
        guard !missing.isEmpty, let zk = try? session.current() else { return }
        let results = await zk.getMany(missing.map { ZNodePaths.topicConfig($0) })
        for (topic, result) in zip(missing, results) {
            switch result {
            case .success(let node): set(topic, overrides: decode(node.data, topic))
            case .failure(let error) where error.code == .noNode: set(topic, overrides: [:])
            case .failure(let error):
                logger.warning("could not read topic config", metadata: ["topic": "\(topic)", "error": "\(error)"])
            }
        }
    }

    private func decode(_ data: [UInt8], _ topic: TopicName) -> [String: String] {
        guard !data.isEmpty else { return [:] }
        do {
            return try ZNodeJSON.decode(TopicConfigNode.self, from: data, path: ZNodePaths.topicConfig(topic)).config
        } catch {
            logger.warning(
                "unreadable topic config; using defaults", metadata: ["topic": "\(topic)", "error": "\(error)"])
            return [:]
        }
    }

    // MARK: Watching

    /// Watches `/config/topics` and every topic config node until cancelled.
    public func run() async {
        await SessionWatchLoop.run("topic-configs", session: session, logger: logger) { [self] zk in
            try await watchAll(zk)
        }
    }

    private func watchAll(_ zk: ZooKeeperClient) async throws {
        try await zk.ensurePath(ZNodePaths.topicConfigs)
        let (childWatch, initial, _) = try await zk.watchChildren(ZNodePaths.topicConfigs)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var watched: [TopicName: NodeWatch] = [:]
            func sync(_ children: [String]) async throws {
                let now = Set(children.map { TopicName($0) })
                for (topic, watch) in watched where !now.contains(topic) {
                    watch.cancel()
                    watched[topic] = nil
                    set(topic, overrides: nil)
                }
                for topic in now where watched[topic] == nil {
                    let (watch, _) = try await zk.watchNode(ZNodePaths.topicConfig(topic))
                    watched[topic] = watch
                    try await load(zk, topic)
                    group.addTask { [self] in
                        for try await event in watch where event.kind != .nodeDeleted {
                            try await load(zk, topic)
                        }
                    }
                }
            }
            try await sync(initial)
            for try await _ in childWatch {
                try await sync(try await zk.children(ZNodePaths.topicConfigs))
            }
            for watch in watched.values { watch.cancel() }
            group.cancelAll()
        }
    }

    private func load(_ zk: ZooKeeperClient, _ topic: TopicName) async throws {
        do {
            let node = try await zk.get(ZNodePaths.topicConfig(topic))
            set(topic, overrides: decode(node.data, topic))
        } catch let error as ZooKeeperError where error.code == .noNode {
            set(topic, overrides: nil)
        }
    }
}
