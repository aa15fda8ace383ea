import FjordNetwork
import FjordObservability
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
///
/// Metrics: each request counts under its API and version with its latency until the answer (which includes the
/// wait in the event queue), and a non-zero top-level error code of the answer counts as an error.
struct ControllerRequestProcessor: KafkaRequestProcessor {
    let queue: ControllerEventQueue
    let logger: Logger
    let metrics: RequestMetrics
    let limits = DecodeLimits()

    func mayPipeline(apiKey: Int16) -> Bool { false }

    func process(_ request: RequestFrame, connection: ConnectionInfo) -> EventLoopFuture<FjordNetwork.KafkaResponse?> {
        let eventLoop = connection.eventLoop
        let started = NIODeadline.now()
        let api = metrics.api(request.apiKey)
        let frame: KafkaRequestFrame
        do {
            frame = try KafkaRequestFrame(parsing: request.buffer, limits: limits)
        } catch {
            api.record(version: request.apiVersion, durationNanoseconds: 0)
            return eventLoop.makeFailedFuture(error)
        }
        let version = frame.apiVersion
        let correlationId = frame.header.correlationId
        if frame.apiKey == .apiVersions {
            let supported = ApiVersionsHandler.versions.contains(version)
            let response = ApiVersionsHandler.response(
                errorCode: supported ? 0 : ControllerErrorCode.unsupportedVersion.rawValue)
            api.record(
                version: version, durationNanoseconds: Self.elapsedNanoseconds(since: started),
                errorCode: response.errorCode)
            return eventLoop.makeSucceededFuture(
                encode(response, correlationId: correlationId, version: supported ? version : 0))
        }
        guard let served = ApiVersionsHandler.served(frame.apiKey), served.contains(version) else {
            logger.debug(
                "unsupported request on controller listener",
                metadata: ["api": "\(frame.apiKey)", "version": "\(version)"])
            api.record(version: version, durationNanoseconds: Self.elapsedNanoseconds(since: started))
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
        let respond: @Sendable (ControllerReply) -> any KafkaProtocol.KafkaResponse
        switch body {
        case .alterPartition(let r):
            event = AlterPartitionHandler.event(r, version: version)
            respond = { AlterPartitionHandler.response($0, version: version) }
        case .controlledShutdown(let r):
            event = ControlledShutdownHandler.event(r, version: version)
            respond = { ControlledShutdownHandler.response($0) }
        case .alterPartitionReassignments(let r):
            event = PartitionReassignmentHandlers.alterEvent(r)
            respond = { PartitionReassignmentHandlers.alterResponse($0, request: r) }
        case .listPartitionReassignments(let r):
            event = PartitionReassignmentHandlers.listEvent(r)
            respond = { PartitionReassignmentHandlers.listResponse($0) }
        case .electLeaders(let r):
            event = ElectLeadersHandler.event(r, version: version)
            respond = { ElectLeadersHandler.response($0) }
        default:
            return eventLoop.makeFailedFuture(KafkaWireError(.invalidValue, "unexpected \(frame.apiKey)"))
        }
        queue.put(
            .request(
                event,
                reply: { reply in
                    let message = respond(reply)
                    api.recordTopLevelError(of: message)
                    api.record(version: version, durationNanoseconds: Self.elapsedNanoseconds(since: started))
                    promise.succeed(encode(message, correlationId: correlationId, version: version))
                }))
        return promise.futureResult
    }

    /// Nanoseconds from `start` to now (monotonic).
    static func elapsedNanoseconds(since start: NIODeadline) -> UInt64 {
        UInt64(max(0, (NIODeadline.now() - start).nanoseconds))
    }

    private func encode(_ message: any KafkaProtocol.KafkaResponse, correlationId: Int32, version: Int16)
        -> FjordNetwork.KafkaResponse
    {
        var buffer = ByteBufferAllocator().buffer(capacity: 128)
        message.writeWithHeader(to: &buffer, correlationId: correlationId, version: version)
        return FjordNetwork.KafkaResponse(buffer)
    }
}
