import FjordClient
import KafkaWire
import NIOCore

/// Splits a console-producer input line into headers, key and value, the way `kafka-console-producer.sh` reads
/// its input with `--property parse.key=true`, `key.separator`, `parse.headers=true`, `headers.delimiter`,
/// `headers.separator`, `headers.key.separator` and `null.marker`.
struct ConsoleLineParser {
    var parseKey = false
    var keySeparator = "\t"
    var parseHeaders = false
    var headersDelimiter = "\t"
    var headersSeparator = ","
    var headersKeySeparator = ":"
    var nullMarker: String?
    var ignoreError = false

    struct Parsed: Equatable {
        var key: String?
        var value: String?
        var headers: [(String, String?)]

        static func == (a: Parsed, b: Parsed) -> Bool {
            a.key == b.key && a.value == b.value && a.headers.count == b.headers.count
                && zip(a.headers, b.headers).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        }
    }

    struct LineError: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads the properties the console producer understands; unknown ones are left for the caller.
    init(properties: [String: String]) {
        parseKey = properties["parse.key"]?.lowercased() == "true"
        keySeparator = properties["key.separator"] ?? "\t"
        parseHeaders = properties["parse.headers"]?.lowercased() == "true"
        headersDelimiter = properties["headers.delimiter"] ?? "\t"
        headersSeparator = properties["headers.separator"] ?? ","
        headersKeySeparator = properties["headers.key.separator"] ?? ":"
        nullMarker = properties["null.marker"]
        ignoreError = properties["ignore.error"]?.lowercased() == "true"
    }

    static let knownProperties: Set<String> = [
        "parse.key", "key.separator", "parse.headers", "headers.delimiter", "headers.separator",
        "headers.key.separator", "null.marker", "ignore.error",
    ]

    /// Parses line number `lineNumber` (1-based, for messages).
    func parse(_ line: String, lineNumber: Int) throws -> Parsed {
        var rest = Substring(line)
        var headers: [(String, String?)] = []
        if parseHeaders {
            guard let range = rest.firstRange(of: headersDelimiter) else {
                if ignoreError { return Parsed(key: nil, value: nullable(rest), headers: []) }
                throw LineError(description: "No headers delimiter found on line number \(lineNumber): '\(line)'")
            }
            let headerText = rest[..<range.lowerBound]
            rest = rest[range.upperBound...]
            if nullMarker == nil || String(headerText) != nullMarker {
                for item in headerText.split(separator: headersSeparator) where !item.isEmpty {
                    if let kv = item.firstRange(of: headersKeySeparator) {
                        headers.append((String(item[..<kv.lowerBound]), nullable(item[kv.upperBound...])))
                    } else {
                        headers.append((String(item), nil))
                    }
                }
            }
        }
        guard parseKey else { return Parsed(key: nil, value: nullable(rest), headers: headers) }
        guard let range = rest.firstRange(of: keySeparator) else {
            if ignoreError { return Parsed(key: nil, value: nullable(rest), headers: headers) }
            throw LineError(description: "No key separator found on line number \(lineNumber): '\(line)'")
        }
        return Parsed(
            key: nullable(rest[..<range.lowerBound]), value: nullable(rest[range.upperBound...]), headers: headers)
    }

    private func nullable(_ text: some StringProtocol) -> String? {
        if let nullMarker, text == nullMarker { return nil }
        return String(text)
    }
}
