import FjordModel

/// The content of `/brokers/topics/<t>/partitions/<p>/state`: leader, leader epoch and ISR.
///
/// Written only by the active controller, always with compare-and-set on the znode version (the partition epoch)
/// inside a `multi` that also checks `/controller_epoch`'s version. Invariant: `isr` is never empty while the
/// partition has a leader, and a leader other than `-1` is a member of `isr`.
public struct PartitionState: Codable, Hashable, Sendable, CustomStringConvertible {
    public var version: Int = 1
    public var leader: Int32
    public var leaderEpoch: Int32
    public var isr: [Int32]
    public var controllerEpoch: Int32
    /// 0 = recovered, 1 = recovering (KIP-704); Fjord writes 0.
    public var leaderRecoveryState: Int8 = 0

    enum CodingKeys: String, CodingKey {
        case version, leader, isr
        case leaderEpoch = "leader_epoch"
        case controllerEpoch = "controller_epoch"
        case leaderRecoveryState = "leader_recovery_state"
    }

    public init(leader: BrokerID, leaderEpoch: LeaderEpoch, isr: [BrokerID], controllerEpoch: ControllerEpoch) {
        self.leader = leader.rawValue
        self.leaderEpoch = leaderEpoch.rawValue
        self.isr = isr.map(\.rawValue)
        self.controllerEpoch = controllerEpoch.rawValue
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decodeIfPresent(Int.self, forKey: .version) ?? 1
        leader = try c.decode(Int32.self, forKey: .leader)
        leaderEpoch = try c.decode(Int32.self, forKey: .leaderEpoch)
        isr = try c.decode([Int32].self, forKey: .isr)
        controllerEpoch = try c.decode(Int32.self, forKey: .controllerEpoch)
        leaderRecoveryState = try c.decodeIfPresent(Int8.self, forKey: .leaderRecoveryState) ?? 0
    }

    public var leaderID: BrokerID { BrokerID(leader) }
    public var epoch: LeaderEpoch { LeaderEpoch(leaderEpoch) }
    public var isrIDs: [BrokerID] { isr.map { BrokerID($0) } }

    public var description: String { "leader=\(leader) epoch=\(leaderEpoch) isr=\(isr)" }
}

/// The content of `/controller`: the active controller's id and where brokers reach it.
public struct ControllerRegistration: Codable, Hashable, Sendable {
    public var version: Int = 2
    public var brokerid: Int32
    public var timestamp: String
    /// Fjord: the controller's RPC endpoint (AlterPartition, ControlledShutdown) as `host:port`.
    public var host: String
    public var port: Int

    public init(controllerID: Int32, host: String, port: Int, timestamp: TimestampMs) {
        self.brokerid = controllerID
        self.host = host
        self.port = port
        self.timestamp = String(timestamp.rawValue)
    }
}
