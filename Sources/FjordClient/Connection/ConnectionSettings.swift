/// What every FjordClient connection needs to know; derived from the public configurations (``ProducerConfiguration``,
/// ``ConsumerConfiguration``, ``AdminConfiguration``), which carry the same settings under Kafka's names.
struct ConnectionSettings: Sendable, Hashable {
    /// `bootstrap.servers`: where to fetch the first metadata from.
    var bootstrapServers: [BrokerAddress]
    /// `client.id`: sent in every request header; brokers log it and show it in group descriptions.
    var clientId: String
    /// `request.timeout.ms`: how long to wait for a response before failing the request and closing the connection.
    var requestTimeout: Duration
    /// `socket.connection.setup.timeout.ms`.
    var connectTimeout: Duration
    /// `reconnect.backoff.ms` / `reconnect.backoff.max.ms`: the wait before reconnecting to a broker, doubled after
    /// each failure up to the maximum, with ±20% jitter.
    var reconnectBackoff: Duration
    var reconnectBackoffMax: Duration
    /// `metadata.max.age.ms`: metadata older than this is refreshed even without an error.
    var metadataMaxAge: Duration
    /// The largest response frame accepted; a larger size prefix closes the connection before the frame is read.
    var maxResponseSizeBytes: Int
    /// `allow.auto.create.topics`: whether metadata requests may create missing topics (the broker decides too).
    var allowAutoTopicCreation: Bool

    init(
        bootstrapServers: [BrokerAddress], clientId: String, requestTimeout: Duration = .seconds(30),
        connectTimeout: Duration = .seconds(10), reconnectBackoff: Duration = .milliseconds(50),
        reconnectBackoffMax: Duration = .seconds(1), metadataMaxAge: Duration = .seconds(300),
        maxResponseSizeBytes: Int = 128 << 20, allowAutoTopicCreation: Bool = false
    ) {
        self.bootstrapServers = bootstrapServers
        self.clientId = clientId
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.reconnectBackoff = reconnectBackoff
        self.reconnectBackoffMax = reconnectBackoffMax
        self.metadataMaxAge = metadataMaxAge
        self.maxResponseSizeBytes = maxResponseSizeBytes
        self.allowAutoTopicCreation = allowAutoTopicCreation
    }
}

extension Duration {
    /// Whole nanoseconds, saturating at `Int64.max`.
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? Int64.min : Int64.max }
        return ns &+ attoseconds / 1_000_000_000
    }

    /// Whole milliseconds, saturating at `Int32.max` (the width of Kafka's `*_ms` request fields).
    var millisecondsInt32: Int32 { Int32(clamping: nanosecondsClamped / 1_000_000) }
}
