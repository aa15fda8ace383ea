import FjordCluster
import FjordModel
import FjordNetwork
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore
import Synchronization
import ZooKeeper

/// The broker's line to the active controller: finds it through `/controller` (its JSON names the RPC endpoint),
/// keeps one connection to it, and sends AlterPartition, ControlledShutdown and forwarded admin requests.
///
/// The connection is opened on first use and replaced when `/controller` changes or the connection breaks. After
/// connecting, the channel asks the controller for its API versions (ApiVersions v0) and sends each request at the
/// highest version both sides know; without an answer it uses the versions in the request's own preference.
///
/// Thread-safety: state behind a `Mutex`; network waits happen outside it.
public final class BrokerControllerChannel: Sendable {
    /// Where the active controller listens.
    public struct Target: Hashable, Sendable, CustomStringConvertible {
        public var controllerID: Int32
        public var host: String
        public var port: Int
        public var description: String { "controller \(controllerID) at \(host):\(port)" }
    }

    struct Connected: Sendable {
        var target: Target
        var connection: KafkaClientConnection
        /// The controller's API versions, nil when it did not answer ApiVersions.
        var versions: [Int16: ClosedRange<Int16>]?
    }

    private struct State {
        var target: Target?
        var connected: Connected?
        var connecting: Task<Connected, any Error>?
    }

    private let state = Mutex(State())
    private let session: BrokerSession
    private let group: any EventLoopGroup
    private let clientID: String
    private let logger: Logger

    public init(session: BrokerSession, eventLoopGroup: any EventLoopGroup, brokerID: BrokerID, logger: Logger) {
        self.session = session
        self.group = eventLoopGroup
        self.clientID = "fjord-broker-\(brokerID.rawValue)"
        self.logger = logger
    }

    /// The active controller as last read from `/controller`.
    public var target: Target? { state.withLock { $0.target } }

    /// Watches `/controller` until cancelled.
    public func run() async {
        await SessionWatchLoop.run("controller", session: session, logger: logger) { [self] zk in
            let (watch, _) = try await zk.watchNode(ZNodePaths.controller)
            try await refresh(zk)
            for try await _ in watch { try await refresh(zk) }
        }
    }

    /// Reads `/controller` and switches to the controller it names.
    func refresh(_ zk: ZooKeeperClient) async throws {
        var next: Target?
        do {
            let node = try await zk.get(ZNodePaths.controller)
            let registration = try ZNodeJSON.decode(
                ControllerRegistration.self, from: node.data, path: ZNodePaths.controller)
            next = Target(controllerID: registration.brokerid, host: registration.host, port: registration.port)
        } catch let error as ZooKeeperError where error.code == .noNode {
            next = nil
        } catch let error as ClusterStateError {
            logger.warning("unreadable /controller", metadata: ["error": "\(error)"])
            next = nil
        }
        setTarget(next)
    }

    func setTarget(_ next: Target?) {
        let dropped: Connected? = state.withLock { state in
            guard state.target != next else { return nil }
            state.target = next
            state.connecting?.cancel()
            state.connecting = nil
            defer { state.connected = nil }
            return state.connected
        }
        dropped?.connection.close()
        logger.info("active controller", metadata: ["controller": "\(next.map { "\($0)" } ?? "none")"])
    }

    // MARK: Sending

    /// Sends `request` at a version from `preferred` the controller also supports and decodes the answer.
    ///
    /// - Throws: ``ControllerChannelError`` when there is no active controller or no agreeable version,
    ///   `KafkaClientError` when the connection fails or times out (the connection is then dropped),
    ///   `KafkaWireError` for an undecodable answer.
    public func send<R: KafkaRequest>(_ request: R, preferred: ClosedRange<Int16>, timeoutMs: Int64 = 30_000)
        async throws -> R.Response
    {
        let connected = try await connection()
        let version = try Self.version(R.apiKey, preferred: preferred, controller: connected.versions)
        return try await send(request, version: version, on: connected, timeoutMs: timeoutMs)
    }

    private func send<R: KafkaRequest>(
        _ request: R, version: Int16, on connected: Connected, timeoutMs: Int64
    ) async throws -> R.Response {
        var body = ByteBuffer()
        request.write(to: &body, version: version)
        let frame = body
        do {
            var response = try await connected.connection.send(
                apiKey: R.apiKey.rawValue, apiVersion: version, headerVersion: Int(R.headerVersion(for: version)),
                timeoutMs: timeoutMs
            ) { $0.writeImmutableBuffer(frame) }.get()
            if R.Response.headerVersion(for: version) >= 1 {
                _ = try response.readUnknownTaggedFields(limits: .default)
            }
            return try R.Response(from: &response, version: version, limits: .default)
        } catch {
            drop(connected)
            throw error
        }
    }

