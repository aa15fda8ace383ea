/// One operation of an atomic ``ZooKeeperClient/multi(_:)`` transaction.
public enum ZooKeeperOperation: Hashable, Sendable {
    /// Create a node (ACL: open).
    case create(path: String, data: [UInt8] = [], mode: CreateMode = .persistent)
    /// Delete a node if its version matches (`-1`: any version).
    case delete(path: String, version: Int32 = ZooKeeperClient.anyVersion)
    /// Replace a node's data if its version matches (`-1`: any version).
    case setData(path: String, data: [UInt8], version: Int32 = ZooKeeperClient.anyVersion)
    /// Fail the transaction unless the node exists with this version (writes nothing).
    case check(path: String, version: Int32)

    /// The path the operation names.
    public var path: String {
        switch self {
        case .create(let path, _, _), .delete(let path, _), .setData(let path, _, _), .check(let path, _): path
        }
    }
}

/// The result of one operation of a successful ``ZooKeeperClient/multi(_:)``, at the same index.
public enum ZooKeeperOperationResult: Hashable, Sendable {
    /// The path created (differs from the requested one for sequential nodes; relative to the chroot).
    case created(path: String)
    case deleted
    /// The node's metadata after the write.
    case dataSet(ZNodeStat)
    case checked
}
