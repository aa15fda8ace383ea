import FjordTestSupport
import Testing
import ZooKeeper

@Suite("Multi transactions", .timeLimit(.minutes(1)))
struct MultiTests {
    @Test func allOperationsApplyTogether() async throws {
        try await TestZooKeeper.withClient { zk, _ in
            try await zk.create("/epoch", data: bytes("1"))
            let results = try await zk.multi([
                .create(path: "/m1", data: bytes("a")),
                .create(path: "/m2"),
                .setData(path: "/m1", data: bytes("b"), version: 0),
                .check(path: "/epoch", version: 0),
                .setData(path: "/epoch", data: bytes("2"), version: 0),
                .delete(path: "/m2", version: 0),
                .create(path: "/seq-", mode: .persistentSequential),
            ])
            #expect(results.count == 7)
            #expect(results[0] == .created(path: "/m1"))
            #expect(results[1] == .created(path: "/m2"))
            guard case .dataSet(let m1Stat) = results[2], case .dataSet(let epochStat) = results[4] else {
                Issue.record("expected dataSet results, got \(results)")
                return
            }
            #expect(m1Stat.version == 1 && epochStat.version == 1)
            #expect(results[3] == .checked && results[5] == .deleted)
            guard case .created(let sequential) = results[6] else {
                Issue.record("expected a created result, got \(results[6])")
                return
            }
            #expect(sequential.hasPrefix("/seq-") && sequential.count == "/seq-".count + 10)

            #expect(try await zk.get("/m1").string == "b")
            #expect(try await zk.get("/epoch").stat.version == 1)
            #expect(try await zk.exists("/m2") == nil)
            #expect(try await zk.multi([]) == [])
        }
    }

    @Test func failureNamesTheFailingOperationAndAppliesNothing() async throws {
        try await TestZooKeeper.withClient { zk, _ in
            try await zk.create("/controller_epoch", data: bytes("7"))
            try await zk.set("/controller_epoch", data: bytes("8"))  // version 1 now

            // A zombie controller's write fenced by the epoch check: nothing of it may land.
            let fenced = await zooKeeperError {
                try await zk.multi([
                    .create(path: "/f1"),
                    .check(path: "/controller_epoch", version: 0),
                    .create(path: "/f2"),
                ])
            }
            #expect(fenced?.code == .badVersion)
            #expect(fenced?.operation == .multi)
            #expect(fenced?.failedOperationIndex == 1)
            #expect(fenced?.path == "/controller_epoch")
            #expect(try await zk.exists("/f1") == nil)
            #expect(try await zk.exists("/f2") == nil)

            let exists = await zooKeeperError {
                try await zk.multi([
                    .setData(path: "/controller_epoch", data: bytes("9")), .create(path: "/controller_epoch"),
                ])
            }
            #expect(exists?.code == .nodeExists && exists?.failedOperationIndex == 1)
            #expect(try await zk.get("/controller_epoch").string == "8")

            let invalid = await zooKeeperError {
                try await zk.multi([.check(path: "/controller_epoch", version: 1), .delete(path: "relative")])
            }
            #expect(invalid?.code == .badArguments && invalid?.failedOperationIndex == 1)

            let missing = await zooKeeperError { try await zk.multi([.delete(path: "/nope")]) }
            #expect(missing?.code == .noNode && missing?.failedOperationIndex == 0 && missing?.path == "/nope")
        }
    }

    @Test func controllerElectionShape() async throws {
        // ARCHITECTURE §2: election = create ephemeral /controller + bump /controller_epoch at its expected version.
        try await TestZooKeeper.withClient { zk, _ in
            try await zk.create("/controller_epoch", data: bytes("0"))
            let epoch = try await zk.get("/controller_epoch")
            let results = try await zk.multi([
                .create(path: "/controller", data: bytes(#"{"brokerid":1}"#), mode: .ephemeral),
                .setData(path: "/controller_epoch", data: bytes("1"), version: epoch.stat.version),
            ])
            #expect(results.first == .created(path: "/controller"))
            #expect(try await zk.exists("/controller")?.ephemeralOwner == zk.sessionID)

            let rival = await zooKeeperError {
                try await zk.multi([
                    .create(path: "/controller", data: bytes(#"{"brokerid":2}"#), mode: .ephemeral),
                    .setData(path: "/controller_epoch", data: bytes("2"), version: epoch.stat.version),
                ])
            }
            #expect(rival?.code == .nodeExists && rival?.failedOperationIndex == 0)
        }
    }
}
