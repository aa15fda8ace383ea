import CZooKeeper

/// How ``ZooKeeperClient/create(_:data:mode:)`` creates a node.
public enum CreateMode: Hashable, Sendable {
    /// Lives until deleted.
    case persistent
    /// Deleted by the server when the creating session ends (closed or expired). Cannot have children.
    case ephemeral
    /// Persistent; the server appends a 10-digit, zero-padded, monotonically increasing counter to the name.
    case persistentSequential
    /// Ephemeral and sequential.
    case ephemeralSequential

    var flags: Int32 {
        switch self {
        case .persistent: fjord_zoo_persistent()
        case .ephemeral: fjord_zoo_ephemeral()
        case .persistentSequential: fjord_zoo_persistent_sequential()
        case .ephemeralSequential: fjord_zoo_ephemeral_sequential()
        }
    }

    var isSequential: Bool { self == .persistentSequential || self == .ephemeralSequential }
}
