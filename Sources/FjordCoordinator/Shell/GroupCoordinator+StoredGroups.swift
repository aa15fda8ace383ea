import FjordCluster
import FjordModel
import ZooKeeper

extension GroupCoordinator {
    /// The groups ZooKeeper holds that this broker would coordinate but has not loaded, as ListGroups reports them.
    ///
    /// A group is this broker's when its `owner` node belongs to this broker's session (claimed, then unloaded after
    /// a failed write), or when it has no owner and ``CoordinatorSelection`` picks this broker among the live ones —
    /// the broker FindCoordinator sends its clients to, which claims it on their first request. A group exists when
    /// it has a `metadata` or an `offsets` node (a deleted group keeps only its `epoch`). Its state is the one a load
    /// would give it: Stable with members, else Empty. Three pipelined ZooKeeper round trips (children, owners,
    /// records) whatever the number of groups; on a ZooKeeper error the stored groups are left out rather than
    /// failing the listing.
    func storedGroupsCoordinatedHere(excluding loaded: Set<GroupID>) async -> [GroupOverview] {
        let context = self.context
        let zooKeeper = context.zooKeeper
        if zooKeeper.mustAssumeSessionLost(at: .now) { return [] }
        guard let names = try? await zooKeeper.children(ZNodePaths.consumerGroups),
            let liveNames = try? await zooKeeper.children(ZNodePaths.brokerIds)
        else { return [] }
        let live = liveNames.compactMap { Int32($0) }.map { BrokerID($0) }
        let candidates = names.compactMap(GroupZNodePaths.decode).filter { !loaded.contains($0) }.sorted()
        let owners = await zooKeeper.getMany(candidates.map { GroupZNodePaths($0).owner })
        var mine: [GroupID] = []
        for (groupID, owner) in zip(candidates, owners) {
            switch owner {
            case .success(let node) where node.stat.ephemeralOwner == zooKeeper.sessionID:
                mine.append(groupID)
            case .failure(let error) where error.code == .noNode:
                let chosen = CoordinatorSelection.coordinator(for: groupID, liveBrokers: live, currentOwner: nil)
                if chosen == context.broker { mine.append(groupID) }
            case .success, .failure:
                continue
            }
        }
        let records = await zooKeeper.getMany(
            mine.flatMap { [GroupZNodePaths($0).metadata, GroupZNodePaths($0).offsets] })
        var overviews: [GroupOverview] = []
        for (index, groupID) in mine.enumerated() {
            switch (records[2 * index], records[2 * index + 1]) {
            case (.success(let node), _):
                guard
                    let metadata = try? ZNodeJSON.decode(
                        GroupMetadataRecord.self, from: node.data, path: GroupZNodePaths(groupID).metadata)
                else { continue }
                overviews.append(
                    GroupOverview(
                        groupID: groupID, protocolType: metadata.protocolType ?? "",
                        state: metadata.members.isEmpty ? .empty : .stable))
            case (.failure, .success):
                overviews.append(GroupOverview(groupID: groupID, protocolType: "", state: .empty))
            case (.failure, .failure):
                continue
            }
        }
        return overviews
    }
}
