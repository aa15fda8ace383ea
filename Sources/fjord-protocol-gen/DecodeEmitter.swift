/// Emits `init(from:version:limits:)` for one struct.
///
/// The decoder starts from the default value (`self.init()`), then reads the regular fields present at the
/// version in declaration order, then (in flexible versions) the tagged-fields section: known tags whose
/// taggedVersions include the version are decoded from their slice, others are kept in `unknownTaggedFields`.
struct DecodeEmitter {
    let model: MessageModel
    let structName: String
    let isTopLevel: Bool

    var context: VersionRange { model.reachableVersions(of: structName) }

    func emit(_ w: inout CodeWriter) throws {
        let fields = model.fields(of: structName)
        if isTopLevel {
            w.docComment(
                "Decodes the message body at `version`, reading no further than its end.\n\n- Throws: `KafkaWireError` "
                    + "`.unsupportedVersion` for a version outside ``validVersions``, `.truncated`, "
                    + "`.lengthOutOfRange`, `.invalidValue` or `.malformedVarint` for input that does not hold a "
                    + "well-formed message."
            )
        } else {
            w.docComment("Decodes this struct as it travels inside its message at `version`.")
        }
        try w.block(
            "public init(from buffer: inout ByteBuffer, version: Int16, limits: DecodeLimits) throws(KafkaWireError)"
        ) { w in
            if isTopLevel {
                w.block("guard Self.validVersions.contains(version) else") { w in
                    w.line("throw .unsupportedVersion(\"\(structName)\", version: version, valid: Self.validVersions)")
                }
            }
            w.line("self.init()")
            let flexibleCondition = model.spec.flexibleVersions.condition(within: context)
            if flexibleCondition != "true" && flexibleCondition != "false" {
                w.line("let flexible = \(flexibleCondition)")
            }
            for field in fields {
                try emitRegular(FieldCoding(model: model, field: field, context: context), &w)
            }
            if model.hasTaggedSection(structName) {
                let taggedFields = fields.filter { !$0.taggedPresence.intersection(context).isEmpty }
                if flexibleCondition == "true" {
                    try emitTaggedSection(taggedFields, &w)
                } else {
                    try w.block("if flexible") { w in try emitTaggedSection(taggedFields, &w) }
                }
            }
        }
    }

    private func emitRegular(_ coding: FieldCoding, _ w: inout CodeWriter) throws {
        let presence = try coding.regular()
        let condition = presence.condition(within: context)
        if condition == "false" { return }
        if condition == "true" {
            try emitRead(coding, presence: presence, buffer: "buffer", &w)
        } else {
            try w.block("if \(condition)") { w in try emitRead(coding, presence: presence, buffer: "buffer", &w) }
        }
    }

    private func emitTaggedSection(_ fields: [FieldSpec], _ w: inout CodeWriter) throws {
        if fields.isEmpty {
            w.line("self.unknownTaggedFields = try buffer.readUnknownTaggedFields(limits: limits)")
            return
        }
        w.line("let taggedFieldCount = try buffer.readTaggedFieldCount(limits: limits)")
        try w.block("for _ in 0..<taggedFieldCount") { w in
            w.line("var field = try buffer.readTaggedField(limits: limits)")
            // swift-format keeps `case` labels at the indentation of their `switch`.
            w.line("switch field.tag {")
            for field in fields.sorted(by: { $0.tag! < $1.tag! }) {
                let coding = FieldCoding(model: model, field: field, context: context)
                let condition = coding.tagged.condition(within: context)
                w.line(condition == "true" ? "case \(field.tag!):" : "case \(field.tag!) where \(condition):")
                try w.indented { w in try emitRead(coding, presence: coding.tagged, buffer: "field.data", &w) }
            }
            w.line("default:")
            w.indented { w in w.line("self.unknownTaggedFields.append(field)") }
            w.line("}")
        }
    }

    /// Statements reading the field from `buffer` at the versions `presence` into the property.
    private func emitRead(_ coding: FieldCoding, presence: VersionRange, buffer: String, _ w: inout CodeWriter)
        throws
    {
        let compact = coding.compact(within: presence)
        let target = coding.property
        switch coding.nullability(within: presence) {
        case .always:
            try emitReadValue(coding.field.type, nullable: true, compact: compact, buffer: buffer, target: target, &w)
        case .never:
            try emitReadValue(coding.field.type, nullable: false, compact: compact, buffer: buffer, target: target, &w)
        case .when(let condition):
            try w.block("if \(condition)", closer: "} else {") { w in
                try emitReadValue(
                    coding.field.type, nullable: true, compact: compact, buffer: buffer, target: target, &w)
            }
            try w.indented { w in
                try emitReadValue(
                    coding.field.type, nullable: false, compact: compact, buffer: buffer, target: target, &w)
            }
            w.line("}")
        }
    }

    private func emitReadValue(
        _ type: FieldType, nullable: Bool, compact: String, buffer: String, target: String, _ w: inout CodeWriter
    ) throws {
        guard case .array(let element) = type else {
            w.line("\(target) = \(try scalarRead(type, nullable: nullable, compact: compact, buffer: buffer))")
            return
        }
        let minimum = try model.minimumElementSize(element, compact: compact)
        let elementType = model.baseSwiftType(element)
        let countArguments = "compact: \(compact), minimumElementSize: \(minimum), limits: limits"
        let elementRead = try scalarRead(element, nullable: false, compact: compact, buffer: buffer)
        let fill: (inout CodeWriter) -> Void = { w in
            w.line("var items: [\(elementType)] = []")
            w.line("items.reserveCapacity(count)")
            w.block("for _ in 0..<count") { w in w.line("items.append(\(elementRead))") }
            w.line("\(target) = items")
        }
        if nullable {
            w.block(
                "if let count = try \(buffer).readKafkaNullableArrayCount(\(countArguments))", closer: "} else {", fill)
            w.indented { w in w.line("\(target) = nil") }
            w.line("}")
        } else {
            w.block("do") { w in
                w.line("let count = try \(buffer).readKafkaArrayCount(\(countArguments))")
                fill(&w)
            }
        }
    }

    private func scalarRead(_ type: FieldType, nullable: Bool, compact: String, buffer: String) throws -> String {
        switch type {
        case .int8: return "try \(buffer).readInt8()"
        case .int16: return "try \(buffer).readInt16()"
        case .int32: return "try \(buffer).readInt32()"
        case .int64: return "try \(buffer).readInt64()"
        case .uint16: return "try \(buffer).readUInt16()"
        case .uint32: return "try \(buffer).readUInt32()"
        case .float64: return "try \(buffer).readFloat64()"
        case .bool: return "try \(buffer).readBool()"
        case .uuid: return "try \(buffer).readKafkaUUID()"
        case .string:
            let method = nullable ? "readKafkaNullableString" : "readKafkaString"
            return "try \(buffer).\(method)(compact: \(compact), limits: limits)"
        case .bytes, .records:
            let method = nullable ? "readKafkaNullableBytes" : "readKafkaBytes"
            return "try \(buffer).\(method)(compact: \(compact), limits: limits)"
        case .structure(let name):
            if nullable { throw GeneratorError("nullable struct \(name) is not supported") }
            return "try \(name)(from: &\(buffer), version: version, limits: limits)"
        case .array:
            throw GeneratorError("arrays of arrays are not supported")
        }
    }
}
