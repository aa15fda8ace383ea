import FjordModel
import FjordNetwork
import FjordReplication
import FjordStorage
import Foundation
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Routes Fjord's replica fetch API key to the ReplicaManager, as the broker's inter-broker listener does.
struct ReplicationProcessor: KafkaRequestProcessor {
    let manager: ReplicaManager

    func mayPipeline(apiKey: Int16) -> Bool { true }

    func process(_ request: RequestFrame, connection: ConnectionInfo) -> EventLoopFuture<FjordNetwork.KafkaResponse?> {
        guard request.apiKey == ReplicaFetchProtocol.apiKey else {
            return connection.eventLoop.makeFailedFuture(TimedOut(what: "unexpected api key \(request.apiKey)"))
        }
        return manager.handleReplicaFetch(request, eventLoop: connection.eventLoop)
    }
}

/// One in-process broker: its log directory, LogManager, ReplicaManager and inter-broker listener.
final class TestBroker: Sendable {
    let id: BrokerID
    let directory: String
    let logManager: LogManager
    let manager: ReplicaManager
    let server: KafkaServer
    /// What the broker's `isFenced` closure answers (its ZooKeeper session is assumed lost when true).
    let fenced: Flag

    init(
        id: BrokerID, directory: String, logManager: LogManager, manager: ReplicaManager, server: KafkaServer,
        fenced: Flag
    ) {
        self.fenced = fenced
        self.id = id
        self.directory = directory
        self.logManager = logManager
        self.manager = manager
        self.server = server
    }

    func log(_ tp: TopicPartition) -> PartitionLog? { logManager.log(for: tp) }
    func snapshot(_ tp: TopicPartition) -> PartitionSnapshot? { manager.partitionSnapshot(tp) }

    /// All bytes of the log up to `end` (default: the log end offset).
    func bytes(_ tp: TopicPartition, upTo end: Offset? = nil) throws -> ByteBuffer {
        guard let log = log(tp) else { return ByteBuffer() }
        var all = ByteBuffer()
        var offset = log.logStartOffset
        while true {
            let result = try log.read(from: offset, maxBytes: 1 << 20, maxOffset: end)
            guard !result.isEmpty else { break }
            var chunk = try result.readBytes()
            var index = chunk.readerIndex
            var last = offset
            while index < chunk.writerIndex, let header = try? RecordBatchHeader.peek(chunk, at: index) {
                last = header.nextOffset
                index += header.totalSize
            }
            all.writeBuffer(&chunk)
            offset = last
        }
        return all
    }
}

