import FjordCluster
import FjordModel
import FjordNetwork
import Logging
import NIOCore

/// Sends control requests to one broker incarnation, strictly in order (Kafka's `RequestSendThread`).
///
/// Each request is sent and its answer awaited before the next; a request that fails (no connection, timeout) is
/// retried on a new connection with growing backoff (100 ms to 2 s) until it is answered or the channel stops. A
/// channel belongs to one broker epoch: when the broker restarts or dies the manager stops it, dropping whatever it
/// still held (the new incarnation gets its own channel and fresh requests). Requests are not sent once the
/// controller has stopped acting (``isFenced``).
actor BrokerChannel {
    typealias ResponseHandler = @Sendable (BrokerID, ControlRequest, Int16, [TopicPartition: Int16]) -> Void

    let broker: BrokerID
    let epoch: BrokerEpoch
    let endpoint: Endpoint
    private let group: any EventLoopGroup
    private let timeoutMs: Int64
    private let logger: Logger
    private let onResponse: ResponseHandler
    private let isFenced: @Sendable () -> Bool
    private var queue: [ControlRequest] = []
    private var connection: KafkaClientConnection?
    private var drainer: Task<Void, Never>?
    private var stopped = false

    init(
        broker: BrokerID, epoch: BrokerEpoch, endpoint: Endpoint, group: any EventLoopGroup, timeoutMs: Int64,
        logger: Logger, isFenced: @escaping @Sendable () -> Bool, onResponse: @escaping ResponseHandler
    ) {
        self.broker = broker
        self.epoch = epoch
        self.endpoint = endpoint
        self.group = group
        self.timeoutMs = timeoutMs
        self.logger = logger
        self.isFenced = isFenced
        self.onResponse = onResponse
    }

    /// Queues requests behind those already queued.
    func enqueue(_ requests: [ControlRequest]) {
        guard !stopped else { return }
        queue += requests
        if drainer == nil { drainer = Task { await self.drain() } }
    }

    /// Drops what is queued and closes the connection; waits for the sender to finish.
    func stop() async {
        stopped = true
        queue.removeAll()
        connection?.close()
        connection = nil
        let task = drainer
        task?.cancel()
        await task?.value
    }

    var queuedCount: Int { queue.count }

    private func drain() async {
        var backoffMs: UInt64 = 100
        while !stopped, !Task.isCancelled, let request = queue.first {
            if isFenced() {
                queue.removeAll()
                break
            }
            do {
                let (error, partitions) = try await send(request)
                guard !stopped else { break }
                queue.removeFirst()
                backoffMs = 100
                if error != 0 {
                    logger.warning(
                        "broker answered control request with an error",
                        metadata: ["broker": "\(broker)", "request": "\(request.name)", "error": "\(error)"])
                }
                onResponse(broker, request, error, partitions)
            } catch {
                connection?.close()
                connection = nil
                guard !stopped else { break }
                logger.debug(
                    "control request failed; retrying",
                    metadata: ["broker": "\(broker)", "request": "\(request.name)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(backoffMs))
                backoffMs = min(backoffMs * 2, 2_000)
            }
        }
        drainer = nil
        if !stopped && !queue.isEmpty && !isFenced() { drainer = Task { await self.drain() } }
    }

    private func send(_ request: ControlRequest) async throws -> (Int16, [TopicPartition: Int16]) {
        let connection = try await connected()
        let encoded = ControlRequestCodec.encode(request, allocator: connection.channel.allocator)
        let response = try await connection.send(
            apiKey: encoded.apiKey.rawValue, apiVersion: encoded.version, headerVersion: Int(encoded.headerVersion),
            timeoutMs: timeoutMs
        ) { buffer in
            var body = encoded.body
            buffer.writeBuffer(&body)
        }.get()
        return try ControlRequestCodec.decodeResponse(request, response)
    }

    private func connected() async throws -> KafkaClientConnection {
        if let connection, connection.isActive { return connection }
        let fresh = try await KafkaClientConnection.connect(
            host: endpoint.host.isEmpty ? "127.0.0.1" : endpoint.host, port: endpoint.port, group: group,
            configuration: .init(connectTimeoutMs: min(timeoutMs, 5_000), clientId: "fjord-controller"))
        connection = fresh
        return fresh
    }
}
