import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the test process cleans up when it exits normally (`exit`, end of the test run): first it kills every
/// ``ManagedProcess`` still running, then it deletes the directories registered with ``removeAtExit(_:)``.
/// (A crash skips this; then `setpriv --pdeathsig` still kills the children.)
public enum ExitCleanup {
    private static let directories = Mutex<[String]>([])
    private static let installed: Void = {
        atexit {
            ManagedProcess.killAllLive()
            for directory in ExitCleanup.directories.withLock({ $0 }) {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }()

    /// Deletes `directory` when the process exits.
    public static func removeAtExit(_ directory: String) {
        install()
        directories.withLock { $0.append(directory) }
    }

    static func install() {
        _ = installed
    }
}
