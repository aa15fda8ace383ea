import FjordNetwork
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A stand-in for the controller's RPC listener: answers ApiVersions and ControlledShutdown (success, nothing
/// remaining) and records the ControlledShutdown requests it got.
final class FakeController: KafkaRequestProcessor {
    let server: Mutex<KafkaServer?> = Mutex(nil)
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let received = Mutex<[ControlledShutdownRequest]>([])

    var shutdownRequests: [ControlledShutdownRequest] { received.withLock { $0 } }
    var port: Int { server.withLock { $0!.listeners[0].port } }

    static func start() async throws -> FakeController {
        let controller = FakeController()
        var logger = Logger(label: "fake-controller")
        logger.logLevel = .critical
        let server = try await KafkaServer.start(
            listeners: [("CONTROLLER", "127.0.0.1", 0)], group: controller.group, configuration: .init(),
            processor: controller, logger: logger)
        controller.server.withLock { $0 = server }
        return controller
    }

    func mayPipeline(apiKey: Int16) -> Bool { false }

    func process(_ request: RequestFrame, connection: ConnectionInfo) -> EventLoopFuture<FjordNetwork.KafkaResponse?> {
        do {
            let frame = try KafkaRequestFrame(parsing: request.buffer, limits: .default)
            var out = ByteBuffer()
            switch try frame.decodeBody(limits: .default) {
            case .apiVersions:
                ApiVersionsResponse(apiKeys: [
                    .init(apiKey: 18, minVersion: 0, maxVersion: 3), .init(apiKey: 7, minVersion: 0, maxVersion: 3),
                    .init(apiKey: 56, minVersion: 0, maxVersion: 3),
                ]).writeWithHeader(to: &out, correlationId: frame.header.correlationId, version: frame.apiVersion)
            case .controlledShutdown(let r):
                received.withLock { $0.append(r) }
                ControlledShutdownResponse(errorCode: 0).writeWithHeader(
                    to: &out, correlationId: frame.header.correlationId, version: frame.apiVersion)
            default:
                return connection.eventLoop.makeFailedFuture(KafkaClientError.connectionClosed)
            }
            return connection.eventLoop.makeSucceededFuture(FjordNetwork.KafkaResponse(out))
        } catch {
            return connection.eventLoop.makeFailedFuture(error)
        }
    }

    func stop() async {
        let server = self.server.withLock { $0 }
        await server?.stopAccepting()
        try? await group.shutdownGracefully()
    }
}
