import FjordCoordinator
import ZooKeeper

/// The coordinator's ZooKeeper seam, always speaking through the broker's current session, so a component built
/// once (the ProducerIdManager) keeps working after the broker registers with a new session.
struct CurrentSessionZooKeeper: CoordinatorZooKeeper {
    let session: BrokerSession

    private func client() throws -> ZooKeeperClient { try session.current() }

    var sessionID: Int64 { (try? client().sessionID) ?? 0 }

    func getMany(_ paths: [String]) async -> [Result<ZNodeData, ZooKeeperError>] {
        guard let zk = try? client() else {
            return paths.map { .failure(ZooKeeperError(code: .closing, operation: .get, path: $0)) }
        }
        return await zk.getMany(paths)
    }

    func multi(_ operations: [ZooKeeperOperation]) async throws -> [ZooKeeperOperationResult] {
        try await client().multi(operations)
    }

    func ensurePath(_ path: String) async throws { try await client().ensurePath(path) }

    func children(_ path: String) async throws -> [String] { try await client().children(path) }

    func sessionStates() -> AsyncStream<SessionState> {
        guard let zk = try? client() else {
            return AsyncStream {
                $0.yield(.closed); $0.finish()
            }
        }
        return zk.sessionStates()
    }

    func mustAssumeSessionLost(at now: ContinuousClock.Instant) -> Bool { session.mustAssumeSessionLost() }
}
