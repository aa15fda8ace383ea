import FjordCluster
import FjordCoordinator
import FjordModel
import FjordReplication
import FjordStorage
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Everything the request handlers share: configuration, the metadata cache, the ZooKeeper session, the controller
/// channel and the subsystems (replica manager, group coordinator, producer ids).
///
/// Immutable references plus a few values behind `Mutex`es: the cluster id (read at registration), the group
/// coordinator (created once the first session is registered), and the highest controller epoch seen in a control
/// request (the fence for stale controllers).
public final class BrokerContext: Sendable {
    public let config: BrokerConfig
    public let metadataCache: MetadataCache
    public let session: BrokerSession
    public let controllerChannel: BrokerControllerChannel
    public let topicConfigs: TopicConfigStore
    public let logManager: LogManager
    public let producerIdManager: ProducerIdManager
    public let versionTable: ApiVersionTable
    public let logger: Logger
    public let eventLoopGroup: any EventLoopGroup
    /// Runs blocking work (log creation and deletion, index lookups) off the event loops and the cooperative pool.
    public let blockingPool: NIOThreadPool
    /// The broker's metrics (request counts, per-topic bytes, partition gauges), served at `/metrics`.
    public let metrics: BrokerMetrics
    public let replicaManager: ReplicaManager

    private let mutable = Mutex(Mutable())

    private struct Mutable {
        var clusterID: String?
        var groupCoordinator: GroupCoordinator?
        var controllerEpoch = ControllerEpoch.none
    }

    public init(
        config: BrokerConfig, metadataCache: MetadataCache, session: BrokerSession,
        controllerChannel: BrokerControllerChannel, topicConfigs: TopicConfigStore, logManager: LogManager,
        producerIdManager: ProducerIdManager, replicaManager: ReplicaManager, eventLoopGroup: any EventLoopGroup,
        blockingPool: NIOThreadPool, metrics: BrokerMetrics = BrokerMetrics(), logger: Logger
    ) {
        self.config = config
        self.metadataCache = metadataCache
        self.session = session
        self.controllerChannel = controllerChannel
        self.topicConfigs = topicConfigs
        self.logManager = logManager
        self.producerIdManager = producerIdManager
        self.replicaManager = replicaManager
        self.eventLoopGroup = eventLoopGroup
        self.blockingPool = blockingPool
        self.metrics = metrics
        self.versionTable = .fjord
        self.logger = logger
    }

    public var brokerID: BrokerID { config.brokerID }

    /// The cluster id from `/cluster/id`, nil before registration.
    public var clusterID: String? {
        get { mutable.withLock { $0.clusterID } }
        set { mutable.withLock { $0.clusterID = newValue } }
    }

    /// The group coordinator, nil until the broker has registered.
    public var groupCoordinator: GroupCoordinator? {
        get { mutable.withLock { $0.groupCoordinator } }
        set { mutable.withLock { $0.groupCoordinator = newValue } }
    }

    /// Fences control requests: accepts `epoch` if it is at least the highest seen (and records it), else returns
    /// false (STALE_CONTROLLER_EPOCH).
    public func admitControllerEpoch(_ epoch: ControllerEpoch) -> Bool {
        mutable.withLock { state in
            guard epoch >= state.controllerEpoch else { return false }
            state.controllerEpoch = epoch
            return true
        }
    }

    /// The highest controller epoch seen in a control request.
    public var highestControllerEpoch: ControllerEpoch { mutable.withLock { $0.controllerEpoch } }

    /// Whether a control request's broker epoch is stale: older than this broker's registration (Kafka's
    /// `isBrokerEpochStale`; -1 means the sender did not say). A newer epoch is accepted: the controller can learn
    /// the new registration before this broker's own create call returns.
    public func isBrokerEpochStale(_ epoch: Int64) -> Bool {
        guard epoch >= 0 else { return false }
        return epoch < session.brokerEpoch.rawValue
    }
}
