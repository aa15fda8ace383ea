#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The directory and whole-file operations the log layer needs, as thin throwing wrappers over POSIX calls.
/// All of them block; callers run them off the event loops.
enum FileSystem {
    /// Names of the entries of `directory` (without `.` and `..`).
    static func contents(of directory: String) throws(LogError) -> [String] {
        guard let dir = opendir(directory) else { throw .io("opendir", path: directory, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates `path` and any missing parents.
    static func createDirectory(_ path: String) throws(LogError) {
        if isDirectory(path) { return }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try createDirectory(String(path[..<slash]))
        }
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw .io("mkdir", path: path, errno: errno) }
    }

    static func rename(_ from: String, to: String) throws(LogError) {
        #if canImport(Glibc)
            let rc = Glibc.rename(from, to)
        #else
            let rc = Darwin.rename(from, to)
        #endif
        guard rc == 0 else { throw .io("rename to \(to)", path: from, errno: errno) }
    }

    /// Removes a file; a file that is already gone is not an error.
    static func removeFile(_ path: String) throws(LogError) {
        if unlink(path) != 0 && errno != ENOENT { throw .io("unlink", path: path, errno: errno) }
    }

    /// Removes a directory and everything in it.
    static func removeTree(_ path: String) throws(LogError) {
        guard isDirectory(path) else { return try removeFile(path) }
        for name in try contents(of: path) { try removeTree(path + "/" + name) }
        if rmdir(path) != 0 && errno != ENOENT { throw .io("rmdir", path: path, errno: errno) }
    }

    /// Makes the directory's entries (creations, renames, deletions) durable. Blocks.
    static func syncDirectory(_ path: String) throws(LogError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("open directory", path: path, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .io("fsync directory", path: path, errno: errno) }
    }

    /// The whole content of a small file, or `nil` when it does not exist.
    static func readSmallFile(_ path: String, maxBytes: Int = 64 << 20) throws(LogError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .io("open", path: path, errno: errno)
        }
        let handle = LogFileHandle(descriptor: fd, path: path)
        let size = try handle.size()
        guard size <= maxBytes else { throw LogError(.storage, "\(path) is \(size) bytes, more than \(maxBytes)") }
        var bytes = [UInt8](repeating: 0, count: size)
        let read = try handle.read(into: &bytes, at: 0)
        return Array(bytes.prefix(read))
    }

    /// Replaces `path` with `bytes` atomically: write `path.tmp`, fsync it, rename over `path`, fsync the directory.
    /// A crash leaves either the old or the new content under `path` (and maybe a stray `.tmp`, ignored on read).
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(LogError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("open", path: temporary, errno: errno) }
        let handle = LogFileHandle(descriptor: fd, path: temporary)
        try handle.write(bytes, at: 0)
        guard fsync(fd) == 0 else { throw .io("fsync", path: temporary, errno: errno) }
        try rename(temporary, to: path)
        try syncDirectory(parent(of: path))
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
