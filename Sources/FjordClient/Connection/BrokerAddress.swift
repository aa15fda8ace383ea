/// A broker's network address: `host:port`, or `[v6-address]:port`.
public struct BrokerAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (Kafka's `bootstrap.servers` element form). IPv6 literals are written in brackets.
    ///
    /// - Throws: ``KafkaClientError/Kind/invalidArgument`` when the port is missing or not in 1...65535.
    public init(parsing text: String) throws(KafkaClientError) {
        let trimmed = text.trimmingWhitespace()
        let host: Substring
        let portText: Substring
        if trimmed.hasPrefix("["), let close = trimmed.firstIndex(of: "]") {
            host = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
            let rest = trimmed[trimmed.index(after: close)...]
            guard rest.hasPrefix(":") else { throw Self.invalid(text) }
            portText = rest.dropFirst()
        } else {
            guard let colon = trimmed.lastIndex(of: ":") else { throw Self.invalid(text) }
            host = trimmed[..<colon]
            portText = trimmed[trimmed.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port) else { throw Self.invalid(text) }
        self.host = String(host)
        self.port = port
    }

    /// Parses a comma-separated list, as `--bootstrap-server a:9092,b:9092` gives it.
    public static func parseList(_ text: String) throws(KafkaClientError) -> [BrokerAddress] {
        var result: [BrokerAddress] = []
        for part in text.split(separator: ",") where !part.trimmingWhitespace().isEmpty {
            result.append(try BrokerAddress(parsing: String(part)))
        }
        guard !result.isEmpty else {
            throw KafkaClientError(.invalidArgument, "no bootstrap server in \"\(text)\"; give host:port")
        }
        return result
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    private static func invalid(_ text: String) -> KafkaClientError {
        KafkaClientError(.invalidArgument, "\"\(text)\" is not a broker address; write host:port, e.g. localhost:9092")
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> Substring {
        var s = self[...]
        while let first = s.first, first.isWhitespace { s = s.dropFirst() }
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return Substring(s)
    }
}
