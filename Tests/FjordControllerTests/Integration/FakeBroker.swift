import FjordCluster
import FjordController
import FjordModel
import FjordNetwork
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore
import NIOPosix
import Synchronization
import ZooKeeper

/// A stand-in for a Fjord broker: registers `/brokers/ids/<id>` (ephemeral, in its own ZooKeeper session; the
/// znode's czxid is its broker epoch) and serves the control requests on a real listener, recording them.
///
/// Like a real broker (KIP-380) it rejects requests from a controller epoch older than the newest it has seen
/// (STALE_CONTROLLER_EPOCH) and requests for another incarnation of itself (STALE_BROKER_EPOCH).
final class FakeBroker: Sendable {
    struct Received: Sendable {
        var request: ControlRecord
        var accepted: Bool
    }

    enum ControlRecord: Sendable {
        case leaderAndIsr(LeaderAndIsrRequest)
        case updateMetadata(UpdateMetadataRequest)
        case stopReplica(StopReplicaRequest)

        var controllerEpoch: Int32 {
            switch self {
            case .leaderAndIsr(let r): r.controllerEpoch
            case .updateMetadata(let r): r.controllerEpoch
            case .stopReplica(let r): r.controllerEpoch
            }
        }

        var brokerEpoch: Int64 {
            switch self {
            case .leaderAndIsr(let r): r.brokerEpoch
            case .updateMetadata(let r): r.brokerEpoch
            case .stopReplica(let r): r.brokerEpoch
            }
        }
    }

    struct State: Sendable {
        var received: [Received] = []
        var highestControllerEpoch: Int32 = -1
        var epoch: Int64 = -1
    }

    final class StateBox: Sendable {
        let mutex = Mutex(State())
        func withLock<R>(_ body: (inout State) -> R) -> R { mutex.withLock { body(&$0) } }
    }

    let id: Int32
    let server: KafkaServer
    let state: StateBox
    let zk: Mutex<ZooKeeperClient?> = Mutex(nil)

    private init(id: Int32, server: KafkaServer, state: StateBox) {
        self.id = id
        self.server = server
        self.state = state
    }

    var port: Int { server.listeners[0].port }
    var epoch: Int64 { state.withLock { $0.epoch } }
    var received: [Received] { state.withLock { $0.received } }

    var leaderAndIsr: [LeaderAndIsrRequest] {
        received.compactMap { if case .leaderAndIsr(let r) = $0.request, $0.accepted { r } else { nil } }
    }
    var updateMetadata: [UpdateMetadataRequest] {
        received.compactMap { if case .updateMetadata(let r) = $0.request, $0.accepted { r } else { nil } }
    }
    var stopReplica: [StopReplicaRequest] {
        received.compactMap { if case .stopReplica(let r) = $0.request, $0.accepted { r } else { nil } }
    }

    /// The latest partition state each accepted LeaderAndIsr gave this broker.
    func latestLeaderAndIsr(_ topic: String, _ partition: Int32) -> LeaderAndIsrRequest.LeaderAndIsrPartitionState? {
        for request in leaderAndIsr.reversed() {
            for t in request.topicStates where t.topicName == topic {
                if let p = t.partitionStates.last(where: { $0.partitionIndex == partition }) { return p }
            }
        }
        return nil
    }

    static func start(id: Int32, connectString: String) async throws -> FakeBroker {
        let state = StateBox()
        let processor = Processor(brokerID: id, state: state)
        let server = try await KafkaServer.start(
            listeners: [("PLAINTEXT", "127.0.0.1", 0)], group: MultiThreadedEventLoopGroup.singleton,
            configuration: .init(), processor: processor, logger: Logger(label: "fake-broker"))
        let broker = FakeBroker(id: id, server: server, state: state)
        try await broker.register(connectString: connectString)
        return broker
    }

    /// Registers (again) in a new ZooKeeper session: a new broker epoch.
    func register(connectString: String) async throws {
        let client = try await ZooKeeperClient.connect(connectString: connectString, sessionTimeout: .seconds(4))
        let registration = BrokerRegistration(
            endpoints: [Endpoint(listenerName: "PLAINTEXT", host: "127.0.0.1", port: port)],
            interBrokerListener: "PLAINTEXT", rack: nil, timestamp: .now())
        let (_, stat) = try await client.createReturningStat(
            ZNodePaths.broker(BrokerID(id)), data: ZNodeJSON.encode(registration), mode: .ephemeral)
        state.withLock { $0.epoch = stat.czxid }
        zk.withLock { $0 = client }
    }

    /// Closes the registration session: the controller sees the broker die.
    func deregister() async {
        let client = zk.withLock { c -> ZooKeeperClient? in
            defer { c = nil }
            return c
        }
        await client?.close()
    }

    func stop() async {
        await deregister()
        await server.stopAccepting()
    }

    struct Processor: KafkaRequestProcessor {
        let brokerID: Int32
        let state: StateBox

        func mayPipeline(apiKey: Int16) -> Bool { false }

        func process(_ request: RequestFrame, connection: ConnectionInfo) -> EventLoopFuture<
            FjordNetwork.KafkaResponse?
        > {
            do {
                let frame = try KafkaRequestFrame(parsing: request.buffer, limits: .default)
                let body = try frame.decodeBody(limits: .default)
                var buffer = ByteBufferAllocator().buffer(capacity: 64)
                let correlationId = frame.header.correlationId
                let version = frame.apiVersion
                switch body {
                case .leaderAndIsr(let r):
                    let error = check(.leaderAndIsr(r))
                    LeaderAndIsrResponse(errorCode: error).writeWithHeader(
                        to: &buffer, correlationId: correlationId, version: version)
                case .updateMetadata(let r):
                    let error = check(.updateMetadata(r))
                    UpdateMetadataResponse(errorCode: error).writeWithHeader(
                        to: &buffer, correlationId: correlationId, version: version)
                case .stopReplica(let r):
                    let error = check(.stopReplica(r))
                    let partitions = r.topicStates.flatMap { t in
                        t.partitionStates.map {
                            StopReplicaResponse.StopReplicaPartitionError(
                                topicName: t.topicName, partitionIndex: $0.partitionIndex, errorCode: error)
                        }
                    }
                    StopReplicaResponse(errorCode: error, partitionErrors: partitions).writeWithHeader(
                        to: &buffer, correlationId: correlationId, version: version)
                default:
                    return connection.eventLoop.makeFailedFuture(KafkaWireError(.invalidValue, "unexpected"))
                }
                return connection.eventLoop.makeSucceededFuture(FjordNetwork.KafkaResponse(buffer))
            } catch {
                return connection.eventLoop.makeFailedFuture(error)
            }
        }

        /// KIP-380 checks; records the request either way.
        private func check(_ record: ControlRecord) -> Int16 {
            state.withLock { state in
                var error: Int16 = 0
                if record.controllerEpoch < state.highestControllerEpoch {
                    error = ControllerErrorCode.staleControllerEpoch.rawValue
                } else if record.brokerEpoch != state.epoch {
                    error = ControllerErrorCode.staleBrokerEpoch.rawValue
                } else {
                    state.highestControllerEpoch = record.controllerEpoch
                }
                state.received.append(Received(request: record, accepted: error == 0))
                return error
            }
        }
    }
}
