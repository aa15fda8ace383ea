/// A znode's data and metadata, as read by ``ZooKeeperClient/get(_:)``.
public struct ZNodeData: Hashable, Sendable {
    /// The node's bytes (empty for a node created with no data).
    public var data: [UInt8]
    public var stat: ZNodeStat

    public init(data: [UInt8], stat: ZNodeStat) {
        self.data = data
        self.stat = stat
    }

    /// The data decoded as UTF-8 (invalid sequences repaired), for JSON and text nodes.
    public var string: String { String(decoding: data, as: UTF8.self) }
}
