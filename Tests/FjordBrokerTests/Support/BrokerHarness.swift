import FjordBroker
import FjordCluster
import FjordCoordinator
import FjordModel
import FjordNetwork
import FjordStorage
import FjordTestSupport
import Foundation
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore
import NIOPosix
import ZooKeeper

/// A broker's request processor behind a real server on loopback ports, without ZooKeeper or a controller: tests
/// feed the metadata cache directly (or through UpdateMetadata on the inter-broker listener) and talk to it with
/// a client connection, so every request goes through framing, parsing, version checks and encoding.
final class BrokerHarness: Sendable {
    let config: BrokerConfig
    let context: BrokerContext
    let server: KafkaServer
    let group: MultiThreadedEventLoopGroup
    let pool: NIOThreadPool
    let directory: String

    static func start(_ overrides: [String: String] = [:]) async throws -> BrokerHarness {
        let directory = try makeTemporaryDirectory(prefix: "fjord-broker-test")
        var settings = [
            "broker.id": "1", "zookeeper.connect": "127.0.0.1:1/fjord",
            "listeners": "EXTERNAL://127.0.0.1:0,INTERNAL://127.0.0.1:0",
            "advertised.listeners": "EXTERNAL://localhost:9092,INTERNAL://127.0.0.1:19092",
            "listener.security.protocol.map": "EXTERNAL:PLAINTEXT,INTERNAL:PLAINTEXT",
            "inter.broker.listener.name": "INTERNAL", "log.dirs": directory, "num.network.threads": "1",
        ]
        settings.merge(overrides) { _, new in new }
        let config = try BrokerConfig.load(fileText: nil, environment: [:], overrides: settings)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let session = BrokerSession()
        let topicConfigs = TopicConfigStore(defaults: config, session: session, logger: logger)
        let logManager = try LogManager(directory: directory + "/logs", logger: logger)
        let metadataCache = MetadataCache()
        let context = BrokerContext.assemble(
            config: config, metadataCache: metadataCache, session: session,
            controllerChannel: BrokerControllerChannel(
                session: session, eventLoopGroup: group, brokerID: config.brokerID, logger: logger),
            topicConfigs: topicConfigs, logManager: logManager,
            producerIDs: ProducerIdManager(broker: config.brokerID, zooKeeper: UnavailableZooKeeper(), logger: logger),
            group: group, blockingPool: pool, logger: logger, isFenced: { false })
        let server = try await KafkaServer.start(
            listeners: config.listeners.map { ($0.listenerName, $0.host, $0.port) }, group: group,
            configuration: .init(maxRequestBytes: config.socketRequestMaxBytes),
            processor: BrokerRequestProcessor(broker: context), logger: logger)
        return BrokerHarness(
            config: config, context: context, server: server, group: group, pool: pool, directory: directory)
    }

    /// Starts a harness, runs `body`, and stops the harness even when `body` throws.
    static func with(_ overrides: [String: String] = [:], _ body: (BrokerHarness) async throws -> Void) async throws {
        let broker = try await start(overrides)
        do {
            try await body(broker)
        } catch {
            await broker.stop()
            throw error
        }
        await broker.stop()
    }

    private init(
        config: BrokerConfig, context: BrokerContext, server: KafkaServer, group: MultiThreadedEventLoopGroup,
        pool: NIOThreadPool, directory: String
    ) {
        self.config = config
        self.context = context
        self.server = server
        self.group = group
        self.pool = pool
        self.directory = directory
    }

    func port(_ listener: String) -> Int { server.listeners.first { $0.name == listener }!.port }

    func connect(_ listener: String = "EXTERNAL") async throws -> KafkaClientConnection {
        try await KafkaClientConnection.connect(
            host: "127.0.0.1", port: port(listener), group: group, configuration: .init(clientId: "test"))
    }

    func send<R: KafkaRequest>(_ request: R, version: Int16, on connection: KafkaClientConnection) async throws
        -> R.Response
    {
        try await connection.request(request, version: version)
    }

    func send<R: KafkaRequest>(_ request: R, version: Int16, listener: String = "EXTERNAL") async throws -> R.Response {
        let connection = try await connect(listener)
        defer { connection.close() }
        return try await send(request, version: version, on: connection)
    }

    func stop() async {
        await server.stopAccepting()
        await context.replicaManager.shutdown()
        try? context.logManager.close()
        try? await group.shutdownGracefully()
        try? await pool.shutdownGracefully()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Three live brokers with EXTERNAL and INTERNAL endpoints, and one topic `t` with two partitions led by
    /// brokers 2 and 3.
    static func sampleUpdateMetadata(controllerEpoch: Int32 = 1, brokerEpoch: Int64 = -1) -> UpdateMetadataRequest {
        UpdateMetadataRequest(
            controllerId: 100, controllerEpoch: controllerEpoch, brokerEpoch: brokerEpoch,
            topicStates: [
                .init(
                    topicName: "t", topicId: KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 2),
                    partitionStates: [
                        .init(
                            partitionIndex: 0, controllerEpoch: controllerEpoch, leader: 2, leaderEpoch: 3,
                            isr: [2, 3],
                            zkVersion: 1, replicas: [2, 3]),
                        .init(
                            partitionIndex: 1, controllerEpoch: controllerEpoch, leader: 3, leaderEpoch: 0,
                            isr: [3, 1],
                            zkVersion: 0, replicas: [3, 1]),
                    ])
            ],
            liveBrokers: [1, 2, 3].map { id in
                .init(
                    id: id,
                    endpoints: [
                        .init(port: 9090 + id, host: "localhost", listener: "EXTERNAL", securityProtocol: 0),
                        .init(port: 19090 + id, host: "127.0.0.1", listener: "INTERNAL", securityProtocol: 0),
                    ], rack: nil)
            })
    }
}

/// A ZooKeeper seam that is never reachable (the harness has no ZooKeeper).
struct UnavailableZooKeeper: CoordinatorZooKeeper {
    var sessionID: Int64 { 0 }
    func getMany(_ paths: [String]) async -> [Result<ZNodeData, ZooKeeperError>] {
        paths.map { .failure(ZooKeeperError(code: .connectionLoss, operation: .get, path: $0)) }
    }
    func multi(_ operations: [ZooKeeperOperation]) async throws -> [ZooKeeperOperationResult] {
        throw ZooKeeperError(code: .connectionLoss, operation: .multi)
    }
    func ensurePath(_ path: String) async throws { throw ZooKeeperError(code: .connectionLoss, operation: .create) }
    func children(_ path: String) async throws -> [String] {
        throw ZooKeeperError(code: .connectionLoss, operation: .children)
    }
    func sessionStates() -> AsyncStream<SessionState> { AsyncStream { $0.finish() } }
    func mustAssumeSessionLost(at now: ContinuousClock.Instant) -> Bool { true }
}

extension KafkaClientConnection {
    /// Sends `request` at `version` and decodes the response (skipping a flexible response header's tags).
    func request<R: KafkaRequest>(_ request: R, version: Int16, timeoutMs: Int64 = 10_000) async throws -> R.Response {
        var body = ByteBuffer()
        request.write(to: &body, version: version)
        let frame = body
        var response = try await send(
            apiKey: R.apiKey.rawValue, apiVersion: version, headerVersion: Int(R.headerVersion(for: version)),
            timeoutMs: timeoutMs
        ) { $0.writeImmutableBuffer(frame) }.get()
        if R.Response.headerVersion(for: version) >= 1 { _ = try response.readUnknownTaggedFields(limits: .default) }
        return try R.Response(from: &response, version: version, limits: .default)
    }
}
