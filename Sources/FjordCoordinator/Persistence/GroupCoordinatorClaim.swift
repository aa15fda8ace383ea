import FjordModel

/// The content of a group's `owner` (ephemeral) and `epoch` (persistent) znodes: which broker claimed the group.
///
/// `coordinatorEpoch` is the version the `epoch` znode has after the claim; the znode version, not this field, is
/// what fences writes (see docs/group-coordinator.md). The field is there for people reading ZooKeeper.
public struct GroupCoordinatorClaim: Codable, Hashable, Sendable {
    public var version: Int = 1
    public var brokerID: Int32
    public var brokerEpoch: Int64
    public var coordinatorEpoch: Int32

    enum CodingKeys: String, CodingKey {
        case version
        case brokerID = "broker_id"
        case brokerEpoch = "broker_epoch"
        case coordinatorEpoch = "coordinator_epoch"
    }

    public init(broker: BrokerID, brokerEpoch: BrokerEpoch, coordinatorEpoch: Int32) {
        self.brokerID = broker.rawValue
        self.brokerEpoch = brokerEpoch.rawValue
        self.coordinatorEpoch = coordinatorEpoch
    }

    public var broker: BrokerID { BrokerID(brokerID) }
    public var epochOfBroker: BrokerEpoch { BrokerEpoch(brokerEpoch) }
}
