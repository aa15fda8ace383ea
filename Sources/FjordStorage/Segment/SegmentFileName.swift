import FjordModel

/// File names in a partition directory. A segment is three files sharing a 20-digit zero-padded base offset:
/// `00000000000000000000.log`, `.index` and `.timeindex`. Suffixes added to a file's name mark a state:
/// `.deleted` (being deleted), `.cleaned` and `.swap` (log compaction's intermediate files), `.tmp` (a checkpoint
/// being written).
enum SegmentFileName {
    static let logSuffix = ".log"
    static let offsetIndexSuffix = ".index"
    static let timeIndexSuffix = ".timeindex"
    static let deletedSuffix = ".deleted"
    static let cleanedSuffix = ".cleaned"
    static let swapSuffix = ".swap"
    static let temporarySuffix = ".tmp"

    enum Kind: Hashable, Sendable {
        case log, offsetIndex, timeIndex

        var suffix: String {
            switch self {
            case .log: logSuffix
            case .offsetIndex: offsetIndexSuffix
            case .timeIndex: timeIndexSuffix
            }
        }
    }

    /// `00000000000000012345` for offset 12345.
    static func stem(_ baseOffset: Offset) -> String {
        let digits = String(baseOffset.rawValue)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    static func path(directory: String, baseOffset: Offset, kind: Kind) -> String {
        "\(directory)/\(stem(baseOffset))\(kind.suffix)"
    }

    /// The base offset and kind of a segment file name (without any state suffix), or `nil` for other files.
    static func parse(_ name: String) -> (baseOffset: Offset, kind: Kind)? {
        for kind in [Kind.log, .offsetIndex, .timeIndex] where name.hasSuffix(kind.suffix) {
            let stem = name.dropLast(kind.suffix.count)
            guard stem.count == 20, stem.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(stem) else {
                return nil
            }
            return (Offset(value), kind)
        }
        return nil
    }
}
