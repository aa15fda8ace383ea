/// Per-field facts both emitters need: where the field travels at which versions, and how.
struct FieldCoding {
    let model: MessageModel
    let field: FieldSpec
    /// The versions the enclosing struct can be coded at.
    let context: VersionRange

    var property: String { "self." + SwiftNaming.propertyName(field.name) }
    var isOptional: Bool { model.isOptional(field) }

    /// Versions (within `context`) at which the field is in the regular part of the struct.
    func regular() throws -> VersionRange { try field.regularVersions().intersection(context) }
    /// Versions (within `context`) at which the field is in the tagged-fields section.
    var tagged: VersionRange { field.taggedPresence.intersection(context) }

    /// "true", "false", "flexible" or an explicit condition: whether the field uses compact encodings at the
    /// versions `presence`.
    func compact(within presence: VersionRange) -> String {
        let flexible = field.flexibleVersions ?? model.spec.flexibleVersions
        let condition = flexible.condition(within: presence)
        if condition == "true" || condition == "false" || field.flexibleVersions != nil { return condition }
        return "flexible"
    }

    enum Nullability {
        case never
        case always
        case when(String)
    }

    func nullability(within presence: VersionRange) -> Nullability {
        if field.type == .records && field.nullableVersions.isEmpty { return .never }
        let condition = field.nullableVersions.condition(within: presence)
        switch condition {
        case "true": return .always
        case "false": return .never
        default: return .when(condition)
        }
    }

    /// A Swift condition that holds when the field has its default value.
    func isDefaultCondition() throws -> String {
        let defaultValue = try model.defaultExpression(field)
        if case .array = field.type, defaultValue == "[]", !isOptional { return "\(property).isEmpty" }
        return "\(property) == \(defaultValue)"
    }

    /// A Swift condition that holds when the field differs from its default.
    func isNotDefaultCondition() throws -> String {
        let defaultValue = try model.defaultExpression(field)
        if case .array = field.type, defaultValue == "[]", !isOptional { return "!\(property).isEmpty" }
        return "\(property) != \(defaultValue)"
    }

    /// The value to write when the property is optional but the version does not allow null.
    func nonNullFallback() throws -> String {
        switch field.type {
        case .string: return "\"\""
        case .bytes, .records: return "ByteBuffer()"
        case .array: return "[]"
        case .structure(let name): return "\(name)()"
        default: throw GeneratorError("field \(field.name): optional of a non-nullable type")
        }
    }
}
