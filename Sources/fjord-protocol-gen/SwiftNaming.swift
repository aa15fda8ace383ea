/// Swift spellings of Kafka's JSON names and values.
enum SwiftNaming {
    /// Kafka's field names are UpperCamelCase (a few are lowerCamelCase already); Swift properties lower the first
    /// letter only, as Kafka's own generator does (`ThrottleTimeMs` → `throttleTimeMs`, `isKRaftController` stays).
    static func propertyName(_ jsonName: String) -> String {
        guard let first = jsonName.first else { return jsonName }
        return first.lowercased() + jsonName.dropFirst()
    }

    /// The name as it must appear in a declaration: backticked when it is a Swift keyword.
    static func declarationName(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    /// The `ApiKey` case for a request or response message: `OffsetForLeaderEpochRequest` → `offsetForLeaderEpoch`.
    static func apiKeyCase(messageName: String) -> String {
        var base = messageName
        for suffix in ["Request", "Response"] where base.hasSuffix(suffix) {
            base = String(base.dropLast(suffix.count))
        }
        return propertyName(base)
    }

    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows",
        "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default",
        "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch",
        "where", "while", "as", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try", "Type",
        "Any", "Protocol",
    ]

    /// A Swift string literal for `text`.
    static func stringLiteral(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
