import FjordTestSupport
import Testing
import ZooKeeper

/// Many concurrent operations pipeline on one session; the figures are printed for the record.
///
/// Each test runs on a server of its own (the shared one is busy with the other suites), one test at a time, after
/// a warm-up; other suites still share the two cores, so the figures are indicative.
@Suite("Pipelining", .serialized, .timeLimit(.minutes(1)))
struct PipeliningTests {
    /// Runs `body` with a client on a dedicated server, after warming up the server's JIT with a few hundred
    /// operations under `/warmup`.
    private func withDedicatedServer(_ body: (ZooKeeperClient) async throws -> Void) async throws {
        TestZooKeeper.quietLibrary()
        try await ZooKeeperServer.withServer { server in
            let zk = try await ZooKeeperClient.connect(connectString: server.connectString)
            try await zk.create("/warmup")
            for index in 0..<300 { try await zk.create("/warmup/\(index)") }
            _ = await zk.getMany((0..<300).map { "/warmup/\($0)" })
            do {
                try await body(zk)
                await zk.close()
            } catch {
                await zk.close()
                throw error
            }
        }
    }

    @Test func thousandsOfConcurrentCreatesPipeline() async throws {
        try await withDedicatedServer { zk in
            try await zk.create("/topics")
            let count = 2_000
            let (created, elapsed) = try await measure {
                try await withThrowingTaskGroup(of: String.self) { group in
                    for index in 0..<count {
                        group.addTask { try await zk.create("/topics/t\(index)", data: bytes("{\"partitions\":{}}")) }
                    }
                    var paths: [String] = []
                    for try await path in group { paths.append(path) }
                    return paths
                }
            }
            #expect(created.count == count)
            #expect(try await zk.children("/topics").count == count)
            print("[zookeeper] \(count) concurrent creates: \(rate(count, elapsed)) ops/s (\(elapsed))")

            let paths = (0..<count).map { "/topics/t\($0)" } + ["/topics/missing"]
            let (results, readElapsed) = await measure { await zk.getMany(paths) }
            #expect(results.count == count + 1)
            #expect(results.prefix(count).allSatisfy { (try? $0.get().string) == "{\"partitions\":{}}" })
            guard case .failure(let missing) = results[count] else {
                Issue.record("a missing node must be a failure")
                return
            }
            #expect(missing.code == .noNode && missing.path == "/topics/missing")
            print("[zookeeper] getMany of \(count + 1) nodes: \(rate(count + 1, readElapsed)) ops/s (\(readElapsed))")
        }
    }

    @Test func sequentialLatency() async throws {
        try await withDedicatedServer { zk in
            try await zk.create("/latency")
            let writes = 200
            let (_, writeElapsed) = try await measure {
                for index in 0..<writes { try await zk.set("/latency", data: bytes("\(index)")) }
            }
            let (_, readElapsed) = try await measure {
                for _ in 0..<writes { _ = try await zk.get("/latency") }
            }
            #expect(try await zk.get("/latency").stat.version == Int32(writes))
            print(
                "[zookeeper] sequential set: \(perOperation(writeElapsed, writes)) per write "
                    + "(\(rate(writes, writeElapsed)) writes/s); sequential get: \(perOperation(readElapsed, writes)) "
                    + "per read (\(rate(writes, readElapsed)) reads/s)")
        }
    }

    private func rate(_ count: Int, _ elapsed: Duration) -> Int {
        Int(Double(count) / max(seconds(elapsed), 1e-9))
    }

    private func perOperation(_ elapsed: Duration, _ count: Int) -> String {
        let microseconds = seconds(elapsed) * 1e6 / Double(count)
        return "\(Int(microseconds)) µs"
    }

    private func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
