/// Accumulates Swift source with four-space indentation.
struct CodeWriter {
    private(set) var text = ""
    private var indentLevel = 0
    static let lineWidth = 120

    var indent: String { String(repeating: "    ", count: indentLevel) }

    mutating func line(_ content: String = "") {
        if content.isEmpty {
            // Never two blank lines in a row, never a blank line right after an opening brace.
            if text.hasSuffix("\n\n") || text.hasSuffix("{\n") || text.isEmpty { return }
            text += "\n"
        } else {
            text += indent + content + "\n"
        }
    }

    mutating func lines(_ contents: [String]) {
        for content in contents { line(content) }
    }

    /// `opener {`, the body one level deeper, then `}` (or `closer`).
    mutating func block(_ opener: String, closer: String = "}", _ body: (inout CodeWriter) throws -> Void) rethrows {
        line(opener + " {")
        indentLevel += 1
        try body(&self)
        indentLevel -= 1
        if text.hasSuffix("\n\n") { text.removeLast() }
        line(closer)
    }

    /// The body one level deeper, without braces.
    mutating func indented(_ body: (inout CodeWriter) throws -> Void) rethrows {
        indentLevel += 1
        try body(&self)
        indentLevel -= 1
    }

    /// A `///` comment, words wrapped to the line width.
    mutating func docComment(_ comment: String) {
        let prefix = indent + "/// "
        let width = max(40, CodeWriter.lineWidth - prefix.count)
        for paragraph in comment.split(separator: "\n", omittingEmptySubsequences: false) {
            // Continuation lines of a list item ("- Throws: …") are indented so DocC keeps them in the item.
            let continuation = paragraph.hasPrefix("- ") ? "  " : ""
            var current = ""
            var lineWidth = width
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: true) {
                if current.isEmpty {
                    current = String(word)
                } else if current.count + 1 + word.count <= lineWidth {
                    current += " " + word
                } else {
                    text += prefix + current + "\n"
                    current = continuation + word
                    lineWidth = width
                }
            }
            text += current.isEmpty ? indent + "///\n" : prefix + current + "\n"
        }
    }
}
