/// Path rules checked before a path reaches the C client.
///
/// The C client checks paths too, but only after prefixing the chroot: with chroot `/fjord`, the relative path
/// `brokers` becomes `/fjordbrokers`, a valid path outside the chroot. So the wrapper checks every path itself:
/// absolute, no empty, `.` or `..` component, no trailing `/` (except `/` itself), no NUL.
enum ZNodePath {
    /// True if `path` may be used as a node path.
    static func isValid(_ path: String) -> Bool {
        guard path.first == "/" else { return false }
        if path == "/" { return true }
        guard !path.hasSuffix("/"), !path.utf8.contains(0) else { return false }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).allSatisfy { component in
            !component.isEmpty && component != "." && component != ".."
        }
    }

    /// Throws `badArguments` unless `path` is valid. A sequential create may end in `/` (the counter is appended).
    static func check(
        _ path: String, operation: ZooKeeperError.Operation, sequential: Bool = false
    ) throws {
        let checked = sequential && path.hasSuffix("/") && path != "/" ? path + "0" : path
        guard isValid(checked) else { throw ZooKeeperError(code: .badArguments, operation: operation, path: path) }
    }
}
