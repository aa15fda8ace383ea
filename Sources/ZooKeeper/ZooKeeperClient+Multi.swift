import CZooKeeper

extension ZooKeeperClient {
    /// Applies `operations` atomically: all of them or none.
    ///
    /// Returns one result per operation, at the same index. On failure nothing was applied and the error's
    /// ``ZooKeeperError/failedOperationIndex`` and ``ZooKeeperError/path`` name the first operation that failed,
    /// its ``ZooKeeperError/code`` the reason (`badVersion` for a failed `check`, `nodeExists`, …). A failure of the
    /// whole request (`connectionLoss`, `sessionExpired`, `closing`) has no index; `connectionLoss` is ambiguous:
    /// the transaction may have been applied.
    @discardableResult
    public func multi(_ operations: [ZooKeeperOperation]) async throws -> [ZooKeeperOperationResult] {
        guard !operations.isEmpty else { return [] }
        for (index, operation) in operations.enumerated() {
            var sequential = false
            if case .create(_, _, let mode) = operation { sequential = mode.isSequential }
            do {
                try ZNodePath.check(operation.path, operation: .multi, sequential: sequential)
            } catch var error as ZooKeeperError {
                error.failedOperationIndex = index
                throw error
            }
        }
        let buffers = MultiBuffers(operations)
        let outcome = await core.perform(buffers: buffers) { zh, context in
            zoo_amulti(zh, Int32(buffers.count), buffers.ops, buffers.results, Completions.multi, context)
        }
        let perOperation = outcome.multi ?? []
        if !outcome.isOK {
            if perOperation.count == operations.count,
                let failed = perOperation.firstIndex(where: {
                    $0.rc != ZOK.rawValue && $0.rc != ZRUNTIMEINCONSISTENCY.rawValue
                })
            {
                var error = core.error(perOperation[failed].rc, operation: .multi, path: operations[failed].path)
                error.failedOperationIndex = failed
                throw error
            }
            throw core.error(outcome.rc, operation: .multi, path: nil)
        }
        guard perOperation.count == operations.count else {
            throw ZooKeeperError(code: .marshallingError, operation: .multi)
        }
        return try zip(operations, perOperation).map { operation, result in
            switch operation {
            case .create:
                guard let path = result.createdPath else {
                    throw ZooKeeperError(code: .marshallingError, operation: .multi, path: operation.path)
                }
                return .created(path: path)
            case .delete:
                return .deleted
            case .setData:
                guard let stat = result.stat else {
                    throw ZooKeeperError(code: .marshallingError, operation: .multi, path: operation.path)
                }
                return .dataSet(stat)
            case .check:
                return .checked
            }
        }
    }
}
