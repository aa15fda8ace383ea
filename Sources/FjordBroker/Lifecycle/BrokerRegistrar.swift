import FjordCluster
import FjordModel
import Foundation
import KafkaWire
import Logging
import ZooKeeper

/// Registers the broker in ZooKeeper: creates the top-level paths and the cluster id if missing, then the ephemeral
/// `/brokers/ids/<id>` node whose creation zxid is the broker epoch.
///
/// An existing registration node is handled as Kafka does after KAFKA-7165: if this session owns it (a create retried
/// after a lost connection), it is ours; if another session owns it, that is either this broker's previous
/// incarnation (killed, or an expired session the server has not cleaned up yet) or another live broker with the
/// same id. The registrar waits up to `ownerExpiryWaitMs` for the node to go; if it stays, the broker id is taken.
struct BrokerRegistrar {
    let brokerID: BrokerID
    let registration: BrokerRegistration
    /// How long a foreign registration node may take to disappear (the previous session's timeout and then some).
    let ownerExpiryWaitMs: Int64
    let logger: Logger

    /// Another live process holds this broker id.
    struct BrokerIDInUse: Error, CustomStringConvertible {
        var brokerID: BrokerID
        var description: String {
            "broker.id \(brokerID) is already registered in ZooKeeper by another live session; "
                + "another broker with the same id is running (give each broker a unique broker.id)"
        }
    }

    /// Creates persistent parents and the cluster id when missing; returns the cluster id.
    static func prepareCluster(_ zk: ZooKeeperClient) async throws -> String {
        for path in ZNodePaths.persistentRoots { try await zk.ensurePath(path) }
        let candidate = KafkaIDs.randomClusterID()
        do {
            try await zk.create(ZNodePaths.clusterId, data: ZNodeJSON.encode(ClusterIDNode(id: candidate)))
        } catch let error as ZooKeeperError where error.code == .nodeExists {
            // Another process created it first; read theirs below.
        }
        let node = try await zk.get(ZNodePaths.clusterId)
        return try ZNodeJSON.decode(ClusterIDNode.self, from: node.data, path: ZNodePaths.clusterId).id
    }

    /// Creates the registration node and returns the broker epoch.
    func register(_ zk: ZooKeeperClient) async throws -> BrokerEpoch {
        let path = ZNodePaths.broker(brokerID)
        let data = ZNodeJSON.encode(registration)
        let deadline = ContinuousClock.now + .milliseconds(ownerExpiryWaitMs)
        var attempts = 0
        while true {
            attempts += 1
            do {
                let (_, stat) = try await zk.createReturningStat(path, data: data, mode: .ephemeral)
                return BrokerEpoch(stat.czxid)
            } catch let error as ZooKeeperError where error.code == .nodeExists {
                guard let existing = try await zk.exists(path) else { continue }
                if existing.ephemeralOwner == zk.sessionID {
                    logger.info("registration node already created by this session", metadata: ["path": "\(path)"])
                    return BrokerEpoch(existing.czxid)
                }
                guard ContinuousClock.now < deadline, attempts < 10_000 else { throw BrokerIDInUse(brokerID: brokerID) }
                if attempts == 1 {
                    logger.notice(
                        "registration node held by another session; waiting for it to expire",
                        metadata: ["path": "\(path)", "owner": "\(String(existing.ephemeralOwner, radix: 16))"])
                }
                try await Task.sleep(for: .milliseconds(200))
            } catch let error as ZooKeeperError where error.code == .connectionLoss {
                // Ambiguous: the node may exist now. The next attempt sees it and checks its owner.
                guard ContinuousClock.now < deadline else { throw error }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

/// Identifiers Kafka generates.
enum KafkaIDs {
    /// A cluster id: 16 random bytes in URL-safe base64 (Kafka's `Uuid.randomUuid().toString`).
    static func randomClusterID() -> String {
        KafkaUUID.random().description
    }
}
