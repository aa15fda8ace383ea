import FjordCluster
import FjordModel
import Logging
import ZooKeeper

/// Controller election in ZooKeeper (ARCHITECTURE §2, Kafka's `registerControllerAndIncrementControllerEpoch`).
///
/// One `multi` creates the ephemeral `/controller` (this controller's id and RPC endpoint) and sets
/// `/controller_epoch` to the next epoch at the version read just before, so two candidates can never both win and
/// the winner's epoch is exactly the value it wrote. `/controller_epoch` is created with `0` on the very first start
/// (a lost creation race is fine). A `connectionLoss` is ambiguous: the election may have happened, so the outcome
/// is read back — did `/controller` come from this session, and does `/controller_epoch` hold the epoch we wrote?
/// The same read settles `nodeExists` after a reconnect with our own stale ephemeral node (KAFKA-7165).
struct ControllerElection {
    let zk: ZooKeeperClient
    let controllerID: Int32
    let endpoint: Endpoint
    let logger: Logger

    enum Outcome: Equatable {
        /// This controller won: its epoch, and `/controller_epoch`'s version after the write.
        case won(epoch: ControllerEpoch, epochZkVersion: Int32)
        /// Another controller is active (its id, if readable).
        case lost(activeControllerID: Int32?)
    }

    func run() async throws -> Outcome {
        for _ in 0..<10 {
            if let active = try await activeController() { return .lost(activeControllerID: active) }
            let (current, version) = try await readEpoch()
            let next = ControllerEpoch(current.rawValue + 1)
            let registration = ControllerRegistration(
                controllerID: controllerID, host: endpoint.host, port: endpoint.port, timestamp: .now())
            do {
                let results = try await zk.multi([
                    .create(path: ZNodePaths.controller, data: ZNodeJSON.encode(registration), mode: .ephemeral),
                    .setData(
                        path: ZNodePaths.controllerEpoch, data: Array(String(next.rawValue).utf8), version: version),
                ])
                guard case .dataSet(let stat) = results[1] else { continue }
                return .won(epoch: next, epochZkVersion: stat.version)
            } catch let error as ZooKeeperError where error.code == .badVersion {
                continue  // someone else bumped the epoch in between: look again
            } catch let error as ZooKeeperError
                where error.code == .nodeExists || error.code == .connectionLoss || error.code == .operationTimeout
            {
                try await waitForConnection()
                if let mine = try await ownElection(expecting: next) { return mine }
                if error.code != .connectionLoss && error.code != .operationTimeout {
                    return .lost(activeControllerID: try await activeController())
                }
            }
        }
        return .lost(activeControllerID: try await activeController())
    }

    /// The id in `/controller`, or nil when there is none (or it is unreadable and about to be replaced).
    func activeController() async throws -> Int32? {
        do {
            let node = try await zk.get(ZNodePaths.controller)
            return (try? ZNodeJSON.decode(ControllerRegistration.self, from: node.data, path: ZNodePaths.controller))?
                .brokerid ?? -1
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// Whether `/controller` is this session's ephemeral node.
    func ownsControllerNode() async throws -> Bool {
        guard let stat = try await zk.exists(ZNodePaths.controller) else { return false }
        return stat.ephemeralOwner == zk.sessionID
    }

    private func readEpoch() async throws -> (ControllerEpoch, Int32) {
        do {
            let node = try await zk.get(ZNodePaths.controllerEpoch)
            return (ControllerEpoch(Int32(node.string.trimmingWhitespace()) ?? 0), node.stat.version)
        } catch let error as ZooKeeperError where error.code == .noNode {
            do {
                try await zk.create(ZNodePaths.controllerEpoch, data: Array("0".utf8))
            } catch let error as ZooKeeperError where error.code == .nodeExists {}
            let node = try await zk.get(ZNodePaths.controllerEpoch)
            return (ControllerEpoch(Int32(node.string.trimmingWhitespace()) ?? 0), node.stat.version)
        }
    }

    /// Reads back an election whose outcome is unknown: won if `/controller` is ours and the epoch is ours.
    private func ownElection(expecting epoch: ControllerEpoch) async throws -> Outcome? {
        guard try await ownsControllerNode() else { return nil }
        let node = try await zk.get(ZNodePaths.controllerEpoch)
        guard Int32(node.string.trimmingWhitespace()) == epoch.rawValue else { return nil }
        logger.info("election outcome read back after an ambiguous write", metadata: ["epoch": "\(epoch)"])
        return .won(epoch: epoch, epochZkVersion: node.stat.version)
    }

    private func waitForConnection() async throws {
        let deadline = ContinuousClock.now + zk.negotiatedSessionTimeout
        while zk.state != .connected {
            if zk.state.isFinal || ContinuousClock.now > deadline {
                throw ZooKeeperError(code: .sessionExpired, operation: .multi)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
