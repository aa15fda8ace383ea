import FjordCluster
import FjordController
import FjordModel
import FjordNetwork
import FjordTestSupport
import Foundation
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore
import NIOPosix
import Testing
import ZooKeeper

/// Shared pieces of the integration tests: the ZooKeeper server, per-test chroots, in-process controllers, and a
/// client for the controller's RPC listener.
enum Integration {
    static func server() async throws -> ZooKeeperServer {
        ZooKeeperLibraryLogging.setLevel(.off)
        return try await ZooKeeperServer.shared()
    }

    /// A fresh chroot and a client on it.
    static func chroot(_ server: ZooKeeperServer) async throws -> (connect: String, zk: ZooKeeperClient) {
        let chroot = "/ctl-\(UUID().uuidString.prefix(8).lowercased())"
        let connect = server.connectString(chroot: chroot)
        try await ZooKeeperClient.ensureChroot(connectString: connect)
        let zk = try await ZooKeeperClient.connect(connectString: connect, sessionTimeout: .seconds(10))
        for path in ZNodePaths.persistentRoots { try await zk.ensurePath(path) }
        return (connect, zk)
    }

    static var logger: Logger {
        var logger = Logger(label: "test.controller")
        logger.logLevel = ProcessInfo.processInfo.environment["FJORD_TEST_LOG"] != nil ? .debug : .critical
        return logger
    }

    /// An in-process controller running on its own task.
    final class RunningController: Sendable {
        let service: ControllerService
        let task: Task<Void, any Error>

        init(id: Int32, connect: String, sessionTimeoutMs: Int = 2_000, rebalance: Bool = false) {
            let settings = ControllerSettings(
                controllerID: id, zookeeperConnect: connect,
                listener: Endpoint(listenerName: "CONTROLLER", host: "127.0.0.1", port: 0),
                zookeeperSessionTimeoutMs: sessionTimeoutMs, autoLeaderRebalanceEnable: rebalance,
                controllerSocketTimeoutMs: 5_000)
            service = ControllerService(settings: settings, logger: Integration.logger)
            let service = self.service
            task = Task { try await service.run() }
        }

        var status: ControllerStatus { service.status }

        func waitActive(timeout: Duration = .seconds(20)) async throws {
            try await waitUntil("controller \(service.settings.controllerID) active", timeout: timeout) {
                status.isActive && status.lastFailover != nil
            }
        }

        func stop() async {
            service.shutdown()
            _ = try? await task.value
        }
    }

    static func writeTopic(_ zk: ZooKeeperClient, _ name: String, _ replicas: [[Int32]], id: KafkaUUID = .random())
        async throws
    {
        var map: [PartitionID: [BrokerID]] = [:]
        for (p, r) in replicas.enumerated() { map[PartitionID(Int32(p))] = r.map { BrokerID($0) } }
        try await zk.create(
            ZNodePaths.topic(TopicName(name)),
            data: ZNodeJSON.encode(TopicAssignment(replicas: map, topicId: id.description)))
    }

    static func state(_ zk: ZooKeeperClient, _ topic: String, _ partition: Int32) async -> LeaderAndIsr? {
        let path = ZNodePaths.partitionState(TopicPartition(topic: topic, partition: partition))
        guard let node = try? await zk.get(path),
            let state = try? ZNodeJSON.decode(PartitionState.self, from: node.data, path: path)
        else { return nil }
        return LeaderAndIsr(znode: state, version: node.stat.version)
    }

    static func controllerEpoch(_ zk: ZooKeeperClient) async throws -> (epoch: Int32, version: Int32) {
        let node = try await zk.get(ZNodePaths.controllerEpoch)
        return (Int32(node.string) ?? -1, node.stat.version)
    }

    static func activeControllerID(_ zk: ZooKeeperClient) async -> Int32? {
        guard let node = try? await zk.get(ZNodePaths.controller) else { return nil }
        return (try? ZNodeJSON.decode(ControllerRegistration.self, from: node.data, path: ZNodePaths.controller))?
            .brokerid
    }

    /// Whether `/controller` names `id` and `/controller_epoch` holds `epoch`.
    static func isActive(_ zk: ZooKeeperClient, _ id: Int32, epoch: Int32) async -> Bool {
        guard await activeControllerID(zk) == id else { return false }
        return (try? await controllerEpoch(zk).epoch) == epoch
    }

    /// Sends one request to a Kafka-protocol listener and decodes the answer.
    static func call<Request: KafkaRequest>(_ request: Request, version: Int16, port: Int) async throws
        -> Request.Response
    {
        let connection = try await KafkaClientConnection.connect(
            host: "127.0.0.1", port: port, group: MultiThreadedEventLoopGroup.singleton,
            configuration: .init(clientId: "test"))
        defer { connection.close() }
        var frame = try await connection.send(
            apiKey: Request.apiKey.rawValue, apiVersion: version,
            headerVersion: Int(Request.headerVersion(for: version))
        ) { buffer in request.write(to: &buffer, version: version) }.get()
        if Request.Response.headerVersion(for: version) >= 1 { _ = try frame.readUnknownTaggedFields(limits: .default) }
        return try Request.Response(from: &frame, version: version)
    }
}