/// Two or three brokers in one process on temporary directories, connected over real TCP on 127.0.0.1, a fake
/// controller applying AlterPartition, and a fake endpoint resolver. Brokers start and stop from the test's task;
/// produce may run from concurrent tasks.
final class ReplicationCluster: Sendable {
    let endpoints = FakeEndpoints()
    let controller: FakeController
    let group = MultiThreadedEventLoopGroup.singleton
    let root = TemporaryDirectory()
    let configure: @Sendable (inout ReplicaManagerConfig) -> Void
    let minIsr = LockedValue<[TopicName: Int]>([:])
    private let brokersByID = Mutex<[BrokerID: TestBroker]>([:])
    private let nextBrokerEpoch = Mutex<Int64>(100)
    let logger: Logger = {
        var logger = Logger(label: "test.replication")
        logger.logLevel =
            ProcessInfo.processInfo.environment["FJORD_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        return logger
    }()

    init(configure: @escaping @Sendable (inout ReplicaManagerConfig) -> Void = { _ in }) {
        self.controller = FakeController(endpoints: endpoints)
        self.configure = configure
    }

    static func start(
        _ ids: [Int32], configure: @escaping @Sendable (inout ReplicaManagerConfig) -> Void = { _ in }
    ) async throws -> ReplicationCluster {
        let cluster = ReplicationCluster(configure: configure)
        for id in ids { try await cluster.startBroker(BrokerID(id)) }
        return cluster
    }

    subscript(id: Int32) -> TestBroker { brokersByID.withLock { $0[BrokerID(id)]! } }

    var brokers: [BrokerID: TestBroker] { brokersByID.withLock { $0 } }

    /// Runs `body` on a cluster of brokers `ids`, shutting it down afterwards, also when `body` throws.
    static func with(
        _ ids: [Int32], configure: @escaping @Sendable (inout ReplicaManagerConfig) -> Void = { _ in },
        _ body: (ReplicationCluster) async throws -> Void
    ) async throws {
        let cluster = try await start(ids, configure: configure)
        do {
            try await body(cluster)
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }

    /// Starts (or restarts, on the same directory, with a new broker epoch) broker `id`.
    @discardableResult
    func startBroker(_ id: BrokerID) async throws -> TestBroker {
        let directory = "\(root.path)/broker-\(id)"
        let logManager = try LogManager(directory: directory, logger: logger)
        let epoch = BrokerEpoch(
            nextBrokerEpoch.withLock {
                $0 += 1; return $0
            })
        var config = ReplicaManagerConfig(brokerID: id)
        config.replicaLagTimeMaxMs = 600
        config.isrCheckIntervalMs = 50
        config.replicaFetchWaitMaxMs = 100
        config.replicaFetchBackoffMs = 50
        config.replicaSocketTimeoutMs = 2_000
        config.alterPartitionRetryBackoffMs = 20
        config.highWatermarkCheckpointIntervalMs = 500
        configure(&config)
        let fenced = Flag()
        let minIsr = self.minIsr
        let manager = ReplicaManager(
            config: config, logManager: logManager, eventLoopGroup: group, controller: controller,
            endpoints: endpoints, brokerEpoch: { epoch }, topicConfig: { _ in LogConfig() },
            minInsyncReplicas: { topic in minIsr.withLock { $0[topic] ?? 1 } }, isFenced: { fenced.isSet },
            logger: logger)
        let server = try await KafkaServer.start(
            listeners: [(name: "INTERNAL", host: "127.0.0.1", port: 0)], group: group,
            configuration: .init(idleTimeoutMs: 0), processor: ReplicationProcessor(manager: manager), logger: logger)
        manager.start()
        let broker = TestBroker(
            id: id, directory: directory, logManager: logManager, manager: manager, server: server, fenced: fenced)
        endpoints.set(id, port: server.listeners[0].port, epoch: epoch)
        brokersByID.withLock { $0[id] = broker }
        return broker
    }

    /// Stops broker `id` (its registration stays live, as during a ZooKeeper session timeout).
    func stopBroker(_ id: BrokerID) async throws {
        guard let broker = brokersByID.withLock({ $0.removeValue(forKey: id) }) else { return }
        await broker.server.stopAccepting()
        await broker.manager.shutdown()
        try broker.logManager.close()
    }

    /// Creates a partition led by `replicas[0]` and tells `to` (default: every replica) about it.
    @discardableResult
    func createPartition(
        _ tp: TopicPartition, replicas: [Int32], isr: [Int32]? = nil, to recipients: [Int32]? = nil
    ) -> FakeController.PartitionState {
        let state = controller.elect(
            tp, leader: BrokerID(replicas[0]), isr: (isr ?? replicas).map { BrokerID($0) },
            replicas: replicas.map { BrokerID($0) })
        send(tp, state, to: recipients ?? replicas)
        return state
    }

    /// Elects a new leader (new leader epoch) and tells `to` (default: every replica).
    @discardableResult
    func elect(_ tp: TopicPartition, leader: Int32, isr: [Int32]? = nil, to recipients: [Int32]? = nil)
        -> FakeController.PartitionState
    {
        let state = controller.elect(tp, leader: BrokerID(leader), isr: isr.map { $0.map { BrokerID($0) } })
        send(tp, state, to: recipients ?? state.replicas.map(\.rawValue))
        return state
    }

    /// Sends the controller's current state of `tp` to brokers `to` as LeaderAndIsr.
    func send(_ tp: TopicPartition, _ state: FakeController.PartitionState? = nil, to recipients: [Int32]) {
        let state = state ?? controller[tp]!
        for id in recipients {
            guard let broker = brokers[BrokerID(id)] else { continue }
            let response = broker.manager.becomeLeaderOrFollower(FakeController.leaderAndIsr(tp, state), version: 6)
            precondition(
                response.topics.allSatisfy { $0.partitionErrors.allSatisfy { $0.errorCode == 0 } },
                "LeaderAndIsr to broker \(id) failed: \(response)")
        }
    }

    func produce(
        _ tp: TopicPartition, to id: Int32, acks: Int16 = -1, timeoutMs: Int32 = 10_000, _ records: ByteBuffer
    ) async throws -> PartitionAppendResult {
        let broker = self[id]
        let results = try await broker.manager.appendRecords(
            acks: acks, timeoutMs: timeoutMs, entries: [(tp, records)], eventLoop: group.next()
        ).get()
        return results[tp]!
    }

    func shutdown() async throws {
        for id in brokers.keys.sorted() { try await stopBroker(id) }
    }
}

final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
