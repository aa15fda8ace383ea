/// The Kafka API keys of Kafka 3.9: the first field of every request header.
///
/// Case names are Kafka's request names in lower camel case (`OffsetForLeaderEpochRequest` → `offsetForLeaderEpoch`).
/// Facts from the message definitions (defined versions, first flexible version, generated codec types) are in
/// the generated `ApiKey+Definitions.swift`.
public enum ApiKey: Int16, CaseIterable, Hashable, Sendable {
    case produce = 0
    case fetch = 1
    case listOffsets = 2
    case metadata = 3
    case leaderAndIsr = 4
    case stopReplica = 5
    case updateMetadata = 6
    case controlledShutdown = 7
    case offsetCommit = 8
    case offsetFetch = 9
    case findCoordinator = 10
    case joinGroup = 11
    case heartbeat = 12
    case leaveGroup = 13
    case syncGroup = 14
    case describeGroups = 15
    case listGroups = 16
    case saslHandshake = 17
    case apiVersions = 18
    case createTopics = 19
    case deleteTopics = 20
    case deleteRecords = 21
    case initProducerId = 22
    case offsetForLeaderEpoch = 23
    case addPartitionsToTxn = 24
    case addOffsetsToTxn = 25
    case endTxn = 26
    case writeTxnMarkers = 27
    case txnOffsetCommit = 28
    case describeAcls = 29
    case createAcls = 30
    case deleteAcls = 31
    case describeConfigs = 32
    case alterConfigs = 33
    case alterReplicaLogDirs = 34
    case describeLogDirs = 35
    case saslAuthenticate = 36
    case createPartitions = 37
    case createDelegationToken = 38
    case renewDelegationToken = 39
    case expireDelegationToken = 40
    case describeDelegationToken = 41
    case deleteGroups = 42
    case electLeaders = 43
    case incrementalAlterConfigs = 44
    case alterPartitionReassignments = 45
    case listPartitionReassignments = 46
    case offsetDelete = 47
    case describeClientQuotas = 48
    case alterClientQuotas = 49
    case describeUserScramCredentials = 50
    case alterUserScramCredentials = 51
    case vote = 52
    case beginQuorumEpoch = 53
    case endQuorumEpoch = 54
    case describeQuorum = 55
    case alterPartition = 56
    case updateFeatures = 57
    case envelope = 58
    case fetchSnapshot = 59
    case describeCluster = 60
    case describeProducers = 61
    case brokerRegistration = 62
    case brokerHeartbeat = 63
    case unregisterBroker = 64
    case describeTransactions = 65
    case listTransactions = 66
    case allocateProducerIds = 67
    case consumerGroupHeartbeat = 68
    case consumerGroupDescribe = 69
    case controllerRegistration = 70
    case getTelemetrySubscriptions = 71
    case pushTelemetry = 72
    case assignReplicasToDirs = 73
    case listClientMetricsResources = 74
    case describeTopicPartitions = 75
    case shareGroupHeartbeat = 76
    case shareGroupDescribe = 77
    case shareFetch = 78
    case shareAcknowledge = 79
    case addRaftVoter = 80
    case removeRaftVoter = 81
    case updateRaftVoter = 82
    case initializeShareGroupState = 83
    case readShareGroupState = 84
    case writeShareGroupState = 85
    case deleteShareGroupState = 86
    case readShareGroupStateSummary = 87

    /// Kafka's name for the API (`ApiVersions`, `OffsetForLeaderEpoch`…). (`ApiKey` deliberately has no custom
    /// `description`: this reads the case name through the default one.)
    public var name: String {
        let caseName = String(describing: self)
        return caseName.prefix(1).uppercased() + caseName.dropFirst()
    }

    /// Whether `apiVersion` of this API uses flexible encodings. Versions past the defined ones count as flexible
    /// when the API has a flexible version at all (Kafka's `N+` ranges are open-ended).
    public func isFlexible(apiVersion: Int16) -> Bool {
        guard let first = firstFlexibleVersion else { return false }
        return apiVersion >= first
    }

    /// The request header version a client uses for `apiVersion`: 2 when flexible, 0 for ControlledShutdown v0,
    /// 1 otherwise. Valid for versions this codebase does not know too, which is how a broker reads the header of
    /// an ApiVersions request newer than it.
    public func requestHeaderVersion(apiVersion: Int16) -> Int16 {
        if isFlexible(apiVersion: apiVersion) { return 2 }
        if self == .controlledShutdown && apiVersion == 0 { return 0 }
        return 1
    }

    /// The response header version a broker uses for `apiVersion`: 1 when flexible, else 0, and always 0 for
    /// ApiVersions (a client reads that header before it knows the broker's versions).
    public func responseHeaderVersion(apiVersion: Int16) -> Int16 {
        if self == .apiVersions { return 0 }
        return isFlexible(apiVersion: apiVersion) ? 1 : 0
    }
}
