import FjordModel

/// Deleting a segment's files in two steps, as Kafka does: rename each to `<name>.deleted` (the `.log` first, so
/// a crash in between leaves index files without a log, which loading removes), then unlink. Loading a log removes
/// any `.deleted` file it finds. Open descriptors of the files stay valid after both steps.
enum SegmentFiles {
    /// Renames the segment's existing files to `.deleted`; returns the new paths. Cheap (metadata only): runs under
    /// the writer lock so that no new segment of the same name can appear before the rename.
    static func markDeleted(directory: String, baseOffset: Offset) throws(LogError) -> [String] {
        var renamed: [String] = []
        for kind in [SegmentFileName.Kind.log, .offsetIndex, .timeIndex] {
            let path = SegmentFileName.path(directory: directory, baseOffset: baseOffset, kind: kind)
            guard FileSystem.exists(path) else { continue }
            try FileSystem.rename(path, to: path + SegmentFileName.deletedSuffix)
            renamed.append(path + SegmentFileName.deletedSuffix)
        }
        return renamed
    }

    /// Unlinks files marked deleted. Runs outside the writer lock (unlinking a large file can take a while).
    static func unlink(_ paths: [String]) throws(LogError) {
        for path in paths { try FileSystem.removeFile(path) }
    }

    static func remove(directory: String, baseOffset: Offset) throws(LogError) {
        try unlink(markDeleted(directory: directory, baseOffset: baseOffset))
    }
}
