import FjordCluster
import Logging
import ZooKeeper

/// Performs the core's write units against ZooKeeper: each inside a `multi` that starts with
/// `check(/controller_epoch, epochZkVersion)`, so nothing is written once another controller has won (KAFKA-6082).
///
/// Units are packed into as few multis as fit in ``maxBytesPerMulti`` (ZooKeeper refuses requests over
/// `jute.maxbuffer`, 1 MiB by default), and all multis are sent at once: one session's requests are answered in
/// order, so a burst costs about one round trip, not one per partition (KAFKA-5642). When a multi fails on one
/// unit, the other units it carried are sent again without it. A `connectionLoss` is ambiguous — the multi may have
/// been applied — so the writer waits for the session, then reads back what the multi's first operation wrote
/// before deciding whether to send it again. A unit larger than the limit is sent alone and logged (a reassignment
/// step for a topic of several thousand partitions; a server with a small `jute.maxbuffer` may refuse it).
struct ZNodeWriter {
    let zk: ZooKeeperClient
    let epochZkVersion: Int32
    let logger: Logger
    var maxBytesPerMulti = 512 * 1024
    var maxAttempts = 5

    private var epochCheck: ZooKeeperOperation { .check(path: ZNodePaths.controllerEpoch, version: epochZkVersion) }

    /// The writer's own failure: the session is gone or another controller won. Either way, resign.
    struct Fenced: Error {}

    func perform(_ units: [ZNodeWrite]) async -> ZNodeWriteResults {
        guard !units.isEmpty else { return .allApplied }
        do {
            try await ensureParents(units)
            var expanded: [[ZooKeeperOperation]] = []
            for unit in units { expanded.append(try await operations(unit)) }
            var failed: [Int: [ZNodeRefresh]] = [:]
            var pending = Array(units.indices)
            var attempt = 0
            while !pending.isEmpty {
                attempt += 1
                let outcome = try await send(pending, expanded)
                for index in outcome.failed { failed[index] = await refresh(units[index]) }
                pending = attempt < maxAttempts ? outcome.retry : []
                for index in attempt < maxAttempts ? [] : outcome.retry { failed[index] = await refresh(units[index]) }
            }
            return ZNodeWriteResults(failedUnits: failed)
        } catch {
            logger.warning("controller write fenced", metadata: ["error": "\(error)"])
            return .fencedOut
        }
    }

