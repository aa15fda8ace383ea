import CZooKeeper
import Logging

/// The C client's own log verbosity (process-wide).
public enum ZooKeeperLogLevel: Hashable, Sendable {
    /// Nothing at all.
    case off
    case error
    case warn
    case info
    case debug
}

/// Controls what libzookeeper_mt itself prints. Both settings are process-wide (the C library has no per-handle
/// level).
///
/// By default the first ``ZooKeeperClient/connect(connectString:sessionTimeout:connectTimeout:)`` sets the level to
/// `error` (at its own default the library prints about 13 lines per session and several per second while a
/// server is down); it prints to stderr. Call ``setLevel(_:)`` to choose otherwise, and ``forward(to:)`` to send
/// the messages of handles created afterwards into swift-log instead.
public enum ZooKeeperLibraryLogging {
    private struct Settings {
        var levelChosen = false
        var logger: Logger?
    }

    private static let settings = LockedValue(Settings())

    /// Sets the C library's log level for the whole process.
    public static func setLevel(_ level: ZooKeeperLogLevel) {
        settings.withLock { $0.levelChosen = true }
        apply(level)
    }

    /// Sends the library's messages from handles created after this call to `logger` (nil: back to stderr).
    /// The library's `ERROR` and `WARN` lines are logged at `.debug`, the rest at `.trace`: the wrapper already
    /// reports what matters (session states, typed errors). The library's level still filters first.
    public static func forward(to logger: Logger?) {
        settings.withLock { $0.logger = logger }
    }

    static func applyDefaultLevelIfUnset() {
        let apply: Bool = settings.withLock { settings in
            defer { settings.levelChosen = true }
            return !settings.levelChosen
        }
        if apply { Self.apply(.error) }
    }

    static func callbackForNewHandles() -> log_callback_fn? {
        settings.withLock { $0.logger } == nil ? nil : logCallback
    }

    private static func apply(_ level: ZooKeeperLogLevel) {
        switch level {
        // Level 0 disables every message (the library's own tests do this).
        case .off: zoo_set_debug_level(ZooLogLevel(rawValue: 0))
        case .error: zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR)
        case .warn: zoo_set_debug_level(ZOO_LOG_LEVEL_WARN)
        case .info: zoo_set_debug_level(ZOO_LOG_LEVEL_INFO)
        case .debug: zoo_set_debug_level(ZOO_LOG_LEVEL_DEBUG)
        }
    }

    /// Called by the library on any of its threads, one line at a time.
    private static let logCallback: log_callback_fn = { message in
        guard let message, let logger = ZooKeeperLibraryLogging.settings.withLock({ $0.logger }) else { return }
        let line = String(cString: message)
        let important = line.contains(":ZOO_ERROR@") || line.contains(":ZOO_WARN@")
        logger.log(level: important ? .debug : .trace, "\(line)", metadata: ["component": "libzookeeper"])
    }
}
