/// A contiguous range of message versions, as Kafka's JSON writes them: `"3"`, `"0-5"`, `"12+"` or `"none"`.
///
/// `"N+"` is open-ended (upper bound `Int16.max`); `"none"` is the empty range.
struct VersionRange: Equatable, CustomStringConvertible {
    var low: Int16
    var high: Int16

    static let none = VersionRange(low: 1, high: 0)
    static let all = VersionRange(low: 0, high: Int16.max)

    var isEmpty: Bool { low > high }
    var isOpenEnded: Bool { !isEmpty && high == Int16.max }

    init(low: Int16, high: Int16) {
        self.low = low
        self.high = high
    }

    /// Parses Kafka's version string; throws on anything else.
    init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "none" {
            self = .none
        } else if trimmed.hasSuffix("+"), let low = Int16(trimmed.dropLast()) {
            self.init(low: low, high: Int16.max)
        } else if let dash = trimmed.firstIndex(of: "-"), let low = Int16(trimmed[..<dash]),
            let high = Int16(trimmed[trimmed.index(after: dash)...])
        {
            self.init(low: low, high: high)
        } else if let exact = Int16(trimmed) {
            self.init(low: exact, high: exact)
        } else {
            throw GeneratorError("cannot parse version range '\(text)'")
        }
    }

    func contains(_ version: Int16) -> Bool { version >= low && version <= high }

    func intersection(_ other: VersionRange) -> VersionRange {
        let result = VersionRange(low: max(low, other.low), high: min(high, other.high))
        return result.isEmpty ? .none : result
    }

    /// The smallest range holding both.
    func hull(_ other: VersionRange) -> VersionRange {
        if isEmpty { return other }
        if other.isEmpty { return self }
        return VersionRange(low: min(low, other.low), high: max(high, other.high))
    }

    /// `self` without `other`; fails when the result would be two ranges (Kafka's generator has the same limit).
    func subtracting(_ other: VersionRange) throws -> VersionRange {
        let overlap = intersection(other)
        if overlap.isEmpty { return self }
        if overlap == self { return .none }
        if overlap.low == low { return VersionRange(low: overlap.high + 1, high: high) }
        if overlap.high == high { return VersionRange(low: low, high: overlap.low - 1) }
        throw GeneratorError("version range \(self) minus \(other) is not contiguous")
    }

    func isSubset(of other: VersionRange) -> Bool {
        isEmpty || (other.low <= low && high <= other.high)
    }

    var description: String {
        if isEmpty { return "none" }
        if isOpenEnded { return "\(low)+" }
        return low == high ? "\(low)" : "\(low)-\(high)"
    }

    /// A Swift condition on `version` that holds for the versions of `self` within `context` (the versions the
    /// code can run at). Returns "true" or "false" when the answer does not depend on the version.
    func condition(within context: VersionRange, variable: String = "version") -> String {
        let effective = intersection(context)
        if effective.isEmpty { return "false" }
        if effective == context { return "true" }
        if effective.low == effective.high { return "\(variable) == \(effective.low)" }
        if effective.low == context.low { return "\(variable) <= \(effective.high)" }
        if effective.high == context.high { return "\(variable) >= \(effective.low)" }
        return "\(variable) >= \(effective.low) && \(variable) <= \(effective.high)"
    }
}

/// A failure of the generator: a schema it cannot handle or a file it cannot read or write.
struct GeneratorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
