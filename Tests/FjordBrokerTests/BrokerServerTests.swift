import FjordBroker
import FjordCluster
import FjordModel
import FjordNetwork
import FjordTestSupport
import Foundation
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import Testing
import ZooKeeper

/// The broker process lifecycle against a real ZooKeeper: registration and epochs, a duplicate broker id, a stale
/// registration left by a dead session (KAFKA-7165), re-registration after session expiry, admin writes, topic
/// config watches and controlled shutdown through the controller channel.
@Suite(.serialized) struct BrokerServerTests {
    static func config(
        chroot: String, zooKeeper: String, directory: String, brokerID: Int = 1, extra: [String: String] = [:]
    ) throws -> BrokerConfig {
        var settings = [
            "broker.id": "\(brokerID)", "zookeeper.connect": zooKeeper + chroot,
            "zookeeper.session.timeout.ms": "2000",
            "listeners": "EXTERNAL://127.0.0.1:0,INTERNAL://127.0.0.1:0",
            "listener.security.protocol.map": "EXTERNAL:PLAINTEXT,INTERNAL:PLAINTEXT",
            "inter.broker.listener.name": "INTERNAL", "log.dirs": directory, "num.network.threads": "1",
            "controlled.shutdown.max.retries": "1", "controlled.shutdown.retry.backoff.ms": "100",
        ]
        settings.merge(extra) { _, new in new }
        return try BrokerConfig.load(fileText: nil, environment: [:], overrides: settings)
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "broker-test")
        logger.logLevel = .critical
        return logger
    }

    static func chroot() -> String { "/broker-test-\(UUID().uuidString.prefix(8).lowercased())" }

    static func client(_ server: ZooKeeperServer, _ chroot: String) async throws -> ZooKeeperClient {
        try await ZooKeeperClient.ensureChroot(connectString: server.connectString(chroot: chroot))
        return try await ZooKeeperClient.connect(connectString: server.connectString(chroot: chroot))
    }

    @Test func registersWithCzxidEpochAndAdvertisesBoundPorts() async throws {
        let zkServer = try await ZooKeeperServer.shared()
        let chroot = Self.chroot()
        let directory = try makeTemporaryDirectory(prefix: "fjord-broker-reg")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broker = try await BrokerServer.start(
            config: Self.config(chroot: chroot, zooKeeper: zkServer.connectString, directory: directory),
            logger: Self.quietLogger)
        let zk = try await Self.client(zkServer, chroot)
        let node = try await zk.get("/brokers/ids/1")
        #expect(broker.context.session.brokerEpoch == BrokerEpoch(node.stat.czxid))
        #expect(node.stat.isEphemeral)
        let registration = try ZNodeJSON.decode(BrokerRegistration.self, from: node.data, path: "/brokers/ids/1")
        #expect(registration.interBrokerListener == "INTERNAL")
        #expect(registration.endpoint(listener: "INTERNAL")?.port == broker.boundPorts["INTERNAL"])
        #expect(registration.endpoint(listener: "EXTERNAL")?.port == broker.boundPorts["EXTERNAL"])
        #expect(try await zk.exists("/cluster/id") != nil)
        #expect(broker.context.clusterID != nil)
        await broker.shutdown()
        #expect(try await zk.exists("/brokers/ids/1") == nil)
        #expect(FileManager.default.fileExists(atPath: directory + "/.kafka_cleanshutdown"))
        await zk.close()
    }

    @Test func aSecondBrokerWithTheSameIDRefusesToStart() async throws {
        let zkServer = try await ZooKeeperServer.shared()
        let chroot = Self.chroot()
        let first = try makeTemporaryDirectory(prefix: "fjord-broker-dup1")
        let second = try makeTemporaryDirectory(prefix: "fjord-broker-dup2")
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        let extra = ["zookeeper.session.timeout.ms": "1000"]
        let broker = try await BrokerServer.start(
            config: Self.config(chroot: chroot, zooKeeper: zkServer.connectString, directory: first, extra: extra),
            logger: Self.quietLogger)
        await #expect(throws: (any Error).self) {
            _ = try await BrokerServer.start(
                config: Self.config(chroot: chroot, zooKeeper: zkServer.connectString, directory: second, extra: extra),
                logger: Self.quietLogger)
        }
        #expect(broker.context.session.mustAssumeSessionLost() == false)
        await broker.shutdown()
    }

    /// A registration node left by a session that is gone but not yet expired (a killed broker, KAFKA-7165) is
    /// waited out, not treated as a duplicate.
    @Test func waitsForAStaleRegistrationToExpire() async throws {
        let zkServer = try await ZooKeeperServer.shared()
        let chroot = Self.chroot()
        let directory = try makeTemporaryDirectory(prefix: "fjord-broker-stale")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let proxy = try TCPProxy(targetPort: zkServer.port)
        try await ZooKeeperClient.ensureChroot(connectString: zkServer.connectString(chroot: chroot))
        let old = try await ZooKeeperClient.connect(
            connectString: "127.0.0.1:\(proxy.port)\(chroot)", sessionTimeout: .milliseconds(1000))
        try await old.ensurePath("/brokers/ids")
        try await old.create("/brokers/ids/1", data: Array("{}".utf8), mode: .ephemeral)
        proxy.pause()  // the old session can no longer ping: the server expires it after its timeout
        let broker = try await BrokerServer.start(
            config: Self.config(chroot: chroot, zooKeeper: zkServer.connectString, directory: directory),
            logger: Self.quietLogger)
        let zk = try await Self.client(zkServer, chroot)
        let node = try await zk.get("/brokers/ids/1")
        #expect(BrokerEpoch(node.stat.czxid) == broker.context.session.brokerEpoch)
        await broker.shutdown()
        await zk.close()
        proxy.resume()
        await old.close()
    }

    /// After its session expires the broker registers again with a new, larger epoch.
    @Test func reRegistersAfterSessionExpiry() async throws {
        let zkServer = try await ZooKeeperServer.shared()
        let chroot = Self.chroot()
        let directory = try makeTemporaryDirectory(prefix: "fjord-broker-expiry")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let proxy = try TCPProxy(targetPort: zkServer.port)
        let broker = try await BrokerServer.start(
            config: Self.config(
                chroot: chroot, zooKeeper: "127.0.0.1:\(proxy.port)", directory: directory,
                extra: ["zookeeper.session.timeout.ms": "1000"]),
            logger: Self.quietLogger)
        let firstEpoch = broker.context.session.brokerEpoch
        proxy.pause()
        try await waitUntil("the broker to notice it may have lost its session", timeout: .seconds(10)) {
            broker.context.session.mustAssumeSessionLost()
        }
        let zk = try await Self.client(zkServer, chroot)
        try await waitUntil("the old registration to expire", timeout: .seconds(15)) {
            try await zk.exists("/brokers/ids/1") == nil
        }
        proxy.resume()
        try await waitUntil("re-registration", timeout: .seconds(20)) {
            let registered = try await zk.exists("/brokers/ids/1") != nil
            return registered && broker.context.session.brokerEpoch > firstEpoch
        }
        let node = try await zk.get("/brokers/ids/1")
        #expect(BrokerEpoch(node.stat.czxid) == broker.context.session.brokerEpoch)
        #expect(!broker.context.session.mustAssumeSessionLost())
        await broker.shutdown()
        await zk.close()
    }

    /// CreateTopics writes the assignment (with a topic id) and the config in ZooKeeper; AlterConfigs changes the
    /// config node and the watch brings the change to the broker's store; DeleteTopics writes the deletion request.
    @Test func adminRequestsWriteZooKeeper() async throws {
        let zkServer = try await ZooKeeperServer.shared()
        let chroot = Self.chroot()
        let directory = try makeTemporaryDirectory(prefix: "fjord-broker-admin")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broker = try await BrokerServer.start(
            config: Self.config(chroot: chroot, zooKeeper: zkServer.connectString, directory: directory),
            logger: Self.quietLogger)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let connection = try await KafkaClientConnection.connect(
            host: "127.0.0.1", port: broker.boundPorts["EXTERNAL"]!, group: group, configuration: .init(clientId: "t"))
        let created = try await connection.request(
            CreateTopicsRequest(
                topics: [
                    .init(
                        name: "orders", numPartitions: 2, replicationFactor: 1,
                        configs: [.init(name: "retention.ms", value: "60000")])
                ], timeoutMs: 0), version: 4)
        #expect(created.topics.map(\.errorCode) == [0])
        let zk = try await Self.client(zkServer, chroot)
        let assignment = try ZNodeJSON.decode(
            TopicAssignment.self, from: try await zk.get("/brokers/topics/orders").data, path: "t")
        #expect(assignment.replicas == [PartitionID(0): [BrokerID(1)], PartitionID(1): [BrokerID(1)]])
        #expect(assignment.topicId?.count == 22)
        let config = try ZNodeJSON.decode(
            TopicConfigNode.self, from: try await zk.get("/config/topics/orders").data, path: "c")
        #expect(config.config == ["retention.ms": "60000"])
        let again = try await connection.request(
            CreateTopicsRequest(topics: [.init(name: "orders", numPartitions: 1, replicationFactor: 1)], timeoutMs: 0),
            version: 4)
        #expect(again.topics.map(\.errorCode) == [ErrorCode.topicAlreadyExists.rawValue])

        // A config written by another process reaches the broker through its watch.
        try await zk.set(
            "/config/topics/orders", data: ZNodeJSON.encode(TopicConfigNode(config: ["retention.ms": "5"])))
        try await waitUntil("the config watch", timeout: .seconds(10)) {
            broker.context.topicConfigs.logConfig(for: "orders").retentionMs == 5
        }
        let altered = try await connection.request(
            IncrementalAlterConfigsRequest(
                resources: [
                    .init(
                        resourceType: 2, resourceName: "orders",
                        configs: [.init(name: "cleanup.policy", configOperation: 0, value: "compact")])
                ]), version: 0)
        #expect(altered.responses.map(\.errorCode) == [0])
        let node = try ZNodeJSON.decode(
            TopicConfigNode.self, from: try await zk.get("/config/topics/orders").data, path: "c")
        #expect(node.config == ["retention.ms": "5", "cleanup.policy": "compact"])

        // DeleteTopics needs the topic in metadata (the controller's job); feed the cache by hand.
        broker.context.metadataCache.apply(
            UpdateMetadataRequest(
                controllerId: 9, controllerEpoch: 1,
                topicStates: [
                    .init(
                        topicName: "orders",
                        partitionStates: [
                            .init(
                                partitionIndex: 0, controllerEpoch: 1, leader: 1, leaderEpoch: 0, isr: [1],
                                zkVersion: 0, replicas: [1])
                        ])
                ], liveBrokers: []), version: 7)
        let deleted = try await connection.request(
            DeleteTopicsRequest(topicNames: ["orders"], timeoutMs: 0), version: 3)
        #expect(deleted.responses.map(\.errorCode) == [0])
        #expect(try await zk.exists("/admin/delete_topics/orders") != nil)
        connection.close()
        try await group.shutdownGracefully()
        await broker.shutdown()
        await zk.close()
    }

    /// SIGTERM's path: the broker finds the controller through `/controller` and sends ControlledShutdown with its
    /// id and epoch before leaving.
    @Test func controlledShutdownReachesTheController() async throws {
        let zkServer = try await ZooKeeperServer.shared()
        let chroot = Self.chroot()
        let directory = try makeTemporaryDirectory(prefix: "fjord-broker-cs")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let controller = try await FakeController.start()
        let zk = try await Self.client(zkServer, chroot)
        try await zk.create(
            "/controller",
            data: ZNodeJSON.encode(
                ControllerRegistration(controllerID: 100, host: "127.0.0.1", port: controller.port, timestamp: .now())),
            mode: .ephemeral)
        let broker = try await BrokerServer.start(
            config: Self.config(chroot: chroot, zooKeeper: zkServer.connectString, directory: directory),
            logger: Self.quietLogger)
        try await waitUntil("the controller to be known", timeout: .seconds(10)) {
            broker.context.controllerChannel.target?.controllerID == 100
        }
        let epoch = broker.context.session.brokerEpoch
        await broker.shutdown()
        let requests = controller.shutdownRequests
        #expect(requests.count == 1)
        #expect(requests.first?.brokerId == 1 && requests.first?.brokerEpoch == epoch.rawValue)
        await controller.stop()
        await zk.close()
    }

    /// Trap 9: Metadata creates unknown topics only when the request allows it (always before v4, the flag from
    /// v4) and `auto.create.topics.enable` is on; the topic is reported LEADER_NOT_AVAILABLE until it has leaders.
    @Test func metadataAutoCreatesOnlyWhenAllowed() async throws {
        let zkServer = try await ZooKeeperServer.shared()
        let chroot = Self.chroot()
        let directory = try makeTemporaryDirectory(prefix: "fjord-broker-auto")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broker = try await BrokerServer.start(
            config: Self.config(
                chroot: chroot, zooKeeper: zkServer.connectString, directory: directory,
                extra: ["num.partitions": "2"]),
            logger: Self.quietLogger)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let connection = try await KafkaClientConnection.connect(
            host: "127.0.0.1", port: broker.boundPorts["EXTERNAL"]!, group: group, configuration: .init(clientId: "t"))
        let allowed = try await connection.request(
            MetadataRequest(topics: [.init(name: "auto")], allowAutoTopicCreation: true), version: 4)
        #expect(allowed.topics.map(\.errorCode) == [ErrorCode.leaderNotAvailable.rawValue])
        let refused = try await connection.request(
            MetadataRequest(topics: [.init(name: "manual")], allowAutoTopicCreation: false), version: 4)
        #expect(refused.topics.map(\.errorCode) == [ErrorCode.unknownTopicOrPartition.rawValue])
        let legacy = try await connection.request(MetadataRequest(topics: [.init(name: "legacy")]), version: 1)
        #expect(legacy.topics.map(\.errorCode) == [ErrorCode.leaderNotAvailable.rawValue])
        let zk = try await Self.client(zkServer, chroot)
        let auto = try ZNodeJSON.decode(
            TopicAssignment.self, from: try await zk.get("/brokers/topics/auto").data, path: "a")
        #expect(auto.partitions.count == 2)
        #expect(try await zk.exists("/brokers/topics/manual") == nil)
        #expect(try await zk.exists("/brokers/topics/legacy") != nil)
        connection.close()
        try await group.shutdownGracefully()
        await broker.shutdown()
        await zk.close()
    }
}
