import FjordCluster
import FjordModel
import FjordTestSupport
import Foundation
import KafkaProtocol
import Testing
import ZooKeeper

@testable import FjordController

/// A real `fjord-broker` rejects control requests from a superseded controller (KIP-380): after controller B takes
/// over from A, a request carrying A's epoch gets STALE_CONTROLLER_EPOCH, and one for an older incarnation of the
/// broker gets STALE_BROKER_EPOCH. Runs when the `fjord-broker` executable is built next to the tests (or named by
/// `FJORD_BROKER_BINARY`).
@Suite(.serialized) struct BrokerFencingTests {
    static var brokerBinary: String? {
        if let path = ProcessInfo.processInfo.environment["FJORD_BROKER_BINARY"],
            FileManager.default.isExecutableFile(atPath: path)
        {
            return path
        }
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let path = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("fjord-broker").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    @Test(.enabled(if: brokerBinary != nil, "fjord-broker is not built"))
    func brokerRejectsRequestsFromASupersededController() async throws {
        let server = try await Integration.server()
        let (connect, zk) = try await Integration.chroot(server)
        let directory = NSTemporaryDirectory() + "fjord-fence-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory + "/logs", withIntermediateDirectories: true)
        let port = Int(try freePort())
        let broker = try ManagedProcess.spawn(
            [
                try #require(Self.brokerBinary), "--override", "broker.id=1", "--override",
                "zookeeper.connect=\(connect)",
                "--override", "listeners=PLAINTEXT://127.0.0.1:\(port)", "--override", "log.dirs=\(directory)/logs",
                "--override", "zookeeper.session.timeout.ms=4000",
            ], logPath: directory + "/broker.log")
        defer { Task { await broker.terminate() } }
        try await waitUntil("broker registered", timeout: .seconds(30)) {
            (try? await zk.exists(ZNodePaths.broker(BrokerID(1)))) != nil
        }
        let registration = try await zk.get(ZNodePaths.broker(BrokerID(1)))
        let live = LiveBroker(
            id: BrokerID(1), epoch: BrokerEpoch(registration.stat.czxid),
            registration: try ZNodeJSON.decode(BrokerRegistration.self, from: registration.data, path: ""))

        // Controller A, then controller B after A stops: B's epoch is newer.
        let a = Integration.RunningController(id: 1000, connect: connect)
        try await a.waitActive()
        let oldEpoch = try #require(a.status.epoch)
        await a.stop()
        let b = Integration.RunningController(id: 1001, connect: connect)
        defer { Task { await b.stop() } }
        try await b.waitActive()
        let newEpoch = try #require(b.status.epoch)
        #expect(newEpoch > oldEpoch)

        func updateMetadata(controllerEpoch: ControllerEpoch, brokerEpoch: BrokerEpoch) async throws -> Int16 {
            let header = ControlRequestHeader(
                controllerID: 1000, controllerEpoch: controllerEpoch, brokerEpoch: brokerEpoch)
            let request = ControlRequestCodec.updateMetadata(header, [], [:], [live])
            return try await Integration.call(request, version: ControlRequestCodec.updateMetadataVersion, port: port)
                .errorCode
        }
        // Once B's own UpdateMetadata has reached the broker, A's epoch is refused.
        try await waitUntil("zombie controller refused", timeout: .seconds(20), pollInterval: .milliseconds(100)) {
            try await updateMetadata(controllerEpoch: oldEpoch, brokerEpoch: live.epoch)
                == ControllerErrorCode.staleControllerEpoch.rawValue
        }
        #expect(try await updateMetadata(controllerEpoch: newEpoch, brokerEpoch: live.epoch) == 0)
        #expect(
            try await updateMetadata(controllerEpoch: newEpoch, brokerEpoch: BrokerEpoch(live.epoch.rawValue - 1))
                == ControllerErrorCode.staleBrokerEpoch.rawValue)
    }
}
