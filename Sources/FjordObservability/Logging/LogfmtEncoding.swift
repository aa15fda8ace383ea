import Logging

/// logfmt encoding: `key=value` pairs separated by single spaces, one event per line.
///
/// Rules (what logfmt parsers such as Grafana Loki's and Go's `go-logfmt` accept):
/// - a key keeps ASCII letters, digits, `_`, `.`, `-`, `/`; any other character becomes `_`; an empty key is `_`.
/// - a value is written bare unless it is empty or contains a space, `=`, `"`, `\` or a control character; then it is
///   wrapped in double quotes with `"` → `\"`, `\` → `\\`, newline → `\n`, carriage return → `\r`, tab → `\t`
///   and any other control character → `\u00XX`. Non-ASCII text is kept as UTF-8.
/// So a line never contains a raw newline, whatever the message or metadata holds.
public enum LogfmtEncoding {
    /// Appends a sanitised key.
    public static func appendKey(_ key: String, to out: inout [UInt8]) {
        var wrote = false
        for byte in key.utf8 {
            out.append(isKeyByte(byte) ? byte : UInt8(ascii: "_"))
            wrote = true
        }
        if !wrote { out.append(UInt8(ascii: "_")) }
    }

    /// Appends a value, quoted and escaped when it needs to be.
    public static func appendValue(_ value: String, to out: inout [UInt8]) {
        let utf8 = value.utf8
        guard needsQuoting(utf8) else {
            out.append(contentsOf: utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20, 0x7F: appendUnicodeEscape(byte, to: &out)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The text logfmt shows for a metadata value: strings as they are, arrays as `[a,b]`, dictionaries as
    /// `{k:v,…}` in key order.
    public static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): s
        case .stringConvertible(let c): c.description
        case .array(let items): "[" + items.map(text).joined(separator: ",") + "]"
        case .dictionary(let d): "{" + d.keys.sorted().map { "\($0):\(text(d[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    static func needsQuoting(_ utf8: String.UTF8View) -> Bool {
        if utf8.isEmpty { return true }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "="), UInt8(ascii: "\""), UInt8(ascii: "\\"), 0..<0x20, 0x7F:
                return true
            default: continue
            }
        }
        return false
    }

    static func isKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"),
            UInt8(ascii: "/"):
            true
        default: false
        }
    }

    /// `\u00XX` for a control byte (shared with the JSON encoder).
    static func appendUnicodeEscape(_ byte: UInt8, to out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
        out.append(hex[Int(byte >> 4)])
        out.append(hex[Int(byte & 0x0F)])
    }
}
