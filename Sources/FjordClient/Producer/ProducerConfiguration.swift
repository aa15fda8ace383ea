import KafkaWire

/// A producer's settings. Property names follow Kafka's producer configuration (the Kafka name is given for each);
/// ``init(bootstrapServers:properties:)`` reads them from `key=value` strings as Kafka's tools take them.
public struct ProducerConfiguration: Sendable, Hashable {
    /// `acks`: how many replicas must have the records before the broker acknowledges them.
    public enum Acks: Int16, Sendable, Hashable, CustomStringConvertible {
        /// `acks=0`: no acknowledgement; the broker sends no response and offsets are unknown (-1).
        case none = 0
        /// `acks=1`: the leader has appended the records.
        case leader = 1
        /// `acks=all` (-1): every in-sync replica has the records.
        case all = -1

        public var description: String { self == .all ? "all" : String(rawValue) }

        /// Parses `0`, `1`, `all` or `-1`.
        public init?(parsing text: String) {
            switch text.lowercased() {
            case "0": self = .none
            case "1": self = .leader
            case "all", "-1": self = .all
            default: return nil
            }
        }
    }

    /// `bootstrap.servers`.
    public var bootstrapServers: [BrokerAddress]
    /// `client.id`.
    public var clientId: String = "fjord-producer"
    /// `acks` (default `all`, as in Kafka 3.0+).
    public var acks: Acks = .all
    /// `linger.ms`: how long a batch may wait for more records before it is sent (default 5 ms, Kafka 4.0's).
    public var linger: Duration = .milliseconds(5)
    /// `batch.size`: the most bytes (before compression, the batch header included) a partition's batch holds; a
    /// full batch is sent without waiting for `linger.ms`. Capped at ``maxRequestSize``. The default
    /// is librdkafka's (1,000,000 bytes; the Java client's is 16384): fewer, larger requests are what lets a broker
    /// keep up (measured in docs/client.md). A batch's buffer grows with its records, so a large `batch.size`
    /// costs memory only for records actually waiting.
    public var batchSize: Int = 1_000_000
    /// `compression.type`.
    public var compression: CompressionCodec = .none
    /// `compression.<codec>.level`; nil for the codec's default.
    public var compressionLevel: Int? = nil
    /// `enable.idempotence`. nil is Kafka's default: on, unless `acks`, `retries` or
    /// `max.in.flight.requests.per.connection` contradict it, in which case it is silently off. `true` with a
    /// contradicting setting is a configuration error.
    public var enableIdempotence: Bool? = nil
    /// `retries`: how often a batch is resent after a retriable error (bounded by ``deliveryTimeout`` too).
    public var retries: Int = Int(Int32.max)
    /// `delivery.timeout.ms`: the time from `send` until success or failure, retries included.
    public var deliveryTimeout: Duration = .seconds(120)
    /// `request.timeout.ms`: how long to wait for a produce response (also sent as the request's timeout).
    public var requestTimeout: Duration = .seconds(30)
    /// `retry.backoff.ms`: the wait before resending a batch.
    public var retryBackoff: Duration = .milliseconds(100)
    /// `max.in.flight.requests.per.connection`: unanswered produce requests per broker (at most 5 with idempotence,
    /// which keeps order with up to 5).
    public var maxInFlightRequestsPerConnection: Int = 5
    /// `buffer.memory`: bytes of records waiting to be sent; `send` waits (up to ``maxBlock``) when full.
    public var bufferMemory: Int = 32 << 20
    /// `max.request.size`: the largest produce request, and so the largest record.
    public var maxRequestSize: Int = 1 << 20
    /// `max.block.ms`: how long `send` waits for metadata or buffer space before failing.
    public var maxBlock: Duration = .seconds(60)
    /// `metadata.max.age.ms`.
    public var metadataMaxAge: Duration = .seconds(300)
    /// `reconnect.backoff.ms` / `reconnect.backoff.max.ms`.
    public var reconnectBackoff: Duration = .milliseconds(50)
    public var reconnectBackoffMax: Duration = .seconds(1)
    /// `socket.connection.setup.timeout.ms`.
    public var connectTimeout: Duration = .seconds(10)
    /// `allow.auto.create.topics`: whether the producer's metadata requests may create a missing topic (the broker's
    /// `auto.create.topics.enable` must allow it too).
    public var allowAutoTopicCreation: Bool = true

    public init(bootstrapServers: [BrokerAddress]) {
        self.bootstrapServers = bootstrapServers
    }

