/// Kafka's text checkpoint format, shared by every checkpoint file:
///
///     0                      version
///     2                      number of entries
///     <field> <field> ...    one line per entry, fields separated by one space
///
/// Writes are atomic (``FileSystem/writeAtomically(_:to:)``: temporary file, fsync, rename, fsync of the
/// directory), so a reader sees the old or the new content, never a mix; a torn `.tmp` left by a crash is ignored.
enum CheckpointFile {
    static let currentVersion = 0
    /// A bound on entries read, so a damaged count cannot make a reader allocate without limit.
    static let maxEntries = 10_000_000

    /// The entries' fields, or `nil` when the file does not exist.
    ///
    /// - Throws: `.storage` when the file is malformed (wrong version, count, or field count).
    static func read(_ path: String, fieldsPerEntry: Int) throws(LogError) -> [[Substring]]? {
        guard let bytes = try FileSystem.readSmallFile(path) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        func malformed(_ why: String) -> LogError { LogError(.storage, "malformed checkpoint \(path): \(why)") }
        guard lines.count >= 2 else { throw malformed("fewer than 2 lines") }
        guard Int(lines[0]) == currentVersion else { throw malformed("unknown version \"\(lines[0])\"") }
        guard let count = Int(lines[1]), count >= 0, count <= maxEntries else {
            throw malformed("bad entry count \"\(lines[1])\"")
        }
        guard lines.count - 2 == count else { throw malformed("\(count) entries announced, \(lines.count - 2) found") }
        var entries: [[Substring]] = []
        entries.reserveCapacity(count)
        for (number, line) in lines.dropFirst(2).enumerated() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == fieldsPerEntry, fields.allSatisfy({ !$0.isEmpty }) else {
                throw malformed("entry \(number) \"\(line)\" does not have \(fieldsPerEntry) fields")
            }
            entries.append(fields)
        }
        return entries
    }

    /// Replaces the file with `entries` (each a list of fields without spaces or newlines).
    static func write(_ path: String, entries: [[String]]) throws(LogError) {
        var text = "\(currentVersion)\n\(entries.count)\n"
        for fields in entries {
            precondition(
                fields.allSatisfy { !$0.isEmpty && !$0.contains(" ") && !$0.contains("\n") },
                "checkpoint field with a space or newline: \(fields)")
            text += fields.joined(separator: " ") + "\n"
        }
        try FileSystem.writeAtomically(Array(text.utf8), to: path)
    }
}
