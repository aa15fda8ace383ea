import NIOCore

/// What a server hands each request to. The broker and the controller each implement one.
public protocol KafkaRequestProcessor: Sendable {
    /// Whether a request with this API key may start while earlier requests on the same connection are still
    /// being answered. Data-path requests (Produce, Fetch) pipeline; requests whose side effects a client may
    /// depend on in order (group, admin) wait until everything before them has completed. Responses are always
    /// written in request order.
    func mayPipeline(apiKey: Int16) -> Bool

    /// Handles one request. Called on the connection's event loop. The future completes with the response, or with
    /// nil when none is sent (a Produce with acks=0). A failed future closes the connection: use it for input that
    /// cannot be answered (a malformed header or body), never for errors the protocol can express.
    func process(_ request: RequestFrame, connection: ConnectionInfo) -> EventLoopFuture<KafkaResponse?>

    /// Called once when a connection closes (on its event loop).
    func connectionClosed(_ connection: ConnectionInfo)
}

extension KafkaRequestProcessor {
    public func connectionClosed(_ connection: ConnectionInfo) {}
}

/// Facts about one accepted connection.
public struct ConnectionInfo: Sendable, CustomStringConvertible {
    /// A process-unique number for this connection.
    public var id: UInt64
    /// The listener the connection arrived on (`PLAINTEXT`, `INTERNAL`, …).
    public var listenerName: String
    public var remoteAddress: SocketAddress?
    public var eventLoop: any EventLoop
    /// The channel, for handlers that must close it or check that it is still open.
    public var channel: any Channel

    public var description: String {
        "connection \(id) on \(listenerName) from \(remoteAddress.map { "\($0)" } ?? "?")"
    }
}
