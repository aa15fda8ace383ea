/// One configuration key a process reads: its Kafka name, type, default and documentation.
///
/// Processes declare their keys as a list of these; the list drives parsing, validation, the environment mapping
/// (`KAFKA_*`/`FJORD_*`), `--help-config` output and the compose-file check, so that documentation and behaviour
/// cannot drift apart.
public struct ConfigDefinition: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case string, int, long, bool, list, double
    }

    public var name: String
    public var kind: Kind
    /// The default as text, or nil when the key is required or has no default.
    public var defaultValue: String?
    public var documentation: String

    public init(_ name: String, _ kind: Kind, default defaultValue: String?, _ documentation: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.documentation = documentation
    }
}

/// Resolved configuration: defaults, then file, environment and flags, checked against definitions.
public struct ResolvedConfig: Sendable {
    public let definitions: [String: ConfigDefinition]
    public let properties: Properties

    /// Merges the sources over the definitions' defaults and checks every known key's type.
    ///
    /// Unknown keys in the file are kept (Kafka warns and ignores them) and listed in `unknownKeys`.
    public init(definitions: [ConfigDefinition], file: Properties?, environment: [String: String], flags: Properties)
        throws(ConfigError)
    {
        var byName: [String: ConfigDefinition] = [:]
        for definition in definitions { byName[definition.name] = definition }
        self.definitions = byName
        var merged = Properties(
            byName.compactMapValues(\.defaultValue), source: "default")
        if let file { merged.merge(file) }
        merged.merge(Properties.fromEnvironment(environment, knownKeys: Set(byName.keys)))
        merged.merge(flags)
        self.properties = merged
        for (key, value) in merged.values {
            guard let definition = byName[key] else { continue }
            let ok: Bool
            switch definition.kind {
            case .int: ok = Int32(value.trimmingWhitespace()) != nil
            case .long: ok = Int64(value.trimmingWhitespace()) != nil
            case .double: ok = Double(value.trimmingWhitespace()) != nil
            case .bool: ok = ["true", "false"].contains(value.trimmingWhitespace().lowercased())
            case .string, .list: ok = true
            }
            if !ok {
                let source = merged.sources[key] ?? "?"
                throw ConfigError(
                    "Invalid value \(value) for configuration \(key) (from \(source)): expected \(definition.kind.rawValue)"
                )
            }
        }
    }

    public var unknownKeys: [String] { properties.values.keys.filter { definitions[$0] == nil }.sorted() }

    public func string(_ key: String) -> String? {
        guard let v = properties[key] else { return nil }
        return v
    }

    public func required(_ key: String) throws(ConfigError) -> String {
        guard let v = properties[key], !v.trimmingWhitespace().isEmpty else {
            throw ConfigError("Missing required configuration \"\(key)\" which has no default value.")
        }
        return v.trimmingWhitespace()
    }

    public func int(_ key: String) -> Int { properties[key].flatMap { Int($0.trimmingWhitespace()) } ?? 0 }
    public func int64(_ key: String) -> Int64 { properties[key].flatMap { Int64($0.trimmingWhitespace()) } ?? 0 }
    public func double(_ key: String) -> Double {
        properties[key].flatMap { Double($0.trimmingWhitespace()) } ?? 0
    }
    public func bool(_ key: String) -> Bool { properties[key]?.trimmingWhitespace().lowercased() == "true" }
    public func list(_ key: String) -> [String] {
        (properties[key] ?? "").split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
    }
    /// An optional integer: nil when unset or empty.
    public func optionalInt64(_ key: String) -> Int64? {
        properties[key].flatMap { Int64($0.trimmingWhitespace()) }
    }
}
