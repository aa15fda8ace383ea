import CZooKeeper

/// A znode's metadata (ZooKeeper's `Stat`), copied out of the C client.
///
/// Fjord reads epochs from it: a broker registration's `czxid` is the broker epoch, a partition state's `version`
/// is the partition epoch, `/controller_epoch`'s `version` fences controller writes.
public struct ZNodeStat: Hashable, Sendable {
    /// The zxid of the change that created the node.
    public var czxid: Int64
    /// The zxid of the change that last modified the node's data.
    public var mzxid: Int64
    /// Creation time, milliseconds since the Unix epoch (server clock).
    public var ctimeMs: Int64
    /// Last modification time, milliseconds since the Unix epoch (server clock).
    public var mtimeMs: Int64
    /// The number of changes to the node's data: the value compare-and-set operations check.
    public var version: Int32
    /// The number of changes to the node's children.
    public var cversion: Int32
    /// The number of changes to the node's ACL.
    public var aversion: Int32
    /// The session id of the owner if the node is ephemeral, else 0.
    public var ephemeralOwner: Int64
    /// The length of the node's data in bytes.
    public var dataLength: Int32
    /// The number of children.
    public var numChildren: Int32
    /// The zxid of the change that last modified the node's children.
    public var pzxid: Int64

    public init(
        czxid: Int64, mzxid: Int64, ctimeMs: Int64, mtimeMs: Int64, version: Int32, cversion: Int32,
        aversion: Int32, ephemeralOwner: Int64, dataLength: Int32, numChildren: Int32, pzxid: Int64
    ) {
        self.czxid = czxid
        self.mzxid = mzxid
        self.ctimeMs = ctimeMs
        self.mtimeMs = mtimeMs
        self.version = version
        self.cversion = cversion
        self.aversion = aversion
        self.ephemeralOwner = ephemeralOwner
        self.dataLength = dataLength
        self.numChildren = numChildren
        self.pzxid = pzxid
    }

    init(_ stat: Stat) {
        self.init(
            czxid: stat.czxid, mzxid: stat.mzxid, ctimeMs: stat.ctime, mtimeMs: stat.mtime, version: stat.version,
            cversion: stat.cversion, aversion: stat.aversion, ephemeralOwner: stat.ephemeralOwner,
            dataLength: stat.dataLength, numChildren: stat.numChildren, pzxid: stat.pzxid)
    }

    /// True if the node is ephemeral.
    public var isEphemeral: Bool { ephemeralOwner != 0 }
}
