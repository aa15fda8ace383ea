import FjordTestSupport
import Testing
import ZooKeeper

@Suite("Basic operations", .timeLimit(.minutes(1)))
struct BasicOperationsTests {
    @Test func createGetSetWithCompareAndSet() async throws {
        try await TestZooKeeper.withClient { zk, _ in
            let created = try await zk.create("/a", data: bytes("hello"))
            #expect(created == "/a")

            let read = try await zk.get("/a")
            #expect(read.string == "hello")
            #expect(read.stat.version == 0)
            #expect(read.stat.czxid > 0 && read.stat.czxid == read.stat.mzxid)
            #expect(read.stat.ephemeralOwner == 0 && !read.stat.isEphemeral)
            #expect(read.stat.dataLength == 5 && read.stat.numChildren == 0)

            let updated = try await zk.set("/a", data: bytes("v1"), version: 0)
            #expect(updated.version == 1)
            #expect(updated.mzxid > read.stat.mzxid && updated.czxid == read.stat.czxid)

            let stale = await zooKeeperError { try await zk.set("/a", data: bytes("lost"), version: 0) }
            #expect(stale?.code == .badVersion)
            #expect(stale?.operation == .set && stale?.path == "/a")
            #expect(try await zk.get("/a").string == "v1")

            let unconditional = try await zk.set("/a", data: bytes("v2"))
            #expect(unconditional.version == 2)

            #expect(await zooKeeperError { try await zk.create("/a") }?.code == .nodeExists)
            #expect(await zooKeeperError { _ = try await zk.get("/missing") }?.code == .noNode)
            #expect(await zooKeeperError { try await zk.set("/missing", data: []) }?.code == .noNode)
        }
    }

    @Test func emptyAndBinaryData() async throws {
        try await TestZooKeeper.withClient { zk, _ in
            try await zk.create("/empty")
            #expect(try await zk.get("/empty").data == [])
            let binary: [UInt8] = [0, 255, 1, 128, 0, 0, 7]
            try await zk.create("/binary", data: binary)
            #expect(try await zk.get("/binary").data == binary)
            let large = [UInt8](repeating: 0xAB, count: 512 * 1024)
            try await zk.set("/binary", data: large)
            #expect(try await zk.get("/binary").data == large)
        }
    }

    @Test func deleteExistsAndChildren() async throws {
        try await TestZooKeeper.withClient { zk, _ in
            try await zk.create("/p")
            try await zk.create("/p/b")
            try await zk.create("/p/c", data: bytes("x"))
            #expect(try await zk.children("/p").sorted() == ["b", "c"])
            let (children, stat) = try await zk.childrenWithStat("/p")
            #expect(children.count == 2 && stat.numChildren == 2)
            #expect(try await zk.children("/p/b") == [])
            #expect(await zooKeeperError { _ = try await zk.children("/nope") }?.code == .noNode)

            #expect(await zooKeeperError { try await zk.delete("/p") }?.code == .notEmpty)
            #expect(await zooKeeperError { try await zk.delete("/p/b", version: 5) }?.code == .badVersion)
            try await zk.delete("/p/b", version: 0)
            try await zk.delete("/p/c")
            #expect(try await zk.exists("/p/b") == nil)
            #expect(try await zk.exists("/p")?.numChildren == 0)
            try await zk.delete("/p")
            #expect(try await zk.exists("/p") == nil)
            #expect(await zooKeeperError { try await zk.delete("/p") }?.code == .noNode)
        }
    }

    @Test func sequentialNodes() async throws {
        try await TestZooKeeper.withClient { zk, _ in
            try await zk.create("/q")
            var paths: [String] = []
            for _ in 0..<3 { paths.append(try await zk.create("/q/item-", mode: .persistentSequential)) }
            #expect(paths == ["/q/item-0000000000", "/q/item-0000000001", "/q/item-0000000002"])
            let (path, stat) = try await zk.createReturningStat("/q/e-", mode: .ephemeralSequential)
            #expect(path == "/q/e-0000000003")
            #expect(stat.ephemeralOwner == zk.sessionID)
        }
    }

