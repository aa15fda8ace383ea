import FjordModel
import KafkaProtocol
import KafkaWire
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One TCP connection to one broker, after the ApiVersions exchange.
///
/// Thread-safe: requests may be sent from any task or thread and are pipelined; the connection's mutable state
/// lives in its ``RequestChannelHandler`` on the channel's event loop. A connection is never reopened: once it
/// closes, every later request fails with ``KafkaClientError/Kind/connectionClosed`` and the owner
/// (``ClusterClient``) opens a new one.
final class BrokerConnection: Sendable {
    /// The broker id, nil for a bootstrap connection made before the id was known.
    let brokerID: BrokerID?
    let address: BrokerAddress
    /// The versions chosen for this broker (``ApiVersionSelection``).
    let versions: ApiVersionSelection
    private let channel: any Channel
    private let clientId: String
    private let requestTimeout: TimeAmount

    private init(
        channel: any Channel, brokerID: BrokerID?, address: BrokerAddress, versions: ApiVersionSelection,
        settings: ConnectionSettings
    ) {
        self.channel = channel
        self.brokerID = brokerID
        self.address = address
        self.versions = versions
        self.clientId = settings.clientId
        self.requestTimeout = .nanoseconds(settings.requestTimeout.nanosecondsClamped)
    }

    var eventLoop: any EventLoop { channel.eventLoop }
    var isActive: Bool { channel.isActive }
    var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// Opens a connection and negotiates API versions.
    ///
    /// - Throws: ``KafkaClientError`` `.connectionFailed` when the TCP connection fails, `.unsupportedVersion` when
    ///   the broker shares no ApiVersions version with this client, or any request error of the exchange.
    static func connect(
        to address: BrokerAddress, brokerID: BrokerID?, settings: ConnectionSettings, group: any EventLoopGroup,
        logger: Logger
    ) async throws -> BrokerConnection {
        let name = brokerID.map { "broker \($0) at \(address)" } ?? "bootstrap server \(address)"
        let maxFrame = settings.maxResponseSizeBytes
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(settings.connectTimeout.nanosecondsClamped))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(ResponseFrameDecoder(maxFrameBytes: maxFrame)))
                    try channel.pipeline.syncOperations.addHandler(RequestChannelHandler(description: name))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: address.host, port: address.port).get()
        } catch {
            throw KafkaClientError(.connectionFailed, "cannot connect to \(name): \(describeConnectError(error))")
        }
        do {
            let ranges = try await negotiate(channel: channel, settings: settings, name: name)
            logger.debug("connected", metadata: ["broker": "\(name)", "apis": "\(ranges.count)"])
            return BrokerConnection(
                channel: channel, brokerID: brokerID, address: address,
                versions: ApiVersionSelection(brokerRanges: ranges), settings: settings)
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    /// Sends `request` at the negotiated version (or `version`) and decodes the response.
    ///
    /// - Parameter extraTimeout: added to the request timeout (a long-poll fetch adds its max wait).
    func send<R: KafkaRequest>(_ request: R, version: Int16? = nil, extraTimeout: Duration = .zero) async throws
        -> R.Response
    {
        let version = try version ?? requireVersion(R.apiKey)
        let frame = encode(request, version: version)
        var response = try await roundTrip(frame: frame, expectsResponse: true, extraTimeout: extraTimeout).get()
        return try Self.decode(R.Response.self, from: &response, version: version)
    }

    /// The negotiated version of `apiKey`, or a `.unsupportedVersion` error naming the broker.
    func requireVersion(_ apiKey: ApiKey) throws(KafkaClientError) -> Int16 {
        guard let version = versions.version(for: apiKey) else {
            throw KafkaClientError(
                .unsupportedVersion,
                "\(brokerID.map { "broker \($0)" } ?? "\(address)") supports no version of \(apiKey.name) "
                    + "that this client speaks")
        }
        return version
    }

    /// A whole request frame with a placeholder correlation id.
    func encode<R: KafkaRequest>(_ request: R, version: Int16, capacity: Int = 256) -> ByteBuffer {
        var buffer = channel.allocator.buffer(capacity: capacity)
        request.writeFrame(to: &buffer, correlationId: 0, clientId: clientId, version: version)
        return buffer
    }

    /// Sends an encoded frame; the future completes, on the channel's event loop, with the response frame (header
    /// included) or, when `expectsResponse` is false, with an empty buffer once written.
    func roundTrip(frame: ByteBuffer, expectsResponse: Bool, extraTimeout: Duration = .zero)
        -> EventLoopFuture<ByteBuffer>
    {
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let timeout = requestTimeout + .nanoseconds(extraTimeout.nanosecondsClamped)
        let request = OutboundRequest(
            frame: frame, expectsResponse: expectsResponse, timeout: timeout, promise: promise)
        channel.writeAndFlush(request, promise: nil)
        return promise.futureResult
    }

    static func decode<Response: KafkaResponse>(
        _ type: Response.Type, from frame: inout ByteBuffer, version: Int16
    ) throws(KafkaClientError) -> Response {
        do {
            return try Response.decodeWithHeader(from: &frame, version: version, limits: responseLimits).body
        } catch {
            throw .decoding(error, "\(Response.apiKey.name) response v\(version)")
        }
    }

    /// Responses carry whole record sets; the frame cap bounds them, so only strings and arrays need limits.
    static let responseLimits = DecodeLimits(maxStringBytes: 1 << 20, maxArrayCount: 1 << 22, maxBytesLength: 1 << 30)

    func close() {
        channel.close(promise: nil)
    }

    // MARK: ApiVersions

    /// Sends ApiVersions v3, and when the broker answers UNSUPPORTED_VERSION (in the v0 layout it always uses for
    /// that error) retries at the highest version both sides know. Returns the broker's ranges.
    private static func negotiate(channel: any Channel, settings: ConnectionSettings, name: String) async throws
        -> [ApiVersionsResponse.ApiVersion]
    {
        let clientMax = ApiVersionSelection.clientRanges[.apiVersions]!.upperBound
        var version = clientMax
        for _ in 0..<3 {
            var frame = channel.allocator.buffer(capacity: 64)
            let request = ApiVersionsRequest(
                clientSoftwareName: version >= 3 ? "fjord-swift" : "",
                clientSoftwareVersion: version >= 3 ? FjordClientInfo.version : "")
            request.writeFrame(to: &frame, correlationId: 0, clientId: settings.clientId, version: version)
            let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
            channel.writeAndFlush(
                OutboundRequest(
                    frame: frame, expectsResponse: true,
                    timeout: .nanoseconds(settings.requestTimeout.nanosecondsClamped), promise: promise),
                promise: nil)
            var response = try await promise.futureResult.get()
            // The response header of ApiVersions is always v0: just the correlation id.
            guard response.readInteger(as: Int32.self) != nil,
                let errorCode = response.getInteger(at: response.readerIndex, as: Int16.self)
            else { throw KafkaClientError(.protocolViolation, "\(name): empty ApiVersions response") }
            if errorCode == ErrorCode.unsupportedVersion.rawValue {
                let body: ApiVersionsResponse
                do { body = try ApiVersionsResponse(from: &response, version: 0, limits: responseLimits) } catch {
                    throw KafkaClientError.decoding(error, "ApiVersions v0 fallback from \(name)")
                }
                let brokerMax = body.apiKeys.first { $0.apiKey == ApiKey.apiVersions.rawValue }?.maxVersion ?? 0
                let next = max(0, min(brokerMax, version - 1))
                guard next < version else { break }
                version = next
                continue
            }
            let body: ApiVersionsResponse
            do { body = try ApiVersionsResponse(from: &response, version: version, limits: responseLimits) } catch {
                throw KafkaClientError.decoding(error, "ApiVersions v\(version) response from \(name)")
            }
            guard body.errorCode == 0 else {
                throw KafkaClientError.broker(ErrorCode(body.errorCode), "ApiVersions failed on \(name)")
            }
            return body.apiKeys
        }
        throw KafkaClientError(.unsupportedVersion, "\(name) accepts no ApiVersions version this client speaks")
    }
}

/// The client's name and version as sent in ApiVersions v3.
public enum FjordClientInfo {
    public static let version = "0.1.0"
}

/// A short reason for a failed connect ("Connection refused", "timed out after 10 s"), instead of NIO's nested
/// error descriptions.
func describeConnectError(_ error: any Error) -> String {
    if let connection = error as? NIOConnectionError {
        if let failure = connection.connectionErrors.first { return describeConnectError(failure.error) }
        if let dns = connection.dnsAError ?? connection.dnsAAAAError { return "cannot resolve host: \(dns)" }
    }
    if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
    if case ChannelError.connectTimeout(let amount) = error {
        return "timed out after \(amount.nanoseconds / 1_000_000) ms"
    }
    return "\(error)"
}
