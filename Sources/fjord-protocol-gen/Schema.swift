/// The type of a field in Kafka's message JSON.
indirect enum FieldType: Equatable {
    case int8, int16, int32, int64, uint16, uint32, float64, bool
    case string, bytes, records, uuid
    case structure(String)
    case array(FieldType)

    init(parsing text: String) throws {
        if text.hasPrefix("[]") {
            self = .array(try FieldType(parsing: String(text.dropFirst(2))))
            return
        }
        switch text {
        case "int8": self = .int8
        case "int16": self = .int16
        case "int32": self = .int32
        case "int64": self = .int64
        case "uint16": self = .uint16
        case "uint32": self = .uint32
        case "float64": self = .float64
        case "bool": self = .bool
        case "string": self = .string
        case "bytes": self = .bytes
        case "records": self = .records
        case "uuid": self = .uuid
        default:
            guard let first = text.first, first.isUppercase else {
                throw GeneratorError("unknown field type '\(text)'")
            }
            self = .structure(text)
        }
    }

    var isArray: Bool {
        if case .array = self { return true }
        return false
    }

    var structName: String? {
        switch self {
        case .structure(let name): return name
        case .array(let element): return element.structName
        default: return nil
        }
    }

    /// Fixed wire size of a fixed-width type, nil for the others.
    var fixedSize: Int? {
        switch self {
        case .int8, .bool: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32: return 4
        case .int64, .float64: return 8
        case .uuid: return 16
        default: return nil
        }
    }
}

/// One field of a message or struct, as the JSON declares it.
struct FieldSpec {
    var name: String
    var type: FieldType
    var versions: VersionRange
    var nullableVersions: VersionRange
    var taggedVersions: VersionRange
    var tag: Int?
    var ignorable: Bool
    /// The `default` as written in the JSON (numbers normalised to their text), nil when absent.
    var defaultText: String?
    var about: String?
    /// A field-level `flexibleVersions` override (only meaningful for strings and bytes), nil when absent.
    var flexibleVersions: VersionRange?
    /// The struct declared inline by this field (`"fields"` present), nil otherwise.
    var inlineStruct: StructSpec?

    /// Versions in which the field travels in the regular (non-tagged) part of its struct.
    func regularVersions() throws -> VersionRange { try versions.subtracting(taggedVersions) }
    /// Versions in which the field travels in the tagged-fields section.
    var taggedPresence: VersionRange { taggedVersions.intersection(versions) }
}

/// A struct: the message body itself, a struct declared inline by a field, or a common struct.
struct StructSpec {
    var name: String
    var fields: [FieldSpec]
}

/// One JSON file: a request, response, header or data schema.
struct MessageSpec {
    enum Kind: String { case request, response, header, data }

    var name: String
    var kind: Kind
    var apiKey: Int16?
    var validVersions: VersionRange
    var flexibleVersions: VersionRange
    var body: StructSpec
    var commonStructs: [StructSpec]
    var sourceFile: String

    /// Every struct of the message except the body, inline ones in declaration order (depth first), then the
    /// common structs.
    var nestedStructs: [StructSpec] {
        var result: [StructSpec] = []
        func walk(_ fields: [FieldSpec]) {
            for field in fields {
                if let inline = field.inlineStruct {
                    result.append(inline)
                    walk(inline.fields)
                }
            }
        }
        walk(body.fields)
        for common in commonStructs {
            result.append(common)
            walk(common.fields)
        }
        return result
    }
}
