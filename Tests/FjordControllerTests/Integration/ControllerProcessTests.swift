import FjordCluster
import FjordModel
import FjordTestSupport
import Foundation
import Testing
import ZooKeeper

/// Real `fjord-controller` processes: election, failover after kill -9, session expiry of a frozen controller.
@Suite(.serialized) struct ControllerProcessTests {
    /// The controller executable next to the test bundle (the test target depends on it, so it is built).
    static func executable() throws -> String {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let path = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("fjord-controller").path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw MissingExecutable(path: path) }
        return path
    }

    static func spawn(id: Int32, connect: String, directory: String) throws -> ManagedProcess {
        try ManagedProcess.spawn(
            [
                try executable(), "--override", "controller.id=\(id)", "--override", "zookeeper.connect=\(connect)",
                "--override", "listeners=CONTROLLER://127.0.0.1:0", "--override", "zookeeper.session.timeout.ms=2000",
                "--override", "auto.leader.rebalance.enable=false",
            ], logPath: "\(directory)/controller-\(id).log")
    }

    static func tempDirectory() -> String {
        let path = NSTemporaryDirectory() + "fjord-ctl-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func standbyTakesOverAfterKill9AndTheRestartedOneStandsBy() async throws {
        let server = try await Integration.server()
        let (connect, zk) = try await Integration.chroot(server)
        let directory = Self.tempDirectory()
        var processes: [Int32: ManagedProcess] = [:]
        for id: Int32 in [1, 2] { processes[id] = try Self.spawn(id: id, connect: connect, directory: directory) }
        defer { for p in processes.values { Task { await p.terminate() } } }

        try await waitUntil("a controller elected", timeout: .seconds(30)) {
            await Integration.activeControllerID(zk) != nil
        }
        let active = try #require(await Integration.activeControllerID(zk))
        let other: Int32 = active == 1 ? 2 : 1
        let (epoch, _) = try await Integration.controllerEpoch(zk)
        try await waitUntil("the other one standing by", timeout: .seconds(30)) {
            processes[other]!.logTail().contains("standing by")
        }

        let (_, elapsed) = try await measure {
            await processes[active]!.kill()
            try await waitUntil("standby takes over", timeout: .seconds(10), pollInterval: .milliseconds(10)) {
                await Integration.isActive(zk, other, epoch: epoch + 1)
            }
        }
        print("failover after kill -9: \(elapsed) (session timeout 2 s)")
        #expect(elapsed < .seconds(2) + .milliseconds(1500))

        try? FileManager.default.createDirectory(atPath: directory + "/restart", withIntermediateDirectories: true)
        processes[active] = try Self.spawn(id: active, connect: connect, directory: directory + "/restart")
        try await waitUntil("restarted controller stands by", timeout: .seconds(30)) {
            processes[active]!.logTail().contains("standing by")
        }
        #expect(await Integration.activeControllerID(zk) == other)
        #expect(try await Integration.controllerEpoch(zk).epoch == epoch + 1)
    }

    @Test func frozenControllerLosesItsSessionAndRejoinsAsStandby() async throws {
        let server = try await Integration.server()
        let (connect, zk) = try await Integration.chroot(server)
        let directory = Self.tempDirectory()
        let first = try Self.spawn(id: 1, connect: connect, directory: directory)
        defer { Task { await first.terminate() } }
        try await waitUntil("first elected", timeout: .seconds(30)) { await Integration.activeControllerID(zk) == 1 }
        let second = try Self.spawn(id: 2, connect: connect, directory: directory)
        defer { Task { await second.terminate() } }
        try await waitUntil("second standing by", timeout: .seconds(30)) { second.logTail().contains("standing by") }
        let (epoch, _) = try await Integration.controllerEpoch(zk)

        try await first.suspend()
        try await waitUntil("second takes over", timeout: .seconds(10)) {
            await Integration.isActive(zk, 2, epoch: epoch + 1)
        }
        try await first.resume()
        try await waitUntil("first resigned and stands by", timeout: .seconds(15)) {
            let log = first.logTail(maxBytes: 20_000)
            return log.contains("session lost") && log.components(separatedBy: "standing by").count >= 2
        }
        #expect(await Integration.activeControllerID(zk) == 2)
        #expect(try await Integration.controllerEpoch(zk).epoch == epoch + 1)
    }
}

struct MissingExecutable: Error, CustomStringConvertible {
    var path: String
    var description: String { "\(path) is missing: build the fjord-controller product first" }
}
