import FjordModel
import Foundation
import Testing

@testable import FjordStorage

@Suite struct CheckpointTests {
    @Test func offsetCheckpointRoundTripsInKafkasFormat() throws {
        let dir = TemporaryDirectory()
        let file = OffsetCheckpointFile(path: dir.path + "/recovery-point-offset-checkpoint")
        #expect(try file.read().isEmpty)
        let offsets: [TopicPartition: Offset] = [
            TopicPartition(topic: "b", partition: 1): Offset(10), TopicPartition(topic: "a", partition: 0): Offset(0),
            TopicPartition(topic: "a.b_c-d", partition: 12): Offset(Int64.max),
        ]
        try file.write(offsets)
        #expect(try file.read() == offsets)
        let text = try String(contentsOfFile: file.path, encoding: .utf8)
        #expect(text == "0\n3\na 0 0\na.b_c-d 12 9223372036854775807\nb 1 10\n")
        try file.write([:])
        #expect(try String(contentsOfFile: file.path, encoding: .utf8) == "0\n0\n")
    }

    @Test func aTornTemporaryFileDoesNotHurt() throws {
        let dir = TemporaryDirectory()
        let file = OffsetCheckpointFile(path: dir.path + "/replication-offset-checkpoint")
        try file.write([TopicPartition(topic: "t", partition: 0): Offset(7)])
        // A crash while writing the next version leaves a partial .tmp: the real file is untouched.
        try Data("0\n2\nt 0 9\nt 1".utf8).write(to: URL(fileURLWithPath: file.path + ".tmp"))
        #expect(try file.read() == [TopicPartition(topic: "t", partition: 0): Offset(7)])
        try file.write([TopicPartition(topic: "t", partition: 0): Offset(8)])
        #expect(try file.read() == [TopicPartition(topic: "t", partition: 0): Offset(8)])
        #expect(!FileManager.default.fileExists(atPath: file.path + ".tmp"))
    }

    @Test func malformedCheckpointsAreRejected() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/cp"
        for content in [
            "", "1\n0\n", "0\n2\nt 0 1\n", "0\n1\nt 0\n", "0\n1\nt x 1\n", "0\n1\nt 0 1 2\n", "0\n-1\n",
            "0\n99999999999\n",
        ] {
            try Data(content.utf8).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: LogError.self, "\(content.debugDescription)") {
                try OffsetCheckpointFile(path: path).read()
            }
            #expect(error?.code == .storage)
        }
    }

    @Test func leaderEpochCheckpointRoundTrips() throws {
        let dir = TemporaryDirectory()
        let file = LeaderEpochCheckpointFile(path: dir.path + "/leader-epoch-checkpoint")
        let entries = [
            LeaderEpochCache.Entry(epoch: LeaderEpoch(0), startOffset: Offset(0)),
            LeaderEpochCache.Entry(epoch: LeaderEpoch(4), startOffset: Offset(1_234)),
        ]
        try file.write(entries)
        #expect(try String(contentsOfFile: file.path, encoding: .utf8) == "0\n2\n0 0\n4 1234\n")
        #expect(try file.read() == entries)
    }
}
