import FjordNetwork
import FjordObservability
import FjordReplication
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore

/// The broker's ``KafkaRequestProcessor``: parses each frame, enforces versions and listeners, and hands the decoded
/// request to its handler in `Handlers/`.
///
/// Rules, in order (each a Kafka behaviour or a PROFILE.md trap):
/// 1. Fjord's replica fetch frames (a private API key) go to the ReplicaManager, on the inter-broker listener only.
/// 2. An API key Kafka 3.9 does not define, or a header that does not parse: the connection closes.
/// 3. Control APIs (LeaderAndIsr, UpdateMetadata, StopReplica) on any listener but the inter-broker one: closes.
/// 4. ApiVersions at a version the broker does not serve: a v0-format body with UNSUPPORTED_VERSION and
///    ApiVersions' own range, so the client retries lower (trap 1). Never parsed, never closed.
/// 5. Any other API outside ``ServedVersions``: an error response with UNSUPPORTED_VERSION encoded at the
///    requested version when a codec for it exists, else the connection closes.
/// 6. A body that does not decode: the connection closes (only that one).
///
/// Metrics (``BrokerMetrics/requests``): every request is counted under its API key and version with its latency
/// from here to the response being encoded (an array index by key; no lookup by name, no allocation beyond the
/// future callback the request has anyway); a response's top-level error code counts as an error. Requests that
/// close the connection count with their latency but no error code.
public final class BrokerRequestProcessor: KafkaRequestProcessor {
    public let broker: BrokerContext
    let limits: DecodeLimits

    public init(broker: BrokerContext) {
        self.broker = broker
        self.limits = DecodeLimits(maxBytesLength: broker.config.socketRequestMaxBytes)
    }

    public func mayPipeline(apiKey: Int16) -> Bool {
        if ServedVersions.pipelined.contains(apiKey) { return true }
        if apiKey == ReplicaFetchProtocol.apiKey { return true }
        return false
    }

    public func process(_ request: RequestFrame, connection: ConnectionInfo) -> EventLoopFuture<
        FjordNetwork.KafkaResponse?
    > {
        let eventLoop = connection.eventLoop
        let started = NIODeadline.now()
        let apiMetrics = broker.metrics.requests.api(request.apiKey)
        let interBroker = connection.listenerName == broker.config.interBrokerListenerName
        if request.apiKey == ReplicaFetchProtocol.apiKey {
            guard interBroker else {
                return reject("replica fetch on listener \(connection.listenerName)", eventLoop)
            }
            let version = request.apiVersion
            return broker.replicaManager.handleReplicaFetch(request, eventLoop: eventLoop).map { response in
                apiMetrics.record(version: version, durationNanoseconds: Self.elapsedNanoseconds(since: started))
                return response
            }
        }
        let frame: KafkaRequestFrame
        do {
            frame = try KafkaRequestFrame(parsing: request.buffer, limits: limits)
        } catch {
            apiMetrics.record(version: request.apiVersion, durationNanoseconds: 0)
            return reject("unparseable request header (api key \(request.apiKey)): \(error)", eventLoop)
        }
        let context = RequestContext(header: frame.header, apiKey: frame.apiKey, connection: connection)
        switch route(frame, context, interBroker: interBroker) {
        case .answered(let response):
            apiMetrics.record(version: frame.apiVersion, durationNanoseconds: Self.elapsedNanoseconds(since: started))
            return response
        case .dispatched(let output):
            return output.flatMapThrowing { [self] output in
                let encoded = encode(output, version: frame.apiVersion, context, metrics: apiMetrics)
                apiMetrics.record(
                    version: frame.apiVersion, durationNanoseconds: Self.elapsedNanoseconds(since: started))
                return encoded
            }
        }
    }

    /// Nanoseconds from `start` to now (monotonic).
    @inline(__always)
    static func elapsedNanoseconds(since start: NIODeadline) -> UInt64 {
        UInt64(max(0, (NIODeadline.now() - start).nanoseconds))
    }

    /// Where a request went: answered at once (a rejection, an unsupported version), or to its handler.
    private enum Routed {
        case answered(EventLoopFuture<FjordNetwork.KafkaResponse?>)
        case dispatched(EventLoopFuture<HandlerOutput>)
    }

    /// Rules 3-6 of the type's comment, then the handler.
    private func route(_ frame: KafkaRequestFrame, _ context: RequestContext, interBroker: Bool) -> Routed {
        let eventLoop = context.eventLoop
        let connection = context.connection
        if ServedVersions.controlAPIs.contains(frame.apiKey) && !interBroker {
            return .answered(reject("\(frame.apiKey.name) on listener \(connection.listenerName)", eventLoop))
        }
        if frame.apiKey == .apiVersions && !(ServedVersions.range(.apiVersions)!.contains(frame.apiVersion)) {
            let body = ApiVersionsHandler.unsupportedVersionResponse(broker.versionTable)
            return .answered(eventLoop.makeSucceededFuture(encode(.message(body), version: 0, context)))
        }
        guard let served = ServedVersions.range(frame.apiKey) else {
            return .answered(reject("\(frame.apiKey.name) is not served", eventLoop))
        }
        guard served.contains(frame.apiVersion) else {
            return .answered(unsupportedVersion(frame, context))
        }
        let body: KafkaRequestBody
        do {
            body = try frame.decodeBody(limits: limits)
        } catch {
            return .answered(reject("malformed \(frame.apiKey.name) v\(frame.apiVersion) body: \(error)", eventLoop))
        }
        return .dispatched(dispatch(body, context))
    }

    public func connectionClosed(_ connection: ConnectionInfo) {}

    // MARK: Helpers

    private func reject(_ reason: String, _ eventLoop: any EventLoop) -> EventLoopFuture<FjordNetwork.KafkaResponse?> {
        broker.logger.debug("closing connection", metadata: ["reason": "\(reason)"])
        return eventLoop.makeFailedFuture(RequestRejected(reason))
    }

    /// Answers a version the broker does not serve with UNSUPPORTED_VERSION in that version's format, or closes when
    /// no codec knows the version.
    private func unsupportedVersion(_ frame: KafkaRequestFrame, _ context: RequestContext) -> EventLoopFuture<
        FjordNetwork.KafkaResponse?
    > {
        let eventLoop = context.eventLoop
        guard frame.hasCodec, let body = try? frame.decodeBody(limits: limits),
            let response = ErrorResponses.response(for: body, version: frame.apiVersion, error: .unsupportedVersion)
        else {
            return reject("\(frame.apiKey.name) v\(frame.apiVersion) is not served", eventLoop)
        }
        return eventLoop.makeSucceededFuture(encode(.message(response), version: frame.apiVersion, context))
    }

    func encode(
        _ output: HandlerOutput, version: Int16, _ context: RequestContext, metrics: ApiRequestMetrics? = nil
    ) -> FjordNetwork.KafkaResponse? {
        switch output {
        case .none:
            return nil
        case .encoded(let response):
            return response
        case .message(let message):
            (metrics ?? broker.metrics.requests.api(context.apiKey.rawValue)).recordTopLevelError(of: message)
            if context.apiKey == .joinGroup { broker.metrics.observeJoinGroupResponse(message) }
            var buffer = context.connection.channel.allocator.buffer(capacity: 512)
            message.writeWithHeader(to: &buffer, correlationId: context.correlationId, version: version)
            return FjordNetwork.KafkaResponse(buffer)
        }
    }
}
