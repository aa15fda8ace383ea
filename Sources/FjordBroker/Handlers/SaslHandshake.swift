import KafkaProtocol
import NIOCore

/// SaslHandshake (key 17), served 0–1 but not advertised: SASL is not enabled, so every mechanism is answered with
/// UNSUPPORTED_SASL_MECHANISM and an empty mechanism list (Kafka's answer on a listener without SASL lists the
/// enabled mechanisms; there are none).
enum SaslHandshakeHandler {
    static func handle(
        _ request: SaslHandshakeRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        context.eventLoop.makeSucceededFuture(.message(errorResponse(request, error: .unsupportedSaslMechanism)))
    }

    static func errorResponse(_ request: SaslHandshakeRequest, error: ErrorCode) -> SaslHandshakeResponse {
        SaslHandshakeResponse(errorCode: error.rawValue, mechanisms: [])
    }
}
