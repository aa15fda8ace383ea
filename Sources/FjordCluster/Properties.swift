import Foundation

/// Kafka-style configuration: a `server.properties` file, overridden by environment variables, overridden by
/// command-line `--override key=value` flags (later sources win).
///
/// Environment variables map to property names the way Kafka's images do: strip the `KAFKA_` or `FJORD_` prefix,
/// lower-case, `_` becomes `.` (so `KAFKA_LOG_DIRS` is `log.dirs`). Only names the process actually knows are taken
/// from the environment, so unrelated variables such as `KAFKA_HOME` are ignored.
public struct Properties: Hashable, Sendable {
    public private(set) var values: [String: String]
    /// Where each value came from, for error messages ("file", "env KAFKA_LOG_DIRS", "flag").
    public private(set) var sources: [String: String]

    public init(_ values: [String: String] = [:], source: String = "default") {
        self.values = values
        self.sources = values.mapValues { _ in source }
    }

    public subscript(key: String) -> String? {
        get { values[key] }
        set {
            values[key] = newValue
            sources[key] = newValue == nil ? nil : "code"
        }
    }

    /// Applies `other` on top of these values.
    public mutating func merge(_ other: Properties) {
        for (key, value) in other.values {
            values[key] = value
            sources[key] = other.sources[key]
        }
    }

    /// Parses the text of a Java `.properties` file: `key=value` or `key: value` or `key value`, `#` and `!`
    /// comments, `\` line continuations, and the escapes `\t \n \r \\ \= \: \uXXXX`.
    public static func parse(_ text: String, source: String = "file") -> Properties {
        var result: [String: String] = [:]
        var logical = ""
        var continuing = false
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = continuing ? String(rawLine).trimmingLeadingWhitespace() : String(rawLine)
            if !continuing {
                let trimmed = line.trimmingLeadingWhitespace()
                if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("!") { continue }
                line = trimmed
            }
            if endsWithOddBackslashes(line) {
                logical += line.dropLast()
                continuing = true
                continue
            }
            logical += line
            continuing = false
            if let (key, value) = splitEntry(logical) { result[key] = value }
            logical = ""
        }
        if !logical.isEmpty, let (key, value) = splitEntry(logical) { result[key] = value }
        return Properties(result, source: source)
    }

    /// The values named by environment variables with a `KAFKA_` or `FJORD_` prefix, restricted to `knownKeys`.
    /// `FJORD_` wins over `KAFKA_` for the same key.
    public static func fromEnvironment(_ environment: [String: String], knownKeys: Set<String>) -> Properties {
        var result = Properties()
        for prefix in ["KAFKA_", "FJORD_"] {
            for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix(prefix) {
                let key = propertyName(forEnvironmentVariable: String(name.dropFirst(prefix.count)))
                if knownKeys.contains(key) {
                    result.values[key] = value
                    result.sources[key] = "env \(name)"
                }
            }
        }
        return result
    }

    /// `LOG_DIRS` → `log.dirs`. Kafka's images also map `__` to `_` and `___` to `-`; so does this.
    public static func propertyName(forEnvironmentVariable name: String) -> String {
        name.lowercased()
            .replacingAll("___", with: "-")
            .replacingAll("__", with: "\u{1}")
            .replacingAll("_", with: ".")
            .replacingAll("\u{1}", with: "_")
    }

    /// `log.dirs` → `LOG_DIRS` (without prefix).
    public static func environmentVariable(forProperty key: String) -> String {
        key.replacingAll("_", with: "__").replacingAll("-", with: "___").replacingAll(".", with: "_").uppercased()
    }

    private static func endsWithOddBackslashes(_ line: String) -> Bool {
        var count = 0
        for ch in line.reversed() {
            if ch == "\\" { count += 1 } else { break }
        }
        return count % 2 == 1
    }

    private static func splitEntry(_ line: String) -> (String, String)? {
        var key = ""
        var index = line.startIndex
        var escaped = false
        while index < line.endIndex {
            let ch = line[index]
            if escaped {
                key.append(unescape(ch))
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else if ch == "=" || ch == ":" || ch == " " || ch == "\t" {
                break
            } else {
                key.append(ch)
            }
            index = line.index(after: index)
        }
        guard !key.isEmpty else { return nil }
        var rest = String(line[index...]).trimmingLeadingWhitespace()
        if rest.hasPrefix("=") || rest.hasPrefix(":") { rest = String(rest.dropFirst()).trimmingLeadingWhitespace() }
        return (key, unescapeValue(rest))
    }

    private static func unescape(_ ch: Character) -> Character {
        switch ch {
        case "t": "\t"
        case "n": "\n"
        case "r": "\r"
        case "f": "\u{c}"
        default: ch
        }
    }

    private static func unescapeValue(_ value: String) -> String {
        guard value.contains("\\") else { return value.trimmingWhitespace() }
        var out = ""
        var chars = Array(value)[...]
        while let ch = chars.popFirst() {
            guard ch == "\\", let next = chars.popFirst() else {
                out.append(ch)
                continue
            }
            if next == "u", chars.count >= 4, let scalar = UInt32(String(chars.prefix(4)), radix: 16),
                let u = Unicode.Scalar(scalar)
            {
                out.unicodeScalars.append(u)
                chars = chars.dropFirst(4)
            } else {
                out.append(unescape(next))
            }
        }
        return out.trimmingWhitespace()
    }
}

extension String {
    func trimmingLeadingWhitespace() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{c}" }))
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = self[...]
        while let range = rest.range(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        out += rest
        return out
    }
}
