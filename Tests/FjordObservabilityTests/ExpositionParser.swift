/// A strict reader of the Prometheus text exposition format 0.0.4, for tests: every sample line must parse, every
/// sample must belong to a family announced by a `# TYPE` line before it, and a family is announced once.
struct Exposition {
    struct Sample: Hashable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var types: [String: String] = [:]
    var help: [String: String] = [:]
    var samples: [Sample] = []

    struct Malformed: Error, CustomStringConvertible {
        var line: String
        var reason: String
        var description: String { "\(reason): \(line)" }
    }

    init(_ text: String) throws {
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = String(raw)
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2 else { throw Malformed(line: line, reason: "bad TYPE") }
                guard types[String(parts[0])] == nil else { throw Malformed(line: line, reason: "TYPE twice") }
                guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(String(parts[1])) else {
                    throw Malformed(line: line, reason: "unknown type")
                }
                types[String(parts[0])] = String(parts[1])
                continue
            }
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                guard let space = rest.firstIndex(of: " ") else { throw Malformed(line: line, reason: "bad HELP") }
                help[String(rest[..<space])] = String(rest[rest.index(after: space)...])
                continue
            }
            if line.hasPrefix("#") { continue }
            samples.append(try Self.sample(line))
            let name = samples.last!.name
            let family = ["_bucket", "_sum", "_count"].reduce(name) { current, suffix in
                current.hasSuffix(suffix) && types[String(current.dropLast(suffix.count))] == "histogram"
                    ? String(current.dropLast(suffix.count)) : current
            }
            guard types[family] != nil else { throw Malformed(line: line, reason: "sample before its TYPE") }
        }
    }

    private static func sample(_ line: String) throws -> Sample {
        var index = line.startIndex
        while index < line.endIndex,
            line[index].isLetter || line[index].isNumber || line[index] == "_"
                || line[index] == ":"
        {
            index = line.index(after: index)
        }
        let name = String(line[..<index])
        guard !name.isEmpty, !(name.first!.isNumber) else { throw Malformed(line: line, reason: "bad name") }
        var labels: [String: String] = [:]
        if index < line.endIndex, line[index] == "{" {
            index = line.index(after: index)
            while line[index] != "}" {
                guard let eq = line[index...].firstIndex(of: "=") else { throw Malformed(line: line, reason: "label") }
                let key = String(line[index..<eq])
                var cursor = line.index(after: eq)
                guard line[cursor] == "\"" else { throw Malformed(line: line, reason: "unquoted label") }
                cursor = line.index(after: cursor)
                var value = ""
                while line[cursor] != "\"" {
                    if line[cursor] == "\\" {
                        cursor = line.index(after: cursor)
                        value.append(line[cursor] == "n" ? "\n" : line[cursor])
                    } else {
                        value.append(line[cursor])
                    }
                    cursor = line.index(after: cursor)
                }
                labels[key] = value
                index = line.index(after: cursor)
                if line[index] == "," { index = line.index(after: index) }
            }
            index = line.index(after: index)
        }
        let rest = line[index...].split(separator: " ")
        guard let text = rest.first else { throw Malformed(line: line, reason: "no value") }
        let value: Double? =
            switch text {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            case "NaN": .nan
            default: Double(text)
            }
        guard let value else { throw Malformed(line: line, reason: "bad value") }
        return Sample(name: name, labels: labels, value: value)
    }

    /// The value of the one sample named `name` with exactly `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }
}
