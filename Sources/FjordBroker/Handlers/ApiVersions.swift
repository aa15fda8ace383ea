import KafkaProtocol
import NIOCore

/// ApiVersions (key 18), served 0–3.
///
/// - v0–v2: the advertised table (``ApiVersionTable/fjord``), error 0.
/// - v3: also validates `client_software_name`/`client_software_version` (Kafka's pattern: letters, digits, `-`
///   and `.`, starting and ending with a letter or digit); a bad value is INVALID_REQUEST. Feature fields stay empty.
/// - a newer version (kafka-python 3 sends v4, with a flexible header): never parsed; a v0-format body with
///   UNSUPPORTED_VERSION and ApiVersions' own range, so the client retries with a version it finds there (trap 1).
enum ApiVersionsHandler {
    static func handle(
        _ request: ApiVersionsRequest, _ context: RequestContext, _ broker: BrokerContext
    ) -> EventLoopFuture<HandlerOutput> {
        var response = ApiVersionsResponse(apiKeys: broker.versionTable.responseEntries)
        if context.apiVersion >= 3
            && !(isValidSoftwareField(request.clientSoftwareName)
                && isValidSoftwareField(request.clientSoftwareVersion))
        {
            response = ApiVersionsResponse(errorCode: ErrorCode.invalidRequest.rawValue)
        }
        return context.eventLoop.makeSucceededFuture(.message(response))
    }

    /// The v0-format answer to an ApiVersions version the broker does not serve.
    static func unsupportedVersionResponse(_ table: ApiVersionTable) -> ApiVersionsResponse {
        let own = ServedVersions.range(.apiVersions)!
        return ApiVersionsResponse(
            errorCode: ErrorCode.unsupportedVersion.rawValue,
            apiKeys: [
                .init(apiKey: ApiKey.apiVersions.rawValue, minVersion: own.lowerBound, maxVersion: own.upperBound)
            ])
    }

    static func errorResponse(_ request: ApiVersionsRequest, error: ErrorCode) -> ApiVersionsResponse {
        ApiVersionsResponse(errorCode: error.rawValue)
    }

    /// Kafka's rule for client software fields: `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
    static func isValidSoftwareField(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        func alnum(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
        }
        return alnum(first) && alnum(last) && bytes.allSatisfy { alnum($0) || $0 == 0x2D || $0 == 0x2E }
    }
}
