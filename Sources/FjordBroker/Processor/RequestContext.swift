import FjordNetwork
import KafkaProtocol
import KafkaWire
import NIOCore

/// One request being served: its header and the connection it came on.
public struct RequestContext: Sendable {
    public var header: RequestHeader
    public var apiKey: ApiKey
    public var connection: ConnectionInfo

    public init(header: RequestHeader, apiKey: ApiKey, connection: ConnectionInfo) {
        self.header = header
        self.apiKey = apiKey
        self.connection = connection
    }

    public var apiVersion: Int16 { header.apiVersion }
    public var correlationId: Int32 { header.correlationId }
    public var eventLoop: any EventLoop { connection.eventLoop }
    /// The listener the client connected on: Metadata and FindCoordinator answer with endpoints of this listener.
    public var listenerName: String { connection.listenerName }
    public var clientID: String { header.clientId ?? "" }
    /// The client's address as Kafka prints it in group descriptions (`/127.0.0.1`).
    public var clientHost: String {
        guard let address = connection.remoteAddress, let ip = address.ipAddress else { return "" }
        return "/\(ip)"
    }
}

/// What a handler produced.
public enum HandlerOutput: Sendable {
    /// A response message, encoded at the request's version with the matching response header.
    case message(any KafkaProtocol.KafkaResponse)
    /// A response already encoded (header included), e.g. a Fetch response with file parts.
    case encoded(FjordNetwork.KafkaResponse)
    /// No response (Produce with acks=0).
    case none
}

/// The request cannot be answered; the connection is closed (malformed input, an API on the wrong listener).
public struct RequestRejected: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
