import KafkaProtocol
import NIOCore

/// The broker side of the admin APIs the controller process owns (ElectLeaders, the partition reassignments): the
/// request goes unchanged to the active controller over ``BrokerControllerChannel`` and its answer is relayed. When
/// the controller cannot be reached the client gets `unreachable(.notController)`, which it treats as retriable.
enum ControllerForwarding {
    /// Forwards `request` at a version in `versions`, giving the controller the request's own `timeoutMs` plus 5 s.
    static func forward<R: KafkaRequest>(
        _ request: R, versions: ClosedRange<Int16>, timeoutMs: Int32, _ context: RequestContext,
        _ broker: BrokerContext, unreachable: @escaping @Sendable (ErrorCode) -> R.Response
    ) -> EventLoopFuture<HandlerOutput> {
        context.eventLoop.makeFutureWithTask {
            do {
                let response = try await broker.controllerChannel.send(
                    request, preferred: versions, timeoutMs: Int64(max(timeoutMs, 0)) + 5_000)
                return .message(response)
            } catch {
                broker.logger.debug("\(R.apiKey.name) not forwarded", metadata: ["error": "\(error)"])
                return .message(unreachable(.notController))
            }
        }
    }
}
