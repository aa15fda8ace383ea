/// What a ``NodeWatch`` reports. An event says *that* something changed, not what it changed to: re-read the node.
public struct WatchEvent: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// The node was created.
        case nodeCreated
        /// The node was deleted.
        case nodeDeleted
        /// The node's data changed.
        case nodeDataChanged
        /// A child was created or deleted.
        case nodeChildrenChanged
        /// The watch had to be set again after a connection loss; a change may have gone unreported. Re-read.
        case watchRestored
    }

    public var kind: Kind
    /// The watched path (relative to the chroot).
    public var path: String

    public init(kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }
}
