import Foundation

/// Reads Kafka's message JSON files: strips their `//` comments (outside strings), parses them with
/// `JSONSerialization`, and builds `MessageSpec`s.
enum SchemaLoader {
    static func load(file url: URL) throws -> MessageSpec {
        let raw = try String(contentsOf: url, encoding: .utf8)
        let json = stripComments(raw)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        } catch {
            throw GeneratorError("\(url.lastPathComponent): invalid JSON after stripping comments: \(error)")
        }
        guard let dictionary = object as? [String: Any] else {
            throw GeneratorError("\(url.lastPathComponent): top level is not an object")
        }
        do {
            return try message(dictionary, sourceFile: url.lastPathComponent)
        } catch let error as GeneratorError {
            throw GeneratorError("\(url.lastPathComponent): \(error.description)")
        }
    }

    /// Removes `//` line comments that are outside JSON strings.
    static func stripComments(_ text: String) -> String {
        var output = String.UnicodeScalarView()
        var inString = false
        var escaped = false
        var inComment = false
        var previousSlash = false
        for scalar in text.unicodeScalars {
            if inComment {
                if scalar == "\n" {
                    inComment = false
                    output.append(scalar)
                }
                continue
            }
            if inString {
                output.append(scalar)
                if escaped {
                    escaped = false
                } else if scalar == "\\" {
                    escaped = true
                } else if scalar == "\"" {
                    inString = false
                }
                continue
            }
            if scalar == "/" {
                if previousSlash {
                    previousSlash = false
                    inComment = true
                } else {
                    previousSlash = true
                }
                continue
            }
            if previousSlash {
                output.append("/")
                previousSlash = false
            }
            if scalar == "\"" { inString = true }
            output.append(scalar)
        }
        return String(output)
    }

    private static func message(_ json: [String: Any], sourceFile: String) throws -> MessageSpec {
        guard let name = json["name"] as? String, let kindText = json["type"] as? String,
            let kind = MessageSpec.Kind(rawValue: kindText)
        else {
            throw GeneratorError("missing or unknown name/type")
        }
        let apiKey = (json["apiKey"] as? NSNumber).map { Int16(truncating: $0) }
        let valid = try VersionRange(parsing: try string(json, "validVersions"))
        let flexible = try VersionRange(parsing: (json["flexibleVersions"] as? String) ?? "none")
        let fields = try (json["fields"] as? [[String: Any]] ?? []).map(field)
        let common = try (json["commonStructs"] as? [[String: Any]] ?? []).map { entry in
            StructSpec(
                name: try string(entry, "name"), fields: try (entry["fields"] as? [[String: Any]] ?? []).map(field))
        }
        return MessageSpec(
            name: name, kind: kind, apiKey: apiKey, validVersions: valid, flexibleVersions: flexible,
            body: StructSpec(name: name, fields: fields), commonStructs: common, sourceFile: sourceFile)
    }

    private static func field(_ json: [String: Any]) throws -> FieldSpec {
        let name = try string(json, "name")
        let type = try FieldType(parsing: try string(json, "type"))
        let versions = try VersionRange(parsing: try string(json, "versions"))
        let nullable = try VersionRange(parsing: (json["nullableVersions"] as? String) ?? "none")
        let tagged = try VersionRange(parsing: (json["taggedVersions"] as? String) ?? "none")
        // Tags are numbers, though a few files write them as strings ("tag": "0").
        let tag = (json["tag"] as? NSNumber).map { Int(truncating: $0) } ?? (json["tag"] as? String).flatMap { Int($0) }
        if (tag == nil) != tagged.isEmpty {
            throw GeneratorError("field \(name): tag and taggedVersions must come together")
        }
        var defaultText: String?
        if let text = json["default"] as? String {
            defaultText = text
        } else if let number = json["default"] as? NSNumber {
            defaultText = number.stringValue
        }
        var inline: StructSpec?
        if let nested = json["fields"] as? [[String: Any]] {
            guard let structName = type.structName else {
                throw GeneratorError("field \(name) has fields but type is not a struct")
            }
            inline = StructSpec(name: structName, fields: try nested.map(field))
        }
        return FieldSpec(
            name: name, type: type, versions: versions, nullableVersions: nullable, taggedVersions: tagged,
            tag: tag, ignorable: (json["ignorable"] as? Bool) ?? false, defaultText: defaultText,
            about: json["about"] as? String,
            flexibleVersions: try (json["flexibleVersions"] as? String).map { try VersionRange(parsing: $0) },
            inlineStruct: inline)
    }

    private static func string(_ json: [String: Any], _ key: String) throws -> String {
        guard let value = json[key] as? String else { throw GeneratorError("missing string '\(key)'") }
        return value
    }
}