    /// Creates the persistent parents the units' creates need, shallowest first; existing ones are fine.
    private func ensureParents(_ units: [ZNodeWrite]) async throws {
        let parents = Set(units.flatMap(\.ensureParents))
        let byDepth = Dictionary(grouping: parents, by: { $0.split(separator: "/").count })
        for depth in byDepth.keys.sorted() {
            let paths = byDepth[depth]!.sorted()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for path in paths {
                    group.addTask {
                        do {
                            try await zk.multi([epochCheck, .create(path: path)])
                        } catch let error as ZooKeeperError where error.code == .nodeExists {
                            return
                        } catch let error as ZooKeeperError where error.failedOperationIndex == 0 {
                            throw Fenced()
                        } catch let error as ZooKeeperError where error.code == .noNode {
                            return  // the topic itself is gone; the unit's own create will report it
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// The unit's operations as ZooKeeper operations; `deleteTree` becomes deletes of the subtree, leaves first.
    private func operations(_ unit: ZNodeWrite) async throws -> [ZooKeeperOperation] {
        var result: [ZooKeeperOperation] = []
        for op in unit.operations {
            switch op.kind {
            case .create(let data): result.append(.create(path: op.path, data: data))
            case .set(let data, let version): result.append(.setData(path: op.path, data: data, version: version))
            case .delete(let version): result.append(.delete(path: op.path, version: version))
            case .deleteTree: result += try await subtreeDeletes(op.path)
            }
        }
        return result
    }

    /// Deletes of `path` and all below it, deepest first, listing each level with pipelined reads.
    private func subtreeDeletes(_ path: String) async throws -> [ZooKeeperOperation] {
        guard try await zk.exists(path) != nil else { return [] }
        var levels: [[String]] = [[path]]
        while let last = levels.last, !last.isEmpty {
            let children = try await withThrowingTaskGroup(of: [String].self) { group in
                for parent in last {
                    group.addTask {
                        let names = (try? await zk.children(parent)) ?? []
                        return names.map { "\(parent)/\($0)" }
                    }
                }
                var all: [String] = []
                for try await names in group { all += names }
                return all
            }
            levels.append(children)
        }
        return levels.reversed().flatMap { $0.sorted().map { ZooKeeperOperation.delete(path: $0) } }
    }

    private struct SendOutcome {
        var failed: [Int] = []
        var retry: [Int] = []
    }

    /// Sends the given units packed into multis, all at once; reports the units that failed and those to resend.
    private func send(_ indices: [Int], _ expanded: [[ZooKeeperOperation]]) async throws -> SendOutcome {
        let batches = pack(indices, expanded)
        let results = try await withThrowingTaskGroup(of: SendOutcome.self) { group in
            for batch in batches {
                group.addTask { try await sendBatch(batch, expanded) }
            }
            var total = SendOutcome()
            for try await outcome in group {
                total.failed += outcome.failed
                total.retry += outcome.retry
            }
            return total
        }
        return SendOutcome(failed: results.failed.sorted(), retry: results.retry.sorted())
    }

    private func sendBatch(_ batch: [Int], _ expanded: [[ZooKeeperOperation]]) async throws -> SendOutcome {
        var operations = [epochCheck]
        var owner: [Int] = [-1]
        for index in batch {
            operations += expanded[index]
            owner += Array(repeating: index, count: expanded[index].count)
        }
        guard operations.count > 1 else { return SendOutcome() }
        do {
            try await zk.multi(operations)
            return SendOutcome()
        } catch let error as ZooKeeperError {
            if let failedIndex = error.failedOperationIndex {
                if failedIndex == 0 { throw Fenced() }
                let culprit = owner[failedIndex]
                logger.debug(
                    "controller write conflict",
                    metadata: ["path": "\(operations[failedIndex].path)", "code": "\(error.code)"])
                return SendOutcome(failed: [culprit], retry: batch.filter { $0 != culprit })
            }
            if error.code == .connectionLoss || error.code == .operationTimeout {
                return try await resolveAmbiguous(batch, operations: Array(operations.dropFirst()))
            }
            throw Fenced()
        } catch {
            throw Fenced()
        }
    }

    /// After a connection loss: was the multi applied? Reads back its first operation's effect once connected.
    private func resolveAmbiguous(_ batch: [Int], operations: [ZooKeeperOperation]) async throws -> SendOutcome {
        let deadline = ContinuousClock.now + zk.negotiatedSessionTimeout
        while zk.state != .connected {
            if zk.state.isFinal || ContinuousClock.now > deadline { throw Fenced() }
            try? await Task.sleep(for: .milliseconds(50))
        }
        guard let epoch = try? await zk.exists(ZNodePaths.controllerEpoch), epoch.version == epochZkVersion else {
            throw Fenced()
        }
        guard let first = operations.first else { return SendOutcome() }
        let applied: Bool
        switch first {
        case .setData(let path, let data, let version):
            let node = try? await zk.get(path)
            applied = node.map { $0.data == data && $0.stat.version > version } ?? false
        case .create(let path, let data, _):
            let node = try? await zk.get(path)
            applied = node?.data == data
        case .delete(let path, _):
            applied = (try? await zk.exists(path)) == nil
        case .check:
            applied = false
        }
        logger.info("controller write hit a connection loss", metadata: ["applied": "\(applied)"])
        return applied ? SendOutcome() : SendOutcome(retry: batch)
    }

    /// Groups units into multis of at most ``maxBytesPerMulti`` (estimated), keeping each unit whole when it fits.
    private func pack(_ indices: [Int], _ expanded: [[ZooKeeperOperation]]) -> [[Int]] {
        var batches: [[Int]] = []
        var current: [Int] = []
        var bytes = 0
        for index in indices {
            let size = expanded[index].reduce(0) { $0 + Self.estimatedBytes($1) }
            if size > maxBytesPerMulti {
                logger.warning("write unit larger than one multi; sending it alone", metadata: ["bytes": "\(size)"])
            }
            if !current.isEmpty && bytes + size > maxBytesPerMulti {
                batches.append(current)
                current = []
                bytes = 0
            }
            current.append(index)
            bytes += size
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    static func estimatedBytes(_ op: ZooKeeperOperation) -> Int {
        switch op {
        case .create(let path, let data, _), .setData(let path, let data, _): path.utf8.count + data.count + 32
        case .delete(let path, _), .check(let path, _): path.utf8.count + 24
        }
    }

    /// What ZooKeeper holds now for every znode the unit touched.
    private func refresh(_ unit: ZNodeWrite) async -> [ZNodeRefresh] {
        let results = await zk.getMany(unit.operations.map(\.path))
        return zip(unit.operations, results).map { op, result in
            switch result {
            case .success(let node): ZNodeRefresh(subject: op.subject, data: node.data, version: node.stat.version)
            case .failure: ZNodeRefresh(subject: op.subject, data: nil, version: -1)
            }
        }
    }
}
