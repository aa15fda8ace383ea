import Foundation

/// A listener: `NAME://host:port`, as in Kafka's `listeners` and `advertised.listeners`.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// The listener name (e.g. `PLAINTEXT`, `INTERNAL`, `EXTERNAL`); upper-cased.
    public var listenerName: String
    /// Host name or address; empty means "all interfaces" when binding (Kafka's `PLAINTEXT://:9092`).
    public var host: String
    public var port: Int

    public init(listenerName: String, host: String, port: Int) {
        self.listenerName = listenerName.uppercased()
        self.host = host
        self.port = port
    }

    /// Parses `NAME://host:port` (IPv6 hosts in brackets). Returns nil when malformed.
    public init?(parsing text: String) {
        let trimmed = text.trimmingWhitespace()
        guard let sep = trimmed.range(of: "://") else { return nil }
        let name = String(trimmed[..<sep.lowerBound])
        let rest = String(trimmed[sep.upperBound...])
        guard !name.isEmpty, let colon = rest.lastIndex(of: ":") else { return nil }
        var host = String(rest[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let port = Int(rest[rest.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        self.init(listenerName: name, host: host, port: port)
    }

    /// Parses a comma-separated listener list. Throws on the first malformed entry.
    public static func parseList(_ text: String) throws(ConfigError) -> [Endpoint] {
        var result: [Endpoint] = []
        for item in text.split(separator: ",") where !item.trimmingWhitespace().isEmpty {
            guard let endpoint = Endpoint(parsing: String(item)) else {
                throw ConfigError("listener '\(item)' is not of the form NAME://host:port")
            }
            result.append(endpoint)
        }
        return result
    }

    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(listenerName)://\(h):\(port)"
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces, tabs and line breaks.
    public func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}
