import CZooKeeper

extension ZooKeeperClient {
    /// Creates the chroot named in `connectString` (the path after the host list, e.g. `/fjord` in
    /// `"127.0.0.1:2181/fjord"`) and its ancestors if missing, through a short-lived session without chroot; does
    /// nothing if there is no chroot. A client whose chroot does not exist gets `noNode` from every operation.
    public static func ensureChroot(connectString: String, connectTimeout: Duration = .seconds(18)) async throws {
        guard let slash = connectString.firstIndex(of: "/") else { return }
        let chroot = String(connectString[slash...])
        guard chroot != "/" else { return }
        try ZNodePath.check(chroot, operation: .create)
        let root = try await connect(
            connectString: String(connectString[..<slash]), sessionTimeout: .seconds(10),
            connectTimeout: connectTimeout)
        do {
            try await root.ensurePath(chroot)
            await root.close()
        } catch {
            await root.close()
            throw error
        }
    }

    /// Reads many nodes in one pipelined burst (one round trip, not one per node); results are in `paths` order.
    /// A missing node is `.failure` with code `noNode`.
    /// An invalid path is `.failure` with code `badArguments`.
    public func getMany(_ paths: [String]) async -> [Result<ZNodeData, ZooKeeperError>] {
        let outcomes = await core.performBatch(count: paths.count) { index, zh, context in
            guard ZNodePath.isValid(paths[index]) else { return ZBADARGUMENTS.rawValue }
            return paths[index].withCString { zoo_aget(zh, $0, 0, Completions.data, context) }
        }
        return zip(paths, outcomes).map { path, outcome in
            guard outcome.isOK, let stat = outcome.stat else {
                return .failure(
                    core.error(outcome.isOK ? ZMARSHALLINGERROR.rawValue : outcome.rc, operation: .get, path: path))
            }
            return .success(ZNodeData(data: outcome.data ?? [], stat: stat))
        }
    }

    /// Creates `path` and any missing ancestors as persistent nodes with no data (like `mkdir -p`), in one
    /// pipelined burst. Nodes that already exist are left as they are.
    public func ensurePath(_ path: String) async throws {
        try ZNodePath.check(path, operation: .create)
        let prefixes = Self.pathPrefixes(path)
        let outcomes = await core.performBatch(count: prefixes.count) { index, zh, context in
            prefixes[index].withCString { cPath in
                zoo_acreate2(
                    zh, cPath, nil, -1, fjord_zoo_open_acl_unsafe(), fjord_zoo_persistent(), Completions.stringStat,
                    context)
            }
        }
        for (prefix, outcome) in zip(prefixes, outcomes)
        where !outcome.isOK && outcome.rc != ZNODEEXISTS.rawValue {
            throw core.error(outcome.rc, operation: .create, path: prefix)
        }
    }

    /// Deletes a node and everything below it, whatever their versions. Nodes that vanish meanwhile are ignored;
    /// nodes created meanwhile below it can make it fail with `notEmpty`. For `/` (the chroot, if any) only the
    /// children are deleted.
    public func deleteRecursively(_ path: String) async throws {
        try ZNodePath.check(path, operation: .delete)
        let children: [String]
        do {
            children = try await self.children(path)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return
        }
        let base = path == "/" ? "" : path
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Under the real root, `/zookeeper` is the server's own and cannot be deleted.
            for child in children where !(path == "/" && child == "zookeeper") {
                group.addTask { try await self.deleteRecursively("\(base)/\(child)") }
            }
            try await group.waitForAll()
        }
        guard path != "/" else { return }
        do {
            try await delete(path)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return
        }
    }

    /// `/a/b/c` → `["/a", "/a/b", "/a/b/c"]`.
    static func pathPrefixes(_ path: String) -> [String] {
        var prefixes: [String] = []
        var current = ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + component
            prefixes.append(current)
        }
        return prefixes
    }
}
