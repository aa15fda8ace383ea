import FjordNetwork
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore

/// Serves brokers on the controller's RPC listener: AlterPartition, ControlledShutdown, AlterPartitionReassignments,
/// ListPartitionReassignments, ElectLeaders and ApiVersions (one handler file per API under `Handlers/`).
///
/// ApiVersions is answered on the connection's event loop. Every other request becomes an event on the controller's
/// queue and is answered when the event loop has handled it; a standby answers NOT_CONTROLLER. Requests on one
/// connection are handled one at a time, in order. An unknown API or version gets UNSUPPORTED_VERSION-style
/// treatment: ApiVersions answers with its v0 body and error 35; anything else closes the connection.
struct ControllerRequestProcessor: KafkaRequestProcessor {
    let queue: ControllerEventQueue
    let logger: Logger
    let limits = DecodeLimits()

    func mayPipeline(apiKey: Int16) -> Bool { false }

    func process(_ request: RequestFrame, connection: ConnectionInfo) -> EventLoopFuture<FjordNetwork.KafkaResponse?> {
        let eventLoop = connection.eventLoop
        let frame: KafkaRequestFrame
        do {
            frame = try KafkaRequestFrame(parsing: request.buffer, limits: limits)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let version = frame.apiVersion
        let correlationId = frame.header.correlationId
        if frame.apiKey == .apiVersions {
            let supported = ApiVersionsHandler.versions.contains(version)
            let response = ApiVersionsHandler.response(
                errorCode: supported ? 0 : ControllerErrorCode.unsupportedVersion.rawValue)
            return eventLoop.makeSucceededFuture(
                encode(response, correlationId: correlationId, version: supported ? version : 0))
        }
        guard let served = ApiVersionsHandler.served(frame.apiKey), served.contains(version) else {
            logger.debug(
                "unsupported request on controller listener",
                metadata: ["api": "\(frame.apiKey)", "version": "\(version)"])
            return eventLoop.makeFailedFuture(KafkaWireError(.invalidValue, "unsupported \(frame.apiKey) v\(version)"))
        }
        let body: KafkaRequestBody
        do {
            body = try frame.decodeBody(limits: limits)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let promise = eventLoop.makePromise(of: FjordNetwork.KafkaResponse?.self)
        let event: ControllerEvent
        let respond: @Sendable (ControllerReply) -> FjordNetwork.KafkaResponse
        switch body {
        case .alterPartition(let r):
            event = AlterPartitionHandler.event(r, version: version)
            respond = {
                encode(
                    AlterPartitionHandler.response($0, version: version), correlationId: correlationId, version: version
                )
            }
        case .controlledShutdown(let r):
            event = ControlledShutdownHandler.event(r, version: version)
            respond = { encode(ControlledShutdownHandler.response($0), correlationId: correlationId, version: version) }
        case .alterPartitionReassignments(let r):
            event = PartitionReassignmentHandlers.alterEvent(r)
            respond = {
                encode(
                    PartitionReassignmentHandlers.alterResponse($0, request: r), correlationId: correlationId,
                    version: version)
            }
        case .listPartitionReassignments(let r):
            event = PartitionReassignmentHandlers.listEvent(r)
            respond = {
                encode(PartitionReassignmentHandlers.listResponse($0), correlationId: correlationId, version: version)
            }
        case .electLeaders(let r):
            event = ElectLeadersHandler.event(r, version: version)
            respond = { encode(ElectLeadersHandler.response($0), correlationId: correlationId, version: version) }
        default:
            return eventLoop.makeFailedFuture(KafkaWireError(.invalidValue, "unexpected \(frame.apiKey)"))
        }
        queue.put(.request(event, reply: { reply in promise.succeed(respond(reply)) }))
        return promise.futureResult
    }

    private func encode<M: KafkaProtocol.KafkaResponse>(_ message: M, correlationId: Int32, version: Int16)
        -> FjordNetwork.KafkaResponse
    {
        var buffer = ByteBufferAllocator().buffer(capacity: 128)
        message.writeWithHeader(to: &buffer, correlationId: correlationId, version: version)
        return FjordNetwork.KafkaResponse(buffer)
    }
}
