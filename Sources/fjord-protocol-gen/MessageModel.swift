/// A message with everything the emitters need resolved: each struct's reachable versions, each field's Swift
/// type and default, and minimum wire sizes.
struct MessageModel {
    let spec: MessageSpec
    /// Structs by name (inline and common), excluding the body.
    let structs: [String: StructSpec]
    /// The versions at which each struct (body included, under the message name) can be encoded.
    let reachable: [String: VersionRange]

    init(_ spec: MessageSpec) throws {
        self.spec = spec
        var structs: [String: StructSpec] = [:]
        for nested in spec.nestedStructs {
            if nested.name == spec.name {
                throw GeneratorError("struct \(nested.name) has the message's own name")
            }
            if structs[nested.name] != nil {
                throw GeneratorError("struct \(nested.name) is declared twice")
            }
            if MessageModel.reservedTypeNames.contains(nested.name) {
                throw GeneratorError("struct \(nested.name) would shadow a type the generated code uses")
            }
            structs[nested.name] = nested
        }
        self.structs = structs

        // Reachable versions: the body at validVersions; a struct at the union of (parent's ∩ field's versions)
        // over the fields that use it. Iterate to a fixed point because common structs can nest.
        var reachable: [String: VersionRange] = [spec.name: spec.validVersions]
        var changed = true
        while changed {
            changed = false
            for (owner, range) in reachable {
                let fields = owner == spec.name ? spec.body.fields : structs[owner]?.fields ?? []
                for field in fields {
                    guard let child = field.type.structName else { continue }
                    guard structs[child] != nil else {
                        throw GeneratorError("field \(field.name) uses unknown struct \(child)")
                    }
                    let childRange = range.intersection(field.versions)
                    let merged = (reachable[child] ?? .none).hull(childRange)
                    if merged != (reachable[child] ?? .none) {
                        reachable[child] = merged
                        changed = true
                    }
                }
            }
        }
        self.reachable = reachable
    }

    /// Type names the generated code refers to unqualified; a nested struct must not shadow them.
    static let reservedTypeNames: Set<String> = [
        "ApiKey", "ByteBuffer", "DecodeLimits", "KafkaTaggedField", "KafkaUUID", "KafkaWireError", "String",
        "Int8", "Int16", "Int32", "Int64", "UInt16", "UInt32", "Double", "Bool", "Response", "Self",
    ]

    var isRequest: Bool { spec.kind == .request }
    var isResponse: Bool { spec.kind == .response }

    func fields(of structName: String) -> [FieldSpec] {
        structName == spec.name ? spec.body.fields : structs[structName]?.fields ?? []
    }

    func reachableVersions(of structName: String) -> VersionRange {
        (reachable[structName] ?? .none).intersection(spec.validVersions)
    }

    /// Whether the struct has a tagged-fields section at some reachable version.
    func hasTaggedSection(_ structName: String) -> Bool {
        !spec.flexibleVersions.intersection(reachableVersions(of: structName)).isEmpty
    }

    // MARK: Swift types and defaults

    func isOptional(_ field: FieldSpec) -> Bool {
        if field.type == .records { return true }
        return !field.nullableVersions.intersection(field.versions).isEmpty
    }

    func baseSwiftType(_ type: FieldType) -> String {
        switch type {
        case .int8: return "Int8"
        case .int16: return "Int16"
        case .int32: return "Int32"
        case .int64: return "Int64"
        case .uint16: return "UInt16"
        case .uint32: return "UInt32"
        case .float64: return "Double"
        case .bool: return "Bool"
        case .string: return "String"
        case .bytes, .records: return "ByteBuffer"
        case .uuid: return "KafkaUUID"
        case .structure(let name): return name
        case .array(let element): return "[\(baseSwiftType(element))]"
        }
    }

    func swiftType(_ field: FieldSpec) -> String {
        baseSwiftType(field.type) + (isOptional(field) ? "?" : "")
    }

    /// The Swift expression of the field's default value (Kafka's rules: 0, false, "", empty, zero UUID, a default
    /// struct, unless the JSON says otherwise; "null" only for nullable fields; `records` default to null).
    func defaultExpression(_ field: FieldSpec) throws -> String {
        let text = field.defaultText
        if text == "null" {
            guard isOptional(field) else { throw GeneratorError("field \(field.name): null default but not nullable") }
            return "nil"
        }
        switch field.type {
        case .int8, .int16, .int32, .int64, .uint16, .uint32:
            guard let text, !text.isEmpty else { return "0" }
            return String(try integerValue(text, field: field))
        case .float64:
            guard let text, !text.isEmpty else { return "0" }
            guard let value = Double(text) else { throw GeneratorError("field \(field.name): bad default \(text)") }
            return "\(value)"
        case .bool:
            guard let text, !text.isEmpty else { return "false" }
            guard text == "true" || text == "false" else {
                throw GeneratorError("field \(field.name): bad bool default \(text)")
            }
            return text
        case .string:
            return SwiftNaming.stringLiteral(text ?? "")
        case .bytes:
            return "ByteBuffer()"
        case .records:
            return "nil"
        case .uuid:
            return "KafkaUUID.zero"
        case .structure(let name):
            return "\(name)()"
        case .array:
            return "[]"
        }
    }

    private func integerValue(_ text: String, field: FieldSpec) throws -> Int64 {
        var body = Substring(text)
        var negative = false
        if body.hasPrefix("-") {
            negative = true
            body = body.dropFirst()
        }
        let value: Int64?
        if body.hasPrefix("0x") || body.hasPrefix("0X") {
            value = Int64(body.dropFirst(2), radix: 16)
        } else {
            value = Int64(body)
        }
        guard let value else { throw GeneratorError("field \(field.name): bad integer default \(text)") }
        return negative ? -value : value
    }

    // MARK: Wire sizes

    /// The fewest bytes one element of struct `name` takes at any reachable version.
    func minimumSize(ofStruct name: String) throws -> Int {
        let range = reachableVersions(of: name)
        if range.isEmpty { return 0 }
        var best = Int.max
        for version in range.low...range.high {
            best = min(best, try minimumSize(ofStruct: name, at: version))
        }
        return best
    }

    func minimumSize(ofStruct name: String, at version: Int16) throws -> Int {
        var total = spec.flexibleVersions.contains(version) ? 1 : 0
        for field in fields(of: name) where try field.regularVersions().contains(version) {
            total += try minimumSize(of: field.type, field: field, at: version)
        }
        return total
    }

    func minimumSize(of type: FieldType, field: FieldSpec, at version: Int16) throws -> Int {
        if let fixed = type.fixedSize { return fixed }
        let compact = (field.flexibleVersions ?? spec.flexibleVersions).contains(version)
        switch type {
        case .string: return compact ? 1 : 2
        case .bytes, .records, .array: return compact ? 1 : 4
        case .structure(let name): return try minimumSize(ofStruct: name, at: version)
        default: throw GeneratorError("no size for \(type)")
        }
    }

    /// Minimum size of one array element of `type`, given whether the array is compact ("true", "false" or a
    /// runtime condition, in which case the smaller size is used).
    func minimumElementSize(_ type: FieldType, compact: String) throws -> Int {
        if let fixed = type.fixedSize { return fixed }
        switch type {
        case .string: return compact == "false" ? 2 : 1
        case .bytes, .records, .array: return compact == "false" ? 4 : 1
        case .structure(let name): return try minimumSize(ofStruct: name)
        default: throw GeneratorError("no size for \(type)")
        }
    }
}