    @Test func ephemeralNodeVanishesWhenItsSessionCloses() async throws {
        let server = try await TestZooKeeper.server()
        let chroot = try await TestZooKeeper.makeChroot(on: server)
        let owner = try await ZooKeeperClient.connect(connectString: server.connectString(chroot: chroot))
        let observer = try await ZooKeeperClient.connect(connectString: server.connectString(chroot: chroot))

        let (_, stat) = try await owner.createReturningStat("/broker", data: bytes("1"), mode: .ephemeral)
        #expect(stat.ephemeralOwner == owner.sessionID && stat.isEphemeral)
        #expect(try await observer.exists("/broker")?.ephemeralOwner == owner.sessionID)
        let childError = await zooKeeperError { try await owner.create("/broker/child") }
        #expect(childError?.code == .noChildrenForEphemerals)

        await owner.close()
        #expect(owner.state == .closed)
        try await waitUntil("the ephemeral node to vanish", timeout: .seconds(3)) {
            try await observer.exists("/broker") == nil
        }
        await observer.close()
    }

    @Test func chrootIsTransparent() async throws {
        let server = try await TestZooKeeper.server()
        let chroot = try await TestZooKeeper.makeChroot(on: server, prefix: "chroot")
        let root = try await ZooKeeperClient.connect(connectString: server.connectString)
        let inside = try await ZooKeeperClient.connect(connectString: server.connectString(chroot: chroot))

        #expect(try await inside.create("/n", data: bytes("in")) == "/n")
        #expect(try await inside.create("/s-", mode: .persistentSequential) == "/s-0000000001")
        #expect(try await root.get("\(chroot)/n").string == "in")
        #expect(try await inside.children("/").sorted() == ["n", "s-0000000001"])
        let results = try await inside.multi([.create(path: "/m-", mode: .persistentSequential)])
        #expect(results == [.created(path: "/m-0000000002")])

        try await inside.deleteRecursively("/")
        #expect(try await root.children(chroot) == [])
        await inside.close()
        await root.close()
    }

    @Test func ensurePathAndDeleteRecursively() async throws {
        try await TestZooKeeper.withClient { zk, _ in
            try await zk.ensurePath("/brokers/topics/t1/partitions/0")
            try await zk.ensurePath("/brokers/topics/t1/partitions/0")
            try await zk.ensurePath("/brokers/ids")
            #expect(try await zk.children("/brokers").sorted() == ["ids", "topics"])
            try await zk.create("/brokers/topics/t1/partitions/0/state", data: bytes("{}"))
            try await zk.sync("/brokers")
            try await zk.deleteRecursively("/brokers/topics")
            #expect(try await zk.exists("/brokers/topics") == nil)
            #expect(try await zk.exists("/brokers/ids") != nil)
            try await zk.deleteRecursively("/not/there")
        }
    }

    @Test func invalidPathsFailWithBadArgumentsEvenUnderAChroot() async throws {
        try await TestZooKeeper.withClient { zk, chroot in
            // Without the wrapper's own check the C client would turn "relative" into "<chroot>relative".
            for path in ["relative", "", "/a//b", "/a/./b", "/a/../b", "/trailing/"] {
                let error = await zooKeeperError { try await zk.create(path) }
                #expect(error?.code == .badArguments && error?.path == path, "\(path)")
            }
            #expect(await zooKeeperError { _ = try await zk.get("no-slash") }?.code == .badArguments)
            #expect(await zooKeeperError { _ = try await zk.watchNode("x") }?.code == .badArguments)
            try await zk.create("/dir")
            #expect(try await zk.create("/dir/", mode: .persistentSequential) == "/dir/0000000000")
            let root = try await ZooKeeperClient.connect(connectString: try await TestZooKeeper.server().connectString)
            #expect(try await root.exists("\(chroot)relative") == nil)
            await root.close()
        }
    }
}
