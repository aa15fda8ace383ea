import FjordCluster
import FjordModel
import Foundation
import ZooKeeper

extension GroupHost {
    /// Claims and loads the group on first use; every caller waits for the same attempt. Returns the error to
    /// answer with, or nil once the group is loaded.
    func ensureLoaded() async -> GroupErrorCode? {
        switch phase {
        case .loaded:
            return nil
        case .unloaded:
            return .notCoordinator
        case .loading(let task):
            return await task.value
        case .idle:
            let task = Task { await self.claimAndLoad() }
            phase = .loading(task)
            return await task.value
        }
    }

    /// Becomes the group's coordinator and loads its state.
    ///
    /// 1. Read `owner` and `epoch` (one round trip). An `owner` node of another session means another broker
    ///    coordinates the group: NOT_COORDINATOR.
    /// 2. One `multi`: bump `epoch` with compare-and-set at the version just read (create it at version 0 if
    ///    absent) and create the ephemeral `owner` (or update it, if it is this session's from an earlier load).
    ///    Losing a race to another broker fails the `multi`: NOT_COORDINATOR.
    /// 3. Read `metadata` and `offsets` (one round trip), after the claim, so every write an earlier coordinator
    ///    managed before being fenced is seen.
    private func claimAndLoad() async -> GroupErrorCode? {
        let result: GroupErrorCode?
        do {
            result = try await claim()
        } catch let error as ZooKeeperError {
            logger.warning("could not claim group", metadata: ["error": "\(error)"])
            result = error.groupErrorCode == .notCoordinator ? .notCoordinator : .coordinatorNotAvailable
        } catch {
            logger.error("could not load group", metadata: ["error": "\(error)"])
            result = .coordinatorNotAvailable
        }
        if result != nil {
            unload(reason: "claim failed: \(result!)")
        }
        return result
    }

    private func claim() async throws -> GroupErrorCode? {
        let zooKeeper = context.zooKeeper
        try await zooKeeper.ensurePath(paths.group)
        let current = await zooKeeper.getMany([paths.owner, paths.epoch])
        var ownerVersion: Int32?
        switch current[0] {
        case .success(let owner) where owner.stat.ephemeralOwner == zooKeeper.sessionID:
            ownerVersion = owner.stat.version
        case .success(let owner):
            let claim = try? ZNodeJSON.decode(GroupCoordinatorClaim.self, from: owner.data, path: paths.owner)
            logger.debug("group owned by another broker", metadata: ["owner": "\(claim?.brokerID ?? -1)"])
            return .notCoordinator
        case .failure(let error) where error.code == .noNode:
            ownerVersion = nil
        case .failure(let error):
            throw error
        }
        var epochVersion: Int32?
        switch current[1] {
        case .success(let epoch): epochVersion = epoch.stat.version
        case .failure(let error) where error.code == .noNode: epochVersion = nil
        case .failure(let error): throw error
        }
        let coordinatorEpoch = (epochVersion ?? -1) + 1
        let claim = ZNodeJSON.encode(
            GroupCoordinatorClaim(
                broker: context.broker, brokerEpoch: context.brokerEpoch, coordinatorEpoch: coordinatorEpoch))
        let operations: [ZooKeeperOperation] = [
            epochVersion.map { .setData(path: paths.epoch, data: claim, version: $0) }
                ?? .create(path: paths.epoch, data: claim),
            ownerVersion.map { .setData(path: paths.owner, data: claim, version: $0) }
                ?? .create(path: paths.owner, data: claim, mode: .ephemeral),
        ]
        do {
            let results = try await zooKeeper.multi(operations)
            if case .dataSet(let stat) = results[0] { versions.epoch = stat.version } else { versions.epoch = 0 }
        } catch let error as ZooKeeperError where error.failedOperationIndex != nil {
            logger.debug("lost the race to claim the group", metadata: ["error": "\(error)"])
            return .notCoordinator
        }
        precondition(
            versions.epoch == coordinatorEpoch, "group \(groupID): epoch \(versions.epoch) != \(coordinatorEpoch)")
        return try await load()
    }

    private func load() async throws -> GroupErrorCode? {
        let stored = await context.zooKeeper.getMany([paths.metadata, paths.offsets])
        func read<Record: Decodable>(_ result: Result<ZNodeData, ZooKeeperError>, _ type: Record.Type, path: String)
            throws -> (Record, Int32)?
        {
            switch result {
            case .success(let node): (try ZNodeJSON.decode(type, from: node.data, path: path), node.stat.version)
            case .failure(let error) where error.code == .noNode: nil
            case .failure(let error): throw error
            }
        }
        let metadata = try read(stored[0], GroupMetadataRecord.self, path: paths.metadata)
        let offsets = try read(stored[1], GroupOffsetsRecord.self, path: paths.offsets)
        versions.metadata = metadata?.1
        versions.offsets = offsets?.1
        let directives = try machine.load(metadata: metadata?.0, offsets: offsets?.0, now: context.clock())
        phase = .loaded
        logger.info(
            "claimed group",
            metadata: [
                "coordinatorEpoch": "\(versions.epoch)", "generation": "\(machine.group?.generation.rawValue ?? -1)",
                "offsets": "\(machine.group?.offsets.count ?? 0)",
            ])
        perform(directives)
        return nil
    }
}
