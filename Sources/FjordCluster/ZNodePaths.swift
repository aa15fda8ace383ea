import FjordModel

/// Every ZooKeeper path Fjord uses, relative to the chroot given in `zookeeper.connect` (default `/fjord`).
///
/// Paths and their JSON follow Kafka's ZooKeeper layout where the concept is the same, so `zkCli.sh` habits carry
/// over (docs/zookeeper-layout.md). Who writes what:
/// - brokers: their own `/brokers/ids/<id>`; topic assignments for CreateTopics/CreatePartitions; admin requests;
///   consumer-group state for the groups they coordinate.
/// - the active controller: `/controller`, `/controller_epoch`, every partition `state`, topic deletion.
public enum ZNodePaths {
    public static let clusterId = "/cluster/id"
    public static let brokers = "/brokers"
    public static let brokerIds = "/brokers/ids"
    public static let brokerTopics = "/brokers/topics"
    public static let controller = "/controller"
    public static let controllerEpoch = "/controller_epoch"
    public static let config = "/config"
    public static let topicConfigs = "/config/topics"
    public static let brokerConfigs = "/config/brokers"
    public static let admin = "/admin"
    public static let deleteTopics = "/admin/delete_topics"
    public static let reassignPartitions = "/admin/reassign_partitions"
    public static let preferredReplicaElection = "/admin/preferred_replica_election"
    public static let consumerGroups = "/consumer_groups"
    /// The monotonically growing block of producer ids brokers claim from (Kafka's `/latest_producer_id_block`).
    public static let latestProducerIdBlock = "/latest_producer_id_block"

    /// Persistent parents created on first start, in creation order.
    public static let persistentRoots = [
        "/cluster", brokers, brokerIds, brokerTopics, config, topicConfigs, brokerConfigs, admin, deleteTopics,
        consumerGroups,
    ]

    public static func broker(_ id: BrokerID) -> String { "\(brokerIds)/\(id.rawValue)" }
    public static func topic(_ topic: TopicName) -> String { "\(brokerTopics)/\(topic.rawValue)" }
    public static func partitions(_ topic: TopicName) -> String { "\(brokerTopics)/\(topic.rawValue)/partitions" }
    public static func partition(_ tp: TopicPartition) -> String {
        "\(partitions(tp.topic))/\(tp.partition.rawValue)"
    }
    public static func partitionState(_ tp: TopicPartition) -> String { "\(partition(tp))/state" }
    public static func topicConfig(_ topic: TopicName) -> String { "\(topicConfigs)/\(topic.rawValue)" }
    public static func deleteTopic(_ topic: TopicName) -> String { "\(deleteTopics)/\(topic.rawValue)" }

    public static func group(_ group: String) -> String { "\(consumerGroups)/\(group)" }
    public static func groupOwner(_ group: String) -> String { "\(consumerGroups)/\(group)/owner" }
    public static func groupMetadata(_ group: String) -> String { "\(consumerGroups)/\(group)/metadata" }
    public static func groupOffsets(_ group: String) -> String { "\(consumerGroups)/\(group)/offsets" }
}
