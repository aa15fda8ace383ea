import FjordCluster
import FjordCoordinator
import FjordModel
import FjordTestSupport
import Foundation
import Logging
import Synchronization
import Testing
import ZooKeeper

/// A real ZooKeeper for the shell tests: the process-wide shared server, one fresh chroot per test.
enum ShellZooKeeper {
    static func connectString() async throws -> String {
        ZooKeeperLibraryLogging.setLevel(.off)
        let server = try await ZooKeeperServer.shared()
        let chroot = "/coordinator-\(UUID().uuidString.prefix(8).lowercased())"
        let connectString = server.connectString(chroot: chroot)
        try await ZooKeeperClient.ensureChroot(connectString: connectString)
        let admin = try await ZooKeeperClient.connect(connectString: connectString, sessionTimeout: .seconds(4))
        for path in ZNodePaths.persistentRoots { try await admin.ensurePath(path) }
        await admin.close()
        return connectString
    }

    static func client(_ connectString: String) async throws -> ZooKeeperClient {
        try await ZooKeeperClient.connect(connectString: connectString, sessionTimeout: .seconds(4))
    }

    /// Small timeouts so a real rebalance takes milliseconds.
    static var config: GroupCoordinatorConfig {
        var config = GroupCoordinatorConfig()
        config.minSessionTimeoutMs = 100
        config.initialRebalanceDelayMs = 100
        return config
    }

    static func coordinator(broker: Int32, zooKeeper: any CoordinatorZooKeeper) -> GroupCoordinator {
        var logger = Logger(label: "test.coordinator")
        logger.logLevel = .critical
        return GroupCoordinator(
            broker: BrokerID(broker), brokerEpoch: BrokerEpoch(Int64(broker) * 100), zooKeeper: zooKeeper,
            config: config, logger: logger)
    }
}

/// Counts the ZooKeeper calls (each is one round trip) a coordinator makes.
final class CountingZooKeeper: CoordinatorZooKeeper {
    let inner: ZooKeeperClient
    private let counts = Mutex<[String: Int]>([:])

    init(_ inner: ZooKeeperClient) { self.inner = inner }

    func count(_ kind: String) -> Int { counts.withLock { $0[kind, default: 0] } }
    var total: Int { counts.withLock { $0.values.reduce(0, +) } }
    private func record(_ kind: String) { counts.withLock { $0[kind, default: 0] += 1 } }

    var sessionID: Int64 { inner.sessionID }
    func getMany(_ paths: [String]) async -> [Result<ZNodeData, ZooKeeperError>] {
        record("getMany")
        return await inner.getMany(paths)
    }
    func multi(_ operations: [ZooKeeperOperation]) async throws -> [ZooKeeperOperationResult] {
        record("multi")
        return try await inner.multi(operations)
    }
    func ensurePath(_ path: String) async throws {
        record("ensurePath")
        try await inner.ensurePath(path)
    }
    func children(_ path: String) async throws -> [String] {
        record("children")
        return try await inner.children(path)
    }
    func sessionStates() -> AsyncStream<SessionState> { inner.sessionStates() }
    func mustAssumeSessionLost(at now: ContinuousClock.Instant) -> Bool { inner.mustAssumeSessionLost(at: now) }
}

/// A consumer driving the shell the way a Kafka client does (JoinGroup v4+: first join gets MEMBER_ID_REQUIRED).
struct TestConsumer {
    let coordinator: GroupCoordinator
    let group: GroupID
    let client: String

    func input(_ memberID: MemberID) -> JoinGroupInput {
        JoinGroupInput(
            memberID: memberID, clientID: client, clientHost: "/127.0.0.1", sessionTimeoutMs: 3_000,
            rebalanceTimeoutMs: 5_000, protocolType: "consumer",
            protocols: [GroupProtocol(name: "range", metadata: GroupHarness.subscription(["t"]))],
            requireKnownMemberID: true)
    }

    /// MEMBER_ID_REQUIRED, then the real join (waits for the rebalance).
    func join() async -> JoinGroupOutcome {
        let first = await coordinator.joinGroup(group, input(.unknown))
        #expect(first.error == .memberIDRequired)
        return await coordinator.joinGroup(group, input(first.memberID))
    }
}
