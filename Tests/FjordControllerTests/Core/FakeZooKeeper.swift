import FjordCluster
import FjordController
import FjordModel

/// An in-memory znode tree that applies the core's write units the way ZooKeeper's `multi` would: every operation
/// checks its version, a unit applies entirely or not at all, and `/controller_epoch` fences every unit.
struct FakeZooKeeper {
    struct Node {
        var data: [UInt8]
        var version: Int32
    }

    var nodes: [String: Node] = [:]
    /// Every unit applied, for assertions on the exact operations.
    var applied: [ZNodeWrite] = []

    subscript(path: String) -> Node? {
        get { nodes[path] }
        set { nodes[path] = newValue }
    }

    mutating func put<T: Encodable>(_ path: String, _ value: T, version: Int32 = 0) {
        nodes[path] = Node(data: ZNodeJSON.encode(value), version: version)
    }

    func decode<T: Decodable>(_ type: T.Type, _ path: String) -> T? {
        nodes[path].flatMap { try? ZNodeJSON.decode(T.self, from: $0.data, path: path) }
    }

    func children(_ path: String) -> [String] {
        let prefix = path + "/"
        return Set(
            nodes.keys.filter { $0.hasPrefix(prefix) }.map {
                String($0.dropFirst(prefix.count).split(separator: "/")[0])
            }
        )
        .sorted()
    }

    /// Applies units in order; returns the results the shell would report.
    mutating func apply(_ units: [ZNodeWrite], epochZkVersion: Int32) -> ZNodeWriteResults {
        if let epochNode = nodes[ZNodePaths.controllerEpoch], epochNode.version != epochZkVersion, !units.isEmpty {
            return .fencedOut
        }
        var failed: [Int: [ZNodeRefresh]] = [:]
        for (index, unit) in units.enumerated() {
            var copy = nodes
            for parent in unit.ensureParents where copy[parent] == nil { copy[parent] = Node(data: [], version: 0) }
            var ok = true
            for op in unit.operations where ok { ok = Self.apply(op, to: &copy) }
            if ok {
                nodes = copy
                applied.append(unit)
            } else {
                failed[index] = unit.operations.map {
                    ZNodeRefresh(
                        subject: $0.subject, data: nodes[$0.path]?.data, version: nodes[$0.path]?.version ?? -1)
                }
            }
        }
        return ZNodeWriteResults(failedUnits: failed)
    }

    private static func apply(_ op: ZNodeOperation, to nodes: inout [String: Node]) -> Bool {
        let path = op.path
        switch op.kind {
        case .create(let data):
            let parent = String(path[..<path.lastIndex(of: "/")!])
            guard nodes[path] == nil, parent.isEmpty || nodes[parent] != nil else { return false }
            nodes[path] = Node(data: data, version: 0)
        case .set(let data, let version):
            guard let node = nodes[path], version == -1 || node.version == version else { return false }
            nodes[path] = Node(data: data, version: node.version + 1)
        case .delete(let version):
            guard let node = nodes[path], version == -1 || node.version == version else { return false }
            guard !nodes.keys.contains(where: { $0.hasPrefix(path + "/") }) else { return false }
            nodes[path] = nil
        case .deleteTree:
            nodes = nodes.filter { $0.key != path && !$0.key.hasPrefix(path + "/") }
        }
        return true
    }
}
