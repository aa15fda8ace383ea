import ZooKeeper

/// The ZooKeeper operations the coordinator uses: a seam so tests can count round trips or inject failures.
/// ``ZooKeeperClient`` conforms.
public protocol CoordinatorZooKeeper: Sendable {
    /// The session id; the `ephemeralOwner` of ephemeral nodes this session created.
    var sessionID: Int64 { get }
    /// Pipelined reads: one round trip for all paths.
    func getMany(_ paths: [String]) async -> [Result<ZNodeData, ZooKeeperError>]
    /// One atomic transaction: one round trip.
    func multi(_ operations: [ZooKeeperOperation]) async throws -> [ZooKeeperOperationResult]
    func ensurePath(_ path: String) async throws
    func children(_ path: String) async throws -> [String]
    func sessionStates() -> AsyncStream<SessionState>
    func mustAssumeSessionLost(at now: ContinuousClock.Instant) -> Bool
}

extension ZooKeeperClient: CoordinatorZooKeeper {}

extension ZooKeeperError {
    /// The Kafka error a group request gets when its ZooKeeper write failed this way.
    ///
    /// A failed epoch check (operation 0), a version conflict or a missing or unexpected node mean another
    /// coordinator has claimed the group since: NOT_COORDINATOR, so the client looks the coordinator up again. So
    /// does a lost session. A lost connection or a timeout leave the outcome unknown: COORDINATOR_NOT_AVAILABLE
    /// (retriable); the group is reloaded before the next request.
    var groupErrorCode: GroupErrorCode {
        if failedOperationIndex == 0 { return .notCoordinator }
        switch code {
        case .badVersion, .noNode, .nodeExists, .sessionExpired, .closing, .invalidState, .authFailed:
            return .notCoordinator
        case .connectionLoss, .operationTimeout:
            return .coordinatorNotAvailable
        default:
            return .unknownServerError
        }
    }
}
