import FjordTestSupport
import Testing
import ZooKeeper

@Suite("Watches", .timeLimit(.minutes(1)))
struct WatchTests {
    @Test func nodeWatchReportsCreationChangesAndDeletion() async throws {
        try await TestZooKeeper.withClient { zk, _ in
            let (watch, initial) = try await zk.watchNode("/w")
            #expect(initial == nil)
            let events = Recorder(watch)

            try await zk.create("/w", data: bytes("0"))
            try await events.waitForCount(1)
            try await zk.set("/w", data: bytes("1"))
            try await events.waitForCount(2)
            #expect(try await zk.get("/w").string == "1")
            try await zk.delete("/w")
            try await events.waitForCount(3)
            try await zk.create("/w")
            try await events.waitForCount(4)

            #expect(events.elements.map(\.kind) == [.nodeCreated, .nodeDataChanged, .nodeDeleted, .nodeCreated])
            #expect(events.elements.allSatisfy { $0.path == "/w" })
            watch.cancel()
            try await events.waitForFinish()
            #expect(events.error == nil)
        }
    }

    @Test func rereadAfterEachEventSeesTheLatestValue() async throws {
        try await TestZooKeeper.withClient { zk, _ in
            try await zk.create("/state", data: bytes("0"))
            let (watch, stat) = try await zk.watchNode("/state")
            #expect(stat?.version == 0)
            let writer = Task {
                for value in 1...50 { try await zk.set("/state", data: bytes("\(value)")) }
            }
            // The controller's pattern: on every event, re-read; the last read must see the last write.
            var lastSeen = ""
            for try await _ in watch {
                lastSeen = try await zk.get("/state").string
                if lastSeen == "50" { break }
            }
            try await writer.value
            #expect(lastSeen == "50")
        }
    }

    @Test func childrenWatchReportsChildChangesAndEndsOnDeletion() async throws {
        try await TestZooKeeper.withClient { zk, _ in
            try await zk.ensurePath("/brokers/ids")
            let (watch, children, stat) = try await zk.watchChildren("/brokers/ids")
            #expect(children == [] && stat.numChildren == 0)
            let events = Recorder(watch)

            try await zk.create("/brokers/ids/1", mode: .ephemeral)
            try await events.waitForCount(1)
            try await zk.set("/brokers/ids/1", data: bytes("data changes of a child are not child events"))
            try await zk.create("/brokers/ids/2", mode: .ephemeral)
            try await events.waitForCount(2)
            #expect(try await zk.children("/brokers/ids").sorted() == ["1", "2"])

            try await zk.delete("/brokers/ids/1")
            try await events.waitForCount(3)
            try await zk.delete("/brokers/ids/2")
            try await events.waitForCount(4)
            try await zk.delete("/brokers/ids")
            try await events.waitForFinish()
            #expect(events.error == nil)
            #expect(
                events.elements.map(\.kind) == [
                    .nodeChildrenChanged, .nodeChildrenChanged, .nodeChildrenChanged, .nodeChildrenChanged,
                    .nodeDeleted,
                ])
            #expect(await zooKeeperError { _ = try await zk.watchChildren("/brokers/ids") }?.code == .noNode)
        }
    }

    @Test func watchesEndWithClosingWhenTheClientCloses() async throws {
        let server = try await TestZooKeeper.server()
        let chroot = try await TestZooKeeper.makeChroot(on: server)
        let zk = try await ZooKeeperClient.connect(connectString: server.connectString(chroot: chroot))
        let (watch, _) = try await zk.watchNode("/x")
        let events = Recorder(watch)
        let states = Recorder(zk.sessionStates())
        try await states.waitForCount(1)

        await zk.close()
        await zk.close()  // twice is harmless
        try await events.waitForFinish()
        #expect((events.error as? ZooKeeperError)?.code == .closing)
        try await states.waitForFinish()
        #expect(states.elements == [.connected, .closed])
        #expect(await zooKeeperError { _ = try await zk.watchNode("/x") }?.code == .closing)
        #expect(await zooKeeperError { _ = try await zk.get("/x") }?.code == .closing)
    }

    @Test func manyWatchersOnOnePathAllFire() async throws {
        try await TestZooKeeper.withClient { zk, _ in
            try await zk.create("/shared")
            var recorders: [Recorder<WatchEvent>] = []
            for _ in 0..<20 { recorders.append(Recorder(try await zk.watchNode("/shared").watch)) }
            try await zk.set("/shared", data: bytes("x"))
            for recorder in recorders { try await recorder.waitForCount(1) }
            #expect(recorders.allSatisfy { $0.elements.map(\.kind) == [.nodeDataChanged] })
        }
    }
}
