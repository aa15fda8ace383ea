import FjordCoordinator
import FjordReplication
import FjordStorage
import Logging
import NIOCore
import NIOPosix

extension BrokerContext {
    /// Builds the context with its replica manager, wired to the session (epoch, fencing), the metadata cache
    /// (other brokers' endpoints), the topic configs and the controller channel.
    ///
    /// - Parameters:
    ///   - metrics: where the broker's metrics go; the replica manager reports into it.
    ///   - isFenced: overrides the fence (default: the session must be assumed lost), for tests that run a broker
    ///     without ZooKeeper.
    public static func assemble(
        config: BrokerConfig, metadataCache: MetadataCache, session: BrokerSession,
        controllerChannel: BrokerControllerChannel, topicConfigs: TopicConfigStore, logManager: LogManager,
        producerIDs: ProducerIdManager, group: any EventLoopGroup, blockingPool: NIOThreadPool, logger: Logger,
        metrics: BrokerMetrics = BrokerMetrics(), isFenced: (@Sendable () -> Bool)? = nil
    ) -> BrokerContext {
        let fenced = isFenced ?? { session.mustAssumeSessionLost() }
        let replicaManager = ReplicaManager(
            config: ReplicaManagerConfig(config), logManager: logManager, eventLoopGroup: group,
            controller: controllerChannel,
            endpoints: MetadataEndpointResolver(cache: metadataCache, listener: config.interBrokerListenerName),
            brokerEpoch: { session.brokerEpoch }, topicConfig: { topicConfigs.logConfig(for: $0) },
            minInsyncReplicas: { topicConfigs.minInsyncReplicas(for: $0) },
            isFenced: fenced, observer: metrics.replicationObserver, logger: logger)
        return BrokerContext(
            config: config, metadataCache: metadataCache, session: session, controllerChannel: controllerChannel,
            topicConfigs: topicConfigs, logManager: logManager, producerIdManager: producerIDs,
            replicaManager: replicaManager, eventLoopGroup: group, blockingPool: blockingPool, metrics: metrics,
            logger: logger)
    }
}
