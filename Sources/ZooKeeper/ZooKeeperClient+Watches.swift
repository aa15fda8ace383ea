import CZooKeeper

extension ZooKeeperClient {
    /// Watches a node's creation, data changes and deletion; the node need not exist.
    ///
    /// The watch is armed before this returns (see ``NodeWatch`` for the exact semantics). Typical use: watch,
    /// read, then re-read on every event.
    ///
    /// ```swift
    /// let (watch, _) = try await zk.watchNode("/controller")
    /// var current = try? await zk.get("/controller")
    /// for try await _ in watch { current = try? await zk.get("/controller") }
    /// ```
    ///
    /// - Returns: the watch and the node's `Stat` at arming time (nil if it did not exist).
    public func watchNode(_ path: String) async throws -> (watch: NodeWatch, stat: ZNodeStat?) {
        try ZNodePath.check(path, operation: .watch)
        let (watch, outcome) = try await core.watch(path, kind: .node)
        return (watch, outcome.isOK ? outcome.stat : nil)
    }

    /// Watches a node's children (creation or deletion of a child) and the node's deletion.
    ///
    /// The watch is armed before this returns; the stream ends normally after the node is deleted.
    /// - Returns: the watch and the children's names and node's `Stat` at arming time.
    /// - Throws: `noNode` if the node does not exist.
    public func watchChildren(
        _ path: String
    ) async throws -> (watch: NodeWatch, children: [String], stat: ZNodeStat) {
        try ZNodePath.check(path, operation: .watch)
        let (watch, outcome) = try await core.watch(path, kind: .children)
        guard let stat = outcome.stat else {
            watch.cancel()
            throw ZooKeeperError(code: .marshallingError, operation: .watch, path: path)
        }
        return (watch, outcome.children ?? [], stat)
    }
}