    /// A configuration from Kafka property strings (`acks=all`, `linger.ms=5`…) over the defaults.
    ///
    /// - Throws: `.configuration` for an unknown property or a value that does not parse.
    public init(bootstrapServers: [BrokerAddress], properties: [String: String]) throws(KafkaClientError) {
        self.init(bootstrapServers: bootstrapServers)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            try apply(key, value)
        }
    }

    /// Whether the producer will be idempotent, after Kafka's defaulting rules.
    public var isIdempotent: Bool {
        if let explicit = enableIdempotence { return explicit }
        return acks == .all && retries > 0 && maxInFlightRequestsPerConnection <= 5
    }

    /// Checks the settings against each other the way Kafka's `ProducerConfig` does.
    ///
    /// - Throws: `.configuration` naming the setting and what to change.
    public func validate() throws(KafkaClientError) {
        func fail(_ message: String) -> KafkaClientError { KafkaClientError(.configuration, message) }
        guard !bootstrapServers.isEmpty else { throw fail("bootstrap.servers is empty; give at least one host:port") }
        guard batchSize >= 0 else { throw fail("batch.size must be >= 0") }
        guard maxInFlightRequestsPerConnection >= 1 else {
            throw fail("max.in.flight.requests.per.connection must be >= 1")
        }
        guard retries >= 0 else { throw fail("retries must be >= 0") }
        guard bufferMemory > 0, maxRequestSize > 0 else { throw fail("buffer.memory and max.request.size must be > 0") }
        guard linger >= .zero, requestTimeout > .zero, deliveryTimeout > .zero else {
            throw fail("linger.ms must be >= 0; request.timeout.ms and delivery.timeout.ms must be > 0")
        }
        guard deliveryTimeout >= linger + requestTimeout else {
            throw fail(
                "delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms; "
                    + "raise delivery.timeout.ms or lower the others")
        }
        if enableIdempotence == true {
            guard acks == .all else {
                throw fail(
                    "Must set acks to all in order to use the idempotent producer; set acks=all or enable.idempotence=false"
                )
            }
            guard maxInFlightRequestsPerConnection <= 5 else {
                throw fail(
                    "Must set max.in.flight.requests.per.connection to at most 5 to use the idempotent producer")
            }
            guard retries > 0 else { throw fail("Must set retries to non-zero when using the idempotent producer") }
        }
    }

    /// Applies one Kafka producer property.
    public mutating func apply(_ key: String, _ value: String) throws(KafkaClientError) {
        func bad() -> KafkaClientError {
            KafkaClientError(.configuration, "invalid value \"\(value)\" for producer property \(key)")
        }
        func int() throws(KafkaClientError) -> Int {
            guard let v = Int(value.trimmingWhitespace()) else { throw bad() }
            return v
        }
        func ms() throws(KafkaClientError) -> Duration { .milliseconds(try int()) }
        switch key {
        case "bootstrap.servers": bootstrapServers = try BrokerAddress.parseList(value)
        case "client.id": clientId = value
        case "acks":
            guard let a = Acks(parsing: value) else { throw bad() }
            acks = a
        case "linger.ms": linger = try ms()
        case "batch.size": batchSize = try int()
        case "compression.type":
            guard let c = CompressionCodec.parse(value) else { throw bad() }
            compression = c
        case "compression.gzip.level", "compression.lz4.level", "compression.zstd.level": compressionLevel = try int()
        case "enable.idempotence":
            guard let b = Bool(value.lowercased()) else { throw bad() }
            enableIdempotence = b
        case "retries": retries = try int()
        case "delivery.timeout.ms": deliveryTimeout = try ms()
        case "request.timeout.ms": requestTimeout = try ms()
        case "retry.backoff.ms": retryBackoff = try ms()
        case "max.in.flight.requests.per.connection": maxInFlightRequestsPerConnection = try int()
        case "buffer.memory": bufferMemory = try int()
        case "max.request.size": maxRequestSize = try int()
        case "max.block.ms": maxBlock = try ms()
        case "metadata.max.age.ms": metadataMaxAge = try ms()
        case "reconnect.backoff.ms": reconnectBackoff = try ms()
        case "reconnect.backoff.max.ms": reconnectBackoffMax = try ms()
        case "socket.connection.setup.timeout.ms": connectTimeout = try ms()
        case "allow.auto.create.topics":
            guard let b = Bool(value.lowercased()) else { throw bad() }
            allowAutoTopicCreation = b
        default:
            throw KafkaClientError(.configuration, "unknown producer property \(key)")
        }
    }

    var connectionSettings: ConnectionSettings {
        ConnectionSettings(
            bootstrapServers: bootstrapServers, clientId: clientId, requestTimeout: requestTimeout,
            connectTimeout: connectTimeout, reconnectBackoff: reconnectBackoff,
            reconnectBackoffMax: reconnectBackoffMax, metadataMaxAge: metadataMaxAge,
            allowAutoTopicCreation: allowAutoTopicCreation)
    }
}

extension CompressionCodec {
    /// Parses Kafka's `compression.type` names: none, gzip, snappy, lz4, zstd.
    public static func parse(_ text: String) -> CompressionCodec? {
        allCases.first { $0.description == text.lowercased() }
    }
}