    /// The version to send: the highest of `preferred` the controller supports (all of `preferred` when unknown).
    static func version(
        _ api: ApiKey, preferred: ClosedRange<Int16>, controller: [Int16: ClosedRange<Int16>]?
    ) throws -> Int16 {
        guard let controller else { return preferred.upperBound }
        guard let theirs = controller[api.rawValue], theirs.overlaps(preferred) else {
            throw ControllerChannelError.unsupported(api, preferred: preferred)
        }
        return min(theirs.upperBound, preferred.upperBound)
    }

    private func drop(_ connected: Connected) {
        let same = state.withLock { state -> Bool in
            guard let current = state.connected, current.connection === connected.connection else { return false }
            state.connected = nil
            return true
        }
        if same { connected.connection.close() }
    }

    /// The live connection to the active controller, opening one if needed.
    func connection() async throws -> Connected {
        enum Step {
            case ready(Connected)
            case wait(Task<Connected, any Error>)
            case none
        }
        let step: Step = state.withLock { state in
            if let connected = state.connected, connected.connection.isActive, connected.target == state.target {
                return .ready(connected)
            }
            guard let target = state.target else { return .none }
            if let connecting = state.connecting { return .wait(connecting) }
            let task = Task { [self] in try await open(target) }
            state.connecting = task
            return .wait(task)
        }
        switch step {
        case .ready(let connected): return connected
        case .none: throw ControllerChannelError.noActiveController
        case .wait(let task):
            do {
                let connected = try await task.value
                let current = state.withLock { state -> Bool in
                    if state.connecting == task { state.connecting = nil }
                    guard state.target == connected.target else { return false }
                    state.connected = connected
                    return true
                }
                guard current else {
                    connected.connection.close()
                    throw ControllerChannelError.noActiveController
                }
                return connected
            } catch {
                state.withLock { state in if state.connecting == task { state.connecting = nil } }
                throw error
            }
        }
    }

    private func open(_ target: Target) async throws -> Connected {
        let connection = try await KafkaClientConnection.connect(
            host: target.host, port: target.port, group: group,
            configuration: .init(connectTimeoutMs: 5_000, clientId: clientID))
        var connected = Connected(target: target, connection: connection, versions: nil)
        do {
            let response = try await send(ApiVersionsRequest(), version: 0, on: connected, timeoutMs: 5_000)
            if response.errorCode == 0 {
                connected.versions = Dictionary(
                    response.apiKeys.map { ($0.apiKey, $0.minVersion...max($0.minVersion, $0.maxVersion)) },
                    uniquingKeysWith: { a, _ in a })
            }
        } catch {
            logger.debug("controller did not answer ApiVersions", metadata: ["error": "\(error)"])
            guard connection.isActive else { throw error }
        }
        logger.debug("connected to controller", metadata: ["controller": "\(target)"])
        return connected
    }

    public func close() {
        let dropped = state.withLock { state -> Connected? in
            state.connecting?.cancel()
            state.connecting = nil
            defer { state.connected = nil }
            return state.connected
        }
        dropped?.connection.close()
    }
}

/// Why a request could not go to the controller.
public enum ControllerChannelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `/controller` names no controller right now (an election is under way).
    case noActiveController
    /// The controller supports none of the versions the broker can send.
    case unsupported(ApiKey, preferred: ClosedRange<Int16>)

    public var description: String {
        switch self {
        case .noActiveController: "no active controller"
        case .unsupported(let api, let preferred):
            "the controller supports no version of \(api.name) in \(preferred.lowerBound)...\(preferred.upperBound)"
        }
    }
}

extension BrokerControllerChannel {
    /// Sends AlterPartition at the version its content needs: v3 when it carries ISR members with epochs, v2 when it
    /// names topics by id, else v1.
    public func sendAlterPartition(_ request: AlterPartitionRequest) async throws -> AlterPartitionResponse {
        let partitions = request.topics.flatMap(\.partitions)
        let preferred: ClosedRange<Int16>
        if partitions.contains(where: { !$0.newIsrWithEpochs.isEmpty }) {
            preferred = 3...3
        } else if !request.topics.isEmpty && request.topics.allSatisfy({ $0.topicId != .zero }) {
            preferred = 2...2
        } else {
            preferred = 0...1
        }
        return try await send(request, preferred: preferred)
    }

    /// Asks the controller to move leadership away from this broker (ControlledShutdown v2 or v3, with the epoch).
    public func controlledShutdown(brokerID: BrokerID, brokerEpoch: BrokerEpoch, timeoutMs: Int64)
        async throws -> ControlledShutdownResponse
    {
        try await send(
            ControlledShutdownRequest(brokerId: brokerID.rawValue, brokerEpoch: brokerEpoch.rawValue),
            preferred: 1...3, timeoutMs: timeoutMs)
    }
}
