import FjordCluster
import FjordCoordinator
import FjordModel
import Foundation
import Testing

/// JSON as ZooKeeper nodes hold it (FjordCluster's encoding).
enum ZNodeJSONBridge {
    static func encode<T: Encodable>(_ value: T) -> [UInt8] { ZNodeJSON.encode(value) }
    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try ZNodeJSON.decode(type, from: bytes, path: "/test")
    }
}

@Suite struct PersistenceTests {
    @Test func metadataRecordJSONLayout() throws {
        let record = GroupMetadataRecord(
            generation: 3, protocolType: "consumer", protocolName: "range", leader: "m1", state: "Stable",
            currentStateTimestamp: 99,
            members: [
                GroupMemberRecord(
                    memberID: "m1", groupInstanceID: nil, clientID: "c", clientHost: "/h", sessionTimeoutMs: 10,
                    rebalanceTimeoutMs: 20, subscription: [1, 2, 3], assignment: [255])
            ])
        let json = String(decoding: ZNodeJSON.encode(record), as: UTF8.self)
        #expect(
            json
                == #"{"current_state_timestamp":99,"generation":3,"leader":"m1","members":[{"assignment":"\/w==","client_host":"\/h","client_id":"c","member_id":"m1","rebalance_timeout_ms":20,"session_timeout_ms":10,"subscription":"AQID"}],"protocol":"range","protocol_type":"consumer","state":"Stable","version":1}"#
        )
        #expect(try ZNodeJSONBridge.decode(GroupMetadataRecord.self, Array(json.utf8)) == record)
    }

    @Test func offsetsRecordJSONLayout() throws {
        let record = GroupOffsetsRecord([
            TopicPartition(topic: "t", partition: 7): CommittedOffset(
                offset: Offset(5), leaderEpoch: LeaderEpoch(2), metadata: "x", commitTimestamp: TimestampMs(11))
        ])
        let json = String(decoding: ZNodeJSON.encode(record), as: UTF8.self)
        #expect(
            json
                == #"{"offsets":{"t":{"7":{"commit_timestamp":11,"leader_epoch":2,"metadata":"x","offset":5}}},"version":1}"#
        )
        let bad = GroupOffsetsRecord(offsets: [
            "t": ["x": CommittedOffsetRecord(CommittedOffset(offset: Offset(1), commitTimestamp: TimestampMs(1)))]
        ])
        #expect(throws: ClusterStateError.self) { _ = try bad.committedOffsets(path: "/p") }
    }

    @Test func claimJSONLayout() {
        let claim = GroupCoordinatorClaim(broker: BrokerID(2), brokerEpoch: BrokerEpoch(77), coordinatorEpoch: 4)
        #expect(
            String(decoding: ZNodeJSON.encode(claim), as: UTF8.self)
                == #"{"broker_epoch":77,"broker_id":2,"coordinator_epoch":4,"version":1}"#)
    }

    @Test func inconsistentMetadataIsRejectedOnLoad() {
        let record = GroupMetadataRecord(
            generation: 1, protocolType: "consumer", protocolName: nil, leader: "m", state: "Stable",
            currentStateTimestamp: nil,
            members: [
                GroupMemberRecord(
                    memberID: "m", groupInstanceID: nil, clientID: "c", clientHost: "h", sessionTimeoutMs: 10,
                    rebalanceTimeoutMs: 10, subscription: [], assignment: [])
            ])
        var machine = GroupStateMachine(groupID: "g", config: GroupCoordinatorConfig(), memberIDIncarnation: "i")
        #expect(throws: ClusterStateError.self) {
            _ = try machine.load(metadata: record, offsets: nil, now: TimestampMs(0))
        }
    }

    @Test func znodeNamesEncodeGroupIDs() {
        let cases: [(String, String)] = [
            ("my-group_1.x", "my-group_1.x"), ("a/b", "a%2Fb"), ("", "%"), (".", "%2E"), ("..", "%2E%2E"),
            ("grüße", "gr%C3%BC%C3%9Fe"), ("50%", "50%25"), ("sp ace", "sp%20ace"),
        ]
        for (id, name) in cases {
            #expect(GroupZNodePaths.encode(GroupID(id)) == name)
            #expect(GroupZNodePaths.decode(name) == GroupID(id))
        }
        #expect(GroupZNodePaths.decode("a/b") == nil && GroupZNodePaths.decode("%2") == nil)
        #expect(GroupZNodePaths.decode("%2e") == nil, "only the canonical encoding is accepted")
        let paths = GroupZNodePaths("a/b")
        #expect(paths.owner == "/consumer_groups/a%2Fb/owner" && paths.epoch == "/consumer_groups/a%2Fb/epoch")
        #expect(
            paths.metadata == "/consumer_groups/a%2Fb/metadata" && paths.offsets == "/consumer_groups/a%2Fb/offsets")
    }

    @Test func coordinatorSelection() {
        // Java 17's "my-group".hashCode() and "grüße".hashCode() (UTF-16 code units).
        #expect(CoordinatorSelection.javaHashCode("my-group") == -1_906_497_762)
        #expect(CoordinatorSelection.javaHashCode("grüße") == 98_768_023)
        #expect(CoordinatorSelection.javaHashCode("") == 0)
        let live = [BrokerID(3), BrokerID(1), BrokerID(2)]
        #expect(
            CoordinatorSelection.coordinator(for: "my-group", liveBrokers: live, currentOwner: nil) == BrokerID(1),
            "1906497762 % 3 == 0: the lowest id")
        #expect(
            CoordinatorSelection.coordinator(for: "my-group", liveBrokers: live, currentOwner: BrokerID(3))
                == BrokerID(3))
        #expect(
            CoordinatorSelection.coordinator(for: "my-group", liveBrokers: live, currentOwner: BrokerID(9))
                != BrokerID(9))
        #expect(CoordinatorSelection.coordinator(for: "g", liveBrokers: [], currentOwner: nil) == nil)
        // Every broker computes the same answer whatever order it lists the live brokers in.
        #expect(
            CoordinatorSelection.coordinator(for: "x", liveBrokers: live, currentOwner: nil)
                == CoordinatorSelection.coordinator(for: "x", liveBrokers: live.reversed(), currentOwner: nil))
    }

    @Test func configFromProperties() throws {
        let resolved = try ResolvedConfig(
            definitions: GroupCoordinatorConfig.definitions, file: nil, environment: [:],
            flags: Properties(["group.min.session.timeout.ms": "100", "offsets.retention.minutes": "2"]))
        let config = try GroupCoordinatorConfig(resolved)
        #expect(config.minSessionTimeoutMs == 100 && config.maxSessionTimeoutMs == 1_800_000)
        #expect(config.initialRebalanceDelayMs == 3_000 && config.offsetsRetentionMs == 120_000)
        let bad = try ResolvedConfig(
            definitions: GroupCoordinatorConfig.definitions, file: nil, environment: [:],
            flags: Properties(["group.min.session.timeout.ms": "5000", "group.max.session.timeout.ms": "10"]))
        #expect(throws: ConfigError.self) { _ = try GroupCoordinatorConfig(bad) }
    }
}
