import KafkaProtocol
import KafkaWire
import NIOCore
import Testing

@Suite struct CatalogTests {
    /// PROFILE.md's "What to advertise" table, exactly.
    @Test func advertisedTableMatchesProfile() {
        let expected: [(ApiKey, ClosedRange<Int16>)] = [
            (.produce, 0...8), (.fetch, 4...11), (.listOffsets, 0...5), (.metadata, 0...8), (.offsetCommit, 0...7),
            (.offsetFetch, 0...5), (.findCoordinator, 0...2), (.joinGroup, 0...5), (.heartbeat, 0...3),
            (.leaveGroup, 0...3), (.syncGroup, 0...3), (.describeGroups, 0...4), (.listGroups, 0...2),
            (.apiVersions, 0...3), (.createTopics, 0...4), (.deleteTopics, 0...3), (.initProducerId, 0...1),
            (.offsetForLeaderEpoch, 0...3), (.describeConfigs, 0...3), (.alterConfigs, 0...1),
            (.createPartitions, 0...1), (.deleteGroups, 0...1),
            // Beyond PROFILE.md: the admin APIs Kafka's Java tools check for before they send.
            (.deleteRecords, 0...1), (.electLeaders, 0...1), (.incrementalAlterConfigs, 0...0),
            (.alterPartitionReassignments, 0...0), (.listPartitionReassignments, 0...0), (.describeCluster, 0...1),
        ]
        let table = ApiVersionTable.fjord
        #expect(table.entries.count == expected.count)
        for (apiKey, range) in expected {
            #expect(table.advertisedRange(for: apiKey) == range, "\(apiKey)")
        }
        #expect(table.advertisedRange(for: .saslHandshake) == nil)
        let sasl = ApiVersionTable.fjord(saslEnabled: true)
        #expect(sasl.advertisedRange(for: .saslHandshake) == 0...1)
        #expect(sasl.advertisedRange(for: .saslAuthenticate) == 0...1)
        #expect(sasl.entries.map(\.apiKey.rawValue) == sasl.entries.map(\.apiKey.rawValue).sorted())
        #expect(table.isAdvertised(.produce, version: 0) && !table.isAdvertised(.produce, version: 9))
    }

    /// Everything advertised has a codec for every advertised version, and no advertised version is flexible
    /// except ApiVersions v3 and the admin APIs that have no other kind.
    @Test func advertisedVersionsHaveCodecs() {
        for entry in ApiVersionTable.fjord(saslEnabled: true).entries {
            let request = entry.apiKey.requestType
            #expect(request != nil, "\(entry.apiKey) has no codec")
            #expect(request.map { entry.versions.clamped(to: $0.validVersions) == entry.versions } ?? false)
            for version in entry.versions where entry.apiKey.isFlexible(apiVersion: version) {
                let flexibleOnly: Set<ApiKey> = [
                    .alterPartitionReassignments, .listPartitionReassignments, .describeCluster,
                ]
                #expect(
                    (entry.apiKey == .apiVersions && version == 3) || flexibleOnly.contains(entry.apiKey),
                    "\(entry.apiKey) v\(version) is flexible")
            }
        }
        let entries = ApiVersionTable.fjord.responseEntries
        #expect(entries.first == ApiVersionsResponse.ApiVersion(apiKey: 0, minVersion: 0, maxVersion: 8))
    }

    @Test func errorCodeTableIsDenseAndKafkaShaped() {
        let all = ErrorCode.allKnown
        #expect(all.first?.rawValue == -1 && all.last?.rawValue == 127)
        #expect(all.map(\.rawValue) == Array(-1...127))
        #expect(Set(all.map(\.name)).count == all.count)
        #expect(ErrorCode.noError.name == "NONE" && !ErrorCode.noError.isRetriable)
        #expect(ErrorCode.notLeaderOrFollower.name == "NOT_LEADER_OR_FOLLOWER")
        #expect(ErrorCode.notLeaderOrFollower.isRetriable)
        #expect(ErrorCode.unknownTopicOrPartition.isRetriable)
        #expect(ErrorCode.notEnoughReplicas.isRetriable && ErrorCode.requestTimedOut.isRetriable)
        #expect(!ErrorCode.unsupportedVersion.isRetriable && !ErrorCode.messageTooLarge.isRetriable)
        #expect(!ErrorCode.rebalanceInProgress.isRetriable && !ErrorCode.illegalGeneration.isRetriable)
        #expect(ErrorCode.unsupportedVersion.rawValue == 35 && ErrorCode.memberIdRequired.rawValue == 79)
        #expect(ErrorCode.voterNotFound.name == "VOTER_NOT_FOUND")
        #expect(ErrorCode(500).name == "UNKNOWN_CODE_500" && !ErrorCode(500).isKnown)
        #expect(!ErrorCode(Int16.min).isRetriable)
        for code in all { #expect(!code.defaultMessage.isEmpty) }
    }

    @Test func apiKeyNames() {
        #expect(ApiKey.offsetForLeaderEpoch.name == "OffsetForLeaderEpoch")
        #expect(ApiKey.allCases.count == 88)
        #expect(ApiKey.allCases.map(\.rawValue) == Array(0...87))
        #expect(ApiKey.fetch.firstFlexibleVersion == 12 && ApiKey.saslHandshake.firstFlexibleVersion == nil)
    }

    /// Consumer-protocol payloads carry their version in front; newer versions are read with the newest layout.
    @Test func consumerProtocolIsVersionPrefixed() throws {
        let subscription = ConsumerProtocolSubscription(
            topics: ["a", "b"], userData: nil, ownedPartitions: [.init(topic: "a", partitions: [0, 2])],
            generationId: 4, rackId: "rack-1")
        var buffer = ByteBuffer()
        subscription.writeVersionPrefixed(to: &buffer, version: 3)
        #expect(Array(buffer.readableBytesView.prefix(2)) == [0x00, 0x03])
        let decoded = try ConsumerProtocolSubscription.decodeVersionPrefixed(from: &buffer, limits: .default)
        #expect(decoded.version == 3 && decoded.value == subscription)

        // A version 9 payload with extra trailing bytes: read as version 3, extra bytes ignored.
        var future = ByteBuffer()
        future.writeInt16(9)
        subscription.write(to: &future, version: 3)
        future.writeBytes([1, 2, 3])
        let read = try ConsumerProtocolSubscription.decodeVersionPrefixed(from: &future, limits: .default)
        #expect(read.version == 9 && read.value == subscription)

        var negative = ByteBuffer(bytes: [0xFF, 0xFF])
        #expect(throws: KafkaWireError.self) {
            try ConsumerProtocolAssignment.decodeVersionPrefixed(from: &negative, limits: .default)
        }
    }
}
