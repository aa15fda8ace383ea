/// The messages Fjord generates codecs for. Each API contributes its `…Request.json` and `…Response.json`;
/// data schemas are listed by file name. Add an API here, run `swift run fjord-protocol-gen`, commit the output.
enum MessageList {
    /// APIs the real clients use (PROFILE.md) and the control-plane APIs between controller and brokers.
    static let apis: [String] = [
        // Client APIs (PROFILE.md).
        "ApiVersions", "Metadata", "Produce", "Fetch", "ListOffsets", "FindCoordinator", "JoinGroup", "SyncGroup",
        "Heartbeat", "LeaveGroup", "OffsetCommit", "OffsetFetch", "OffsetForLeaderEpoch", "CreateTopics",
        "DeleteTopics", "DescribeConfigs", "CreatePartitions", "DeleteGroups", "AlterConfigs", "ListGroups",
        "DescribeGroups", "InitProducerId", "SaslHandshake", "SaslAuthenticate",
        // Control plane and admin.
        "LeaderAndIsr", "UpdateMetadata", "StopReplica", "ControlledShutdown", "AlterPartition",
        "AlterPartitionReassignments", "ListPartitionReassignments", "IncrementalAlterConfigs", "DescribeCluster",
        "DeleteRecords", "ElectLeaders", "OffsetDelete", "DescribeLogDirs", "DescribeProducers",
    ]

    /// Data schemas (no API key) used inside other messages: the consumer group assignor's payloads.
    static let dataSchemas: [String] = ["ConsumerProtocolSubscription", "ConsumerProtocolAssignment"]

    /// The JSON file names to generate from.
    static var files: [String] {
        apis.flatMap { ["\($0)Request.json", "\($0)Response.json"] } + dataSchemas.map { "\($0).json" }
    }
}
