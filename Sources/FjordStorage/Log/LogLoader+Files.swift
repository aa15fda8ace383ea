import FjordModel
import Logging

extension LogLoader {
    /// Removes `.deleted`, `.cleaned` and `.tmp` files and completes interrupted swaps; updates `names`.
    func removeStrayFiles(_ names: inout [String]) throws(LogError) {
        var kept: [String] = []
        var swaps: [String] = []
        for name in names {
            if name.hasSuffix(SegmentFileName.deletedSuffix) || name.hasSuffix(SegmentFileName.cleanedSuffix)
                || name.hasSuffix(SegmentFileName.temporarySuffix)
            {
                logger.info("removing stray file", metadata: ["partition": "\(topicPartition)", "file": "\(name)"])
                try FileSystem.removeFile("\(directory)/\(name)")
            } else if name.hasSuffix(SegmentFileName.swapSuffix) {
                swaps.append(name)
            } else {
                kept.append(name)
            }
        }
        for swap in swaps {
            let target = String(swap.dropLast(SegmentFileName.swapSuffix.count))
            guard let (base, kind) = SegmentFileName.parse(target), kind == .log else {
                // An index being swapped in: the segment's indexes are rebuilt instead.
                try FileSystem.removeFile("\(directory)/\(swap)")
                continue
            }
            kept = try completeSwap(swap, baseOffset: base, names: kept)
        }
        names = kept
    }

    /// A `.log.swap` holds a compacted replacement of the segments whose base offsets lie in its offset range; it
    /// was complete when it got this name, so finish the swap: remove those segments, rename it into place, and let
    /// its indexes be rebuilt.
    private func completeSwap(_ swap: String, baseOffset: Offset, names: [String]) throws(LogError) -> [String] {
        let file = try LogFileHandle.openReadWrite("\(directory)/\(swap)", create: false)
        let scan = try SegmentScanner.scan(
            file: file, baseOffset: baseOffset, indexIntervalBytes: config.indexIntervalBytes, minimumOffset: baseOffset
        )
        let end = max(scan.builder.nextOffset, baseOffset + 1)
        var kept: [String] = []
        for name in names {
            if let (base, _) = SegmentFileName.parse(name), base >= baseOffset, base < end {
                try FileSystem.removeFile("\(directory)/\(name)")
            } else {
                kept.append(name)
            }
        }
        let target = SegmentFileName.path(directory: directory, baseOffset: baseOffset, kind: .log)
        try FileSystem.rename("\(directory)/\(swap)", to: target)
        logger.info(
            "completed an interrupted segment swap",
            metadata: ["partition": "\(topicPartition)", "segment": "\(baseOffset)", "replacedUpTo": "\(end)"])
        return kept + [SegmentFileName.stem(baseOffset) + SegmentFileName.logSuffix]
    }

    /// The base offsets of the segments present (sorted) and those missing an index file; removes index files
    /// that have no log.
    func inventory(_ names: [String]) throws(LogError) -> (bases: [Offset], missingIndexes: Set<Offset>) {
        var kinds: [Offset: Set<SegmentFileName.Kind>] = [:]
        for name in names {
            guard let (base, kind) = SegmentFileName.parse(name) else { continue }
            kinds[base, default: []].insert(kind)
        }
        var bases: [Offset] = []
        var missing: Set<Offset> = []
        for (base, present) in kinds {
            if present.contains(.log) {
                bases.append(base)
                if !present.contains(.offsetIndex) || !present.contains(.timeIndex) { missing.insert(base) }
            } else {
                for kind in present {
                    logger.info(
                        "removing index file without a log",
                        metadata: ["partition": "\(topicPartition)", "segment": "\(base)"])
                    try FileSystem.removeFile(SegmentFileName.path(directory: directory, baseOffset: base, kind: kind))
                }
            }
        }
        return (bases.sorted(), missing)
    }
}
