import FjordClient
import FjordModel
import KafkaWire
import NIOCore

/// How `fjord consume` prints a record: like kafka-console-consumer's default formatter (with its `print.*`
/// properties), like kcat's `-f` format string, or as one JSON object per line (kcat `-J` field names).
enum RecordFormatter {
    /// kafka-console-consumer's `DefaultMessageFormatter` properties.
    struct ConsoleOptions: Equatable {
        var printTimestamp = false
        var printPartition = false
        var printOffset = false
        var printHeaders = false
        var printKey = false
        var printValue = true
        var keySeparator = "\t"
        var lineSeparator = "\n"
        var headersSeparator = ","
        var nullLiteral = "null"

        init() {}

        /// Reads `print.timestamp`, `print.key`, `key.separator`… from `--property` values.
        init(properties: [String: String]) {
            func flag(_ name: String) -> Bool { properties[name]?.lowercased() == "true" }
            printTimestamp = flag("print.timestamp")
            printPartition = flag("print.partition")
            printOffset = flag("print.offset")
            printHeaders = flag("print.headers")
            printKey = flag("print.key")
            printValue = properties["print.value"].map { $0.lowercased() != "false" } ?? true
            keySeparator = properties["key.separator"] ?? "\t"
            lineSeparator = properties["line.separator"] ?? "\n"
            headersSeparator = properties["headers.separator"] ?? ","
            nullLiteral = properties["null.literal"] ?? "null"
        }

        static let knownProperties: Set<String> = [
            "print.timestamp", "print.partition", "print.offset", "print.headers", "print.key", "print.value",
            "key.separator", "line.separator", "headers.separator", "null.literal",
        ]
    }

    enum Style: Equatable {
        case console(ConsoleOptions)
        case format(String)
        case json
    }

    static func format(_ record: ConsumerRecord, style: Style) -> String {
        switch style {
        case .console(let options): console(record, options)
        case .format(let format): kcat(record, format: format)
        case .json: json(record)
        }
    }

    static func console(_ r: ConsumerRecord, _ o: ConsoleOptions) -> String {
        var fields: [String] = []
        if o.printTimestamp {
            fields.append(
                r.timestamp == .none
                    ? "NO_TIMESTAMP" : "\(r.isLogAppendTime ? "LogAppendTime" : "CreateTime"):\(r.timestamp)")
        }
        if o.printPartition { fields.append("Partition:\(r.partition)") }
        if o.printOffset { fields.append("Offset:\(r.offset)") }
        if o.printHeaders {
            fields.append(
                r.headers.isEmpty
                    ? "NO_HEADERS"
                    : r.headers.map { "\($0.key):\(text($0.value) ?? o.nullLiteral)" }.joined(
                        separator: o.headersSeparator))
        }
        if o.printKey { fields.append(text(r.key) ?? o.nullLiteral) }
        if o.printValue { fields.append(text(r.value) ?? o.nullLiteral) }
        return fields.joined(separator: o.keySeparator) + o.lineSeparator
    }

    /// kcat's format tokens: %t topic, %p partition, %o offset, %k key, %s value, %K key size, %S value size,
    /// %T timestamp (ms), %h headers (k=v, comma separated), %%; escapes \n \t \r \\.
    static func kcat(_ r: ConsumerRecord, format: String) -> String {
        var out = ""
        var chars = format.makeIterator()
        while let c = chars.next() {
            switch c {
            case "%":
                guard let token = chars.next() else {
                    out.append("%")
                    break
                }
                switch token {
                case "t": out += r.topic.rawValue
                case "p": out += String(r.partition.rawValue)
                case "o": out += String(r.offset.rawValue)
                case "k": out += text(r.key) ?? ""
                case "s": out += text(r.value) ?? ""
                case "K": out += String(r.key?.readableBytes ?? -1)
                case "S": out += String(r.value?.readableBytes ?? -1)
                case "T": out += String(r.timestamp.rawValue)
                case "h": out += r.headers.map { "\($0.key)=\(text($0.value) ?? "")" }.joined(separator: ",")
                case "%": out += "%"
                default: out += "%" + String(token)
                }
            case "\\":
                guard let escaped = chars.next() else {
                    out.append("\\")
                    break
                }
                switch escaped {
                case "n": out += "\n"
                case "t": out += "\t"
                case "r": out += "\r"
                case "\\": out += "\\"
                default: out += "\\" + String(escaped)
                }
            default:
                out.append(c)
            }
        }
        return out
    }

    /// One JSON object per record, with kcat `-J`'s field names.
    static func json(_ r: ConsumerRecord) -> String {
        var out = "{\"topic\":\(quote(r.topic.rawValue)),\"partition\":\(r.partition),\"offset\":\(r.offset)"
        out += ",\"tstype\":\"\(r.isLogAppendTime ? "logappend" : "create")\",\"ts\":\(r.timestamp)"
        out +=
            ",\"headers\":["
            + r.headers.flatMap { [quote($0.key), text($0.value).map(quote) ?? "null"] }.joined(separator: ",")
        out += "],\"key\":\(text(r.key).map(quote) ?? "null"),\"payload\":\(text(r.value).map(quote) ?? "null")}\n"
        return out
    }

    /// Bytes as text (invalid UTF-8 replaced), nil for null.
    static func text(_ bytes: ByteBuffer?) -> String? {
        guard let bytes else { return nil }
        return String(decoding: bytes.readableBytesView, as: UTF8.self)
    }

    /// A JSON string literal.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
