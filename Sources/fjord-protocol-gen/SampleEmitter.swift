/// Emits test fixtures: `static func sample(version:)` for a message and each nested struct, setting every field
/// present at the version to a value different from its default (and one unknown tagged field in flexible
/// versions), so that round-trip tests exercise every field's encoding.
struct SampleEmitter {
    let model: MessageModel
    var spec: MessageSpec { model.spec }

    func emitFile() throws -> String {
        var w = CodeWriter()
        w.lines(StructEmitter.banner(source: spec.sourceFile))
        w.line()
        w.line("import KafkaProtocol")
        w.line("import KafkaWire")
        w.line("import NIOCore")
        w.line()
        try w.block("extension \(spec.name): SampledMessage") { w in
            w.line("static func defaultValue() -> \(spec.name) { \(spec.name)() }")
            w.line()
            try emitSample(spec.name, typeName: spec.name, ordinal: 0, &w)
        }
        for (index, nested) in spec.nestedStructs.enumerated() {
            w.line()
            try w.block("extension \(spec.name).\(nested.name)") { w in
                try emitSample(nested.name, typeName: "\(spec.name).\(nested.name)", ordinal: index + 1, &w)
            }
        }
        return w.text
    }

    private func emitSample(_ structName: String, typeName: String, ordinal: Int, _ w: inout CodeWriter) throws {
        let context = model.reachableVersions(of: structName)
        let fields = model.fields(of: structName)
        try w.block("static func sample(version: Int16, unknownTaggedFields: Bool = true) -> \(typeName)") { w in
            w.line("\(fields.isEmpty && !model.hasTaggedSection(structName) ? "let" : "var") value = \(typeName)()")
            for (index, field) in fields.enumerated() {
                let presence = field.versions.condition(within: context)
                if presence == "false" { continue }
                let seed = ordinal * 16 + index + 1
                let assignment = "value.\(SwiftNaming.propertyName(field.name)) = \(try sampleValue(field, seed: seed))"
                if presence == "true" {
                    w.line(assignment)
                } else {
                    w.block("if \(presence)") { w in w.line(assignment) }
                }
            }
            if model.hasTaggedSection(structName) {
                let flexible = spec.flexibleVersions.condition(within: context)
                let assignment =
                    "value.unknownTaggedFields = [KafkaTaggedField(tag: 10_000, data: ByteBuffer(bytes: [0xCA, 0xFE]))]"
                let condition = flexible == "true" ? "unknownTaggedFields" : "unknownTaggedFields && \(flexible)"
                w.block("if \(condition)") { w in w.line(assignment) }
            }
            w.line("return value")
        }
    }

    private func sampleValue(_ field: FieldSpec, seed: Int) throws -> String {
        let defaultValue = try model.defaultExpression(field)
        switch field.type {
        case .array(let element):
            let first = try elementValue(element, field: field, seed: seed, defaultValue: nil)
            let second = try elementValue(element, field: field, seed: seed + 1, defaultValue: nil)
            return "[\(first), \(second)]"
        default:
            return try elementValue(field.type, field: field, seed: seed, defaultValue: defaultValue)
        }
    }

    private func elementValue(_ type: FieldType, field: FieldSpec, seed: Int, defaultValue: String?) throws -> String {
        switch type {
        case .int8, .int16, .int32, .int64, .uint16, .uint32:
            let limit = type == .int8 ? 120 : 30_000
            var value = seed % limit + 1
            if defaultValue == String(value) { value += 1 }
            return String(value)
        case .float64:
            return "\(Double(seed) + 0.25)"
        case .bool:
            return defaultValue == "true" ? "false" : "true"
        case .string:
            return SwiftNaming.stringLiteral("\(SwiftNaming.propertyName(field.name))-\(seed)-\u{E9}")
        case .bytes:
            return "ByteBuffer(bytes: [\(seed % 256), 0xFF, 0x00])"
        case .records:
            return "ByteBuffer(bytes: [0x00, 0x01, 0x02, 0x03, \(seed % 256)])"
        case .uuid:
            return "KafkaUUID(mostSignificantBits: \(seed), leastSignificantBits: \(seed + 1000))"
        case .structure(let name):
            return "\(spec.name).\(name).sample(version: version, unknownTaggedFields: unknownTaggedFields)"
        case .array:
            throw GeneratorError("arrays of arrays are not supported")
        }
    }
}
