import KafkaProtocol

/// ApiVersions (API 18, v0–3) on the controller's listener: the APIs brokers may send here.
enum ApiVersionsHandler {
    static let versions: ClosedRange<Int16> = 0...3

    static let table: [(ApiKey, ClosedRange<Int16>)] = [
        (.controlledShutdown, ControlledShutdownHandler.versions),
        (.apiVersions, versions),
        (.electLeaders, ElectLeadersHandler.versions),
        (.alterPartitionReassignments, PartitionReassignmentHandlers.versions),
        (.listPartitionReassignments, PartitionReassignmentHandlers.versions),
        (.alterPartition, AlterPartitionHandler.versions),
    ]

    static func response(errorCode: Int16 = 0) -> ApiVersionsResponse {
        ApiVersionsResponse(
            errorCode: errorCode,
            apiKeys: table.map {
                ApiVersionsResponse.ApiVersion(
                    apiKey: $0.0.rawValue, minVersion: $0.1.lowerBound, maxVersion: $0.1.upperBound)
            })
    }

    /// The versions served for `apiKey`, nil when the controller does not serve it.
    static func served(_ apiKey: ApiKey) -> ClosedRange<Int16>? { table.first { $0.0 == apiKey }?.1 }
}
