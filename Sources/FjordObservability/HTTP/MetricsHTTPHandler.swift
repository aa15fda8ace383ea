import NIOCore
import NIOHTTP1

/// Answers one HTTP/1.1 connection to the metrics endpoint:
/// - `GET /metrics` → 200, the Prometheus text exposition (format 0.0.4);
/// - `GET /health` → 200 `ok` or 503 with the reason (``HealthStatus``);
/// - `GET /` → 200, a list of the two paths; other paths → 404; methods other than GET and HEAD → 405.
/// Query strings are ignored. Request bodies are discarded. Keep-alive follows the request; a connection idle for
/// the configured read timeout is closed.
///
/// Owned by its channel's event loop (NIO's handler contract); not shared.
final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let metrics: FjordMetrics
    private let health: @Sendable () -> HealthStatus
    private var requestHead: HTTPRequestHead?

    init(metrics: FjordMetrics, health: @escaping @Sendable () -> HealthStatus) {
        self.metrics = metrics
        self.health = health
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestHead = head
        case .body:
            break
        case .end:
            guard let head = requestHead else { return }
            requestHead = nil
            respond(to: head, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let response: (HTTPResponseStatus, String, [UInt8])
        var extraHeaders: [(String, String)] = []
        if head.method != .GET && head.method != .HEAD {
            response = (.methodNotAllowed, "text/plain; charset=utf-8", Array("method not allowed\n".utf8))
            extraHeaders.append(("Allow", "GET, HEAD"))
        } else {
            switch path {
            case "/metrics":
                response = (.ok, "text/plain; version=0.0.4; charset=utf-8", metrics.exposition())
            case "/health", "/healthz":
                let status = health()
                response = (
                    status.isHealthy ? .ok : .serviceUnavailable, "text/plain; charset=utf-8",
                    Array((status.detail + "\n").utf8)
                )
            case "/":
                response = (.ok, "text/plain; charset=utf-8", Array("Fjord: /metrics /health\n".utf8))
            default:
                response = (.notFound, "text/plain; charset=utf-8", Array("not found\n".utf8))
            }
        }
        let keepAlive = head.isKeepAlive
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.1)
        headers.add(name: "Content-Length", value: String(response.2.count))
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.0, headers: headers))),
            promise: nil)
        if head.method != .HEAD {
            let body = context.channel.allocator.buffer(bytes: response.2)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
