import Logging
import ZooKeeper

/// Runs a ZooKeeper watch body for the broker's whole life, across sessions.
///
/// The body arms its watches on the client it is given and returns or throws when they end. After a transient
/// failure (connection loss, a watch that could not be re-armed) the body runs again on the same client after
/// `retryDelay`; when the session is over (expired, closed) it runs on the next session once the broker has
/// registered again. Ends when the task is cancelled or the session holder is closed.
enum SessionWatchLoop {
    static func run(
        _ name: String, session: BrokerSession, logger: Logger, retryDelay: Duration = .milliseconds(500),
        body: @escaping @Sendable (ZooKeeperClient) async throws -> Void
    ) async {
        var generation: UInt64 = 0
        var client: ZooKeeperClient?
        while !Task.isCancelled {
            if client == nil || client!.state.isFinal {
                guard let next = await session.next(after: generation) else { return }
                (client, generation) = (next.client, next.generation)
            }
            guard let zk = client else { return }
            do {
                try await body(zk)
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.debug("watch interrupted", metadata: ["watch": "\(name)", "error": "\(error)"])
            }
            if !zk.state.isFinal {
                do { try await Task.sleep(for: retryDelay) } catch { return }
            }
        }
    }
}
