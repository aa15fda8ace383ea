/// Emits `write(to:version:)` for one struct.
///
/// Fields absent at the version are skipped. A non-ignorable field that holds a non-default value at a version
/// that cannot carry it is a programmer error (Kafka throws UnsupportedVersionException): it trips an `assert`
/// in debug builds and is dropped in release builds. A nil in a version where the field is not nullable is
/// written as the empty value.
struct EncodeEmitter {
    let model: MessageModel
    let structName: String
    let isTopLevel: Bool

    var context: VersionRange { model.reachableVersions(of: structName) }

    func emit(_ w: inout CodeWriter) throws {
        let fields = model.fields(of: structName)
        if isTopLevel {
            w.docComment(
                "Encodes the message body at `version`.\n\n- Precondition: `version` is within ``validVersions``.")
        } else {
            w.docComment("Encodes this struct as it travels inside its message at `version`.")
        }
        try w.block("public func write(to buffer: inout ByteBuffer, version: Int16)") { w in
            if isTopLevel {
                w.line(
                    "precondition(Self.validVersions.contains(version), "
                        + "\"\(structName) version \\(version) is not supported\")"
                )
            }
            for field in fields where !field.ignorable {
                let presence = field.versions.condition(within: context)
                if presence == "true" { continue }
                let coding = FieldCoding(model: model, field: field, context: context)
                let isDefault = try coding.isDefaultCondition()
                let message =
                    "\"\(structName).\(SwiftNaming.propertyName(field.name)) cannot be written at version \\(version)\""
                if presence == "false" {
                    w.line("assert(\(isDefault), \(message))")
                } else {
                    w.line("assert(\(presence) || \(isDefault), \(message))")
                }
            }
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
            try emitWrite(coding, presence: presence, buffer: "buffer", &w)
        } else {
            try w.block("if \(condition)") { w in try emitWrite(coding, presence: presence, buffer: "buffer", &w) }
        }
    }

    private func emitTaggedSection(_ fields: [FieldSpec], _ w: inout CodeWriter) throws {
        if fields.isEmpty {
            w.line("buffer.writeUnknownTaggedFields(self.unknownTaggedFields)")
            return
        }
        let sorted = fields.sorted(by: { $0.tag! < $1.tag! })
        var conditions: [String] = []
        for field in sorted {
            let coding = FieldCoding(model: model, field: field, context: context)
            let versions = coding.tagged.condition(within: context)
            let present = try coding.isNotDefaultCondition()
            conditions.append(versions == "true" ? present : "\(versions) && \(present)")
        }
        w.line("var taggedFieldCount = self.unknownTaggedFields.count")
        for condition in conditions {
            w.line("if \(condition) { taggedFieldCount += 1 }")
        }
        w.line("buffer.writeUnsignedVarint(UInt32(taggedFieldCount))")
        w.line("var nextUnknown = 0")
        for (field, condition) in zip(sorted, conditions) {
            let coding = FieldCoding(model: model, field: field, context: context)
            try w.block("if \(condition)") { w in
                w.line(
                    "buffer.writeUnknownTaggedFields("
                        + "self.unknownTaggedFields, before: \(field.tag!), next: &nextUnknown)"
                )
                w.line("buffer.writeTaggedField(tag: \(field.tag!)) { taggedBuffer in")
                try w.indented { w in try emitWrite(coding, presence: coding.tagged, buffer: "taggedBuffer", &w) }
                w.line("}")
            }
        }
        w.line("buffer.writeUnknownTaggedFields(self.unknownTaggedFields, before: nil, next: &nextUnknown)")
    }

    private func emitWrite(_ coding: FieldCoding, presence: VersionRange, buffer: String, _ w: inout CodeWriter)
        throws
    {
        let compact = coding.compact(within: presence)
        let nullability = coding.nullability(within: presence)
        let value = coding.property
        switch nullability {
        case .always:
            try emitWriteValue(coding.field.type, value: value, nullable: true, compact: compact, buffer: buffer, &w)
        case .never:
            let nonNull = coding.isOptional ? "(\(value) ?? \(try coding.nonNullFallback()))" : value
            try emitWriteValue(coding.field.type, value: nonNull, nullable: false, compact: compact, buffer: buffer, &w)
        case .when(let condition):
            try w.block("if \(condition)", closer: "} else {") { w in
                try emitWriteValue(
                    coding.field.type, value: value, nullable: true, compact: compact, buffer: buffer, &w)
            }
            let nonNull = "(\(value) ?? \(try coding.nonNullFallback()))"
            try w.indented { w in
                try emitWriteValue(
                    coding.field.type, value: nonNull, nullable: false, compact: compact, buffer: buffer, &w)
            }
            w.line("}")
        }
    }

    private func emitWriteValue(
        _ type: FieldType, value: String, nullable: Bool, compact: String, buffer: String, _ w: inout CodeWriter
    ) throws {
        guard case .array(let element) = type else {
            w.line(try scalarWrite(type, value: value, nullable: nullable, compact: compact, buffer: buffer))
            return
        }
        let elementWrite = try scalarWrite(element, value: "item", nullable: false, compact: compact, buffer: buffer)
        if nullable {
            w.block("if let items = \(value)", closer: "} else {") { w in
                w.line("\(buffer).writeKafkaArrayCount(items.count, compact: \(compact))")
                w.block("for item in items") { w in w.line(elementWrite) }
            }
            w.indented { w in w.line("\(buffer).writeKafkaArrayCount(nil, compact: \(compact))") }
            w.line("}")
        } else {
            w.line("\(buffer).writeKafkaArrayCount(\(value).count, compact: \(compact))")
            w.block("for item in \(value)") { w in w.line(elementWrite) }
        }
    }

    private func scalarWrite(_ type: FieldType, value: String, nullable: Bool, compact: String, buffer: String)
        throws -> String
    {
        switch type {
        case .int8: return "\(buffer).writeInt8(\(value))"
        case .int16: return "\(buffer).writeInt16(\(value))"
        case .int32: return "\(buffer).writeInt32(\(value))"
        case .int64: return "\(buffer).writeInt64(\(value))"
        case .uint16: return "\(buffer).writeUInt16(\(value))"
        case .uint32: return "\(buffer).writeUInt32(\(value))"
        case .float64: return "\(buffer).writeFloat64(\(value))"
        case .bool: return "\(buffer).writeBool(\(value))"
        case .uuid: return "\(buffer).writeKafkaUUID(\(value))"
        case .string:
            let method = nullable ? "writeKafkaNullableString" : "writeKafkaString"
            return "\(buffer).\(method)(\(value), compact: \(compact))"
        case .bytes, .records:
            let method = nullable ? "writeKafkaNullableBytes" : "writeKafkaBytes"
            return "\(buffer).\(method)(\(value), compact: \(compact))"
        case .structure:
            return "\(value).write(to: &\(buffer), version: version)"
        case .array:
            throw GeneratorError("arrays of arrays are not supported")
        }
    }
}
