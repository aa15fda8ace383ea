import FjordCluster
import FjordModel
import Logging
import NIOCore

/// One ``BrokerChannel`` per registered broker incarnation (Kafka's `ControllerChannelManager`).
///
/// Owned by the controller's event loop task. After every event the loop calls ``sync(_:)`` with the brokers the
/// core knows, which starts channels for new brokers and stops those of brokers that died or restarted, and then
/// ``send(_:)`` with the event's requests, which queues each broker's requests on its channel in order.
final class BrokerChannelManager {
    private var channels: [BrokerID: BrokerChannel] = [:]
    private let group: any EventLoopGroup
    private let timeoutMs: Int64
    private let logger: Logger
    private let isFenced: @Sendable () -> Bool
    private let onResponse: BrokerChannel.ResponseHandler

    init(
        group: any EventLoopGroup, timeoutMs: Int64, logger: Logger, isFenced: @escaping @Sendable () -> Bool,
        onResponse: @escaping BrokerChannel.ResponseHandler
    ) {
        self.group = group
        self.timeoutMs = timeoutMs
        self.logger = logger
        self.isFenced = isFenced
        self.onResponse = onResponse
    }

    /// Matches the channels to `brokers`: same id, epoch and endpoint keep their channel.
    func sync(_ brokers: [BrokerID: LiveBroker]) async {
        for (id, channel) in channels {
            let broker = brokers[id]
            if broker == nil || broker!.epoch != channel.epoch
                || broker!.registration.interBrokerEndpoint != channel.endpoint
            {
                channels[id] = nil
                await channel.stop()
            }
        }
        for (id, broker) in brokers where channels[id] == nil {
            guard let endpoint = broker.registration.interBrokerEndpoint else {
                logger.warning("broker has no inter-broker endpoint", metadata: ["broker": "\(id)"])
                continue
            }
            channels[id] = BrokerChannel(
                broker: id, epoch: broker.epoch, endpoint: endpoint, group: group, timeoutMs: timeoutMs,
                logger: logger, isFenced: isFenced, onResponse: onResponse)
        }
    }

    func send(_ requests: [BrokerControlRequests]) async {
        for entry in requests {
            guard let channel = channels[entry.broker] else { continue }
            await channel.enqueue(entry.requests)
        }
    }

    func stopAll() async {
        let all = channels.values
        channels.removeAll()
        for channel in all { await channel.stop() }
    }

    /// Requests not yet answered, for tests and metrics.
    func queuedCount() async -> Int {
        var total = 0
        for channel in channels.values { total += await channel.queuedCount }
        return total
    }
}
