import FjordModel

/// The content of the ephemeral `/brokers/ids/<id>` znode (Kafka's version 5 layout plus one Fjord field).
///
/// The znode's creation zxid is the broker epoch; it is not stored in the JSON (read it from the znode's stat).
public struct BrokerRegistration: Codable, Hashable, Sendable {
    public var version: Int = 5
    /// The first endpoint's host and port, as Kafka writes them for old readers.
    public var host: String
    public var port: Int
    /// Advertised endpoints, `NAME://host:port`.
    public var endpoints: [String]
    public var listenerSecurityProtocolMap: [String: String]
    public var rack: String?
    /// Milliseconds since the epoch, as a string (Kafka's format).
    public var timestamp: String
    public var jmxPort: Int = -1
    /// The listener other brokers and the controller use to reach this broker (Fjord; `inter.broker.listener.name`).
    public var interBrokerListener: String

    enum CodingKeys: String, CodingKey {
        case version, host, port, endpoints, rack, timestamp
        case listenerSecurityProtocolMap = "listener_security_protocol_map"
        case jmxPort = "jmx_port"
        case interBrokerListener = "fjord_inter_broker_listener"
    }

    public init(endpoints: [Endpoint], interBrokerListener: String, rack: String?, timestamp: TimestampMs) {
        self.host = endpoints.first?.host ?? ""
        self.port = endpoints.first?.port ?? -1
        self.endpoints = endpoints.map(\.description)
        self.listenerSecurityProtocolMap = Dictionary(
            endpoints.map { ($0.listenerName, "PLAINTEXT") }, uniquingKeysWith: { a, _ in a })
        self.rack = rack
        self.timestamp = String(timestamp.rawValue)
        self.interBrokerListener = interBrokerListener
    }

    /// Parsed advertised endpoints (malformed entries skipped).
    public var parsedEndpoints: [Endpoint] { endpoints.compactMap(Endpoint.init(parsing:)) }

    /// The endpoint for a listener name, if the broker advertises one.
    public func endpoint(listener: String) -> Endpoint? {
        parsedEndpoints.first { $0.listenerName == listener.uppercased() }
    }

    /// The endpoint the controller and other brokers connect to.
    public var interBrokerEndpoint: Endpoint? { endpoint(listener: interBrokerListener) ?? parsedEndpoints.first }
}

/// A live broker as the controller and metadata caches know it.
public struct LiveBroker: Hashable, Sendable {
    public var id: BrokerID
    public var epoch: BrokerEpoch
    public var registration: BrokerRegistration

    public init(id: BrokerID, epoch: BrokerEpoch, registration: BrokerRegistration) {
        self.id = id
        self.epoch = epoch
        self.registration = registration
    }
}
