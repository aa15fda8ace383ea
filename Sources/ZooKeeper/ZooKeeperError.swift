import CZooKeeper

/// A failed ZooKeeper operation: which operation, on which path, and the library's error code.
///
/// Codes a caller must handle with care:
/// - ``Code/connectionLoss`` is **ambiguous**: the request may or may not have been applied by the server (the
///   connection dropped before the answer arrived). Re-read before retrying a write; a retried `create` may meet
///   its own node (`nodeExists`), a retried conditional `set` its own version bump (`badVersion`).
/// - ``Code/operationTimeout`` is ambiguous in the same way.
/// - ``Code/sessionExpired`` is final for the client: see ``ZooKeeperClient``.
/// - ``Code/closing`` means the client was closed before the operation completed; it may have been applied.
public struct ZooKeeperError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The library's error code.
    public var code: Code
    /// The operation that failed.
    public var operation: Operation
    /// The path the operation named (for `multi`, the path of the failing operation), if any.
    public var path: String?
    /// For a failed `multi`: the index of the operation that failed (the others were not applied).
    public var failedOperationIndex: Int?

    public init(code: Code, operation: Operation, path: String? = nil, failedOperationIndex: Int? = nil) {
        self.code = code
        self.operation = operation
        self.path = path
        self.failedOperationIndex = failedOperationIndex
    }

    public var description: String {
        var text = "ZooKeeper \(operation)"
        if let failedOperationIndex { text += " (operation #\(failedOperationIndex))" }
        if let path { text += " \(path)" }
        return text + " failed: \(code)"
    }

    /// What the client was doing.
    public enum Operation: String, Hashable, Sendable, CustomStringConvertible {
        case connect, create, get, set, delete, exists, children, multi, sync, watch, close
        public var description: String { rawValue }
    }

    /// Every error code of libzookeeper_mt 3.8 (`enum ZOO_ERRORS`), plus `unknown` for anything newer.
    public enum Code: Hashable, Sendable, CustomStringConvertible {
        case systemError
        case runtimeInconsistency
        case dataInconsistency
        /// The connection to the server was lost before the answer arrived. **Ambiguous**: the operation may have
        /// been applied.
        case connectionLoss
        case marshallingError
        case unimplemented
        /// The request timed out (also ambiguous), or `connect` did not reach the connected state in time.
        case operationTimeout
        case badArguments
        /// The handle is unusable (session expired or authentication failed).
        case invalidState
        case newConfigNoQuorum
        case reconfigInProgress
        case sslConnectionError
        case apiError
        case noNode
        case noAuth
        case badVersion
        case noChildrenForEphemerals
        case nodeExists
        case notEmpty
        /// The session expired: the client is dead, its ephemeral nodes are gone.
        case sessionExpired
        case invalidCallback
        case invalidACL
        case authFailed
        /// The client is closing or closed.
        case closing
        case nothing
        case sessionMoved
        case notReadOnly
        case ephemeralOnLocalSession
        case noWatcher
        case reconfigDisabled
        case sessionClosedRequireSASLAuth
        case throttledOp
        case unknown(Int32)

        /// The code for a C return value; `rc` must not be `ZOK`.
        public init(rawValue rc: Int32) {
            switch rc {
            case ZSYSTEMERROR.rawValue: self = .systemError
            case ZRUNTIMEINCONSISTENCY.rawValue: self = .runtimeInconsistency
            case ZDATAINCONSISTENCY.rawValue: self = .dataInconsistency
            case ZCONNECTIONLOSS.rawValue: self = .connectionLoss
            case ZMARSHALLINGERROR.rawValue: self = .marshallingError
            case ZUNIMPLEMENTED.rawValue: self = .unimplemented
            case ZOPERATIONTIMEOUT.rawValue: self = .operationTimeout
            case ZBADARGUMENTS.rawValue: self = .badArguments
            case ZINVALIDSTATE.rawValue: self = .invalidState
            case ZNEWCONFIGNOQUORUM.rawValue: self = .newConfigNoQuorum
            case ZRECONFIGINPROGRESS.rawValue: self = .reconfigInProgress
            case ZSSLCONNECTIONERROR.rawValue: self = .sslConnectionError
            case ZAPIERROR.rawValue: self = .apiError
            case ZNONODE.rawValue: self = .noNode
            case ZNOAUTH.rawValue: self = .noAuth
            case ZBADVERSION.rawValue: self = .badVersion
            case ZNOCHILDRENFOREPHEMERALS.rawValue: self = .noChildrenForEphemerals
            case ZNODEEXISTS.rawValue: self = .nodeExists
            case ZNOTEMPTY.rawValue: self = .notEmpty
            case ZSESSIONEXPIRED.rawValue: self = .sessionExpired
            case ZINVALIDCALLBACK.rawValue: self = .invalidCallback
            case ZINVALIDACL.rawValue: self = .invalidACL
            case ZAUTHFAILED.rawValue: self = .authFailed
            case ZCLOSING.rawValue: self = .closing
            case ZNOTHING.rawValue: self = .nothing
            case ZSESSIONMOVED.rawValue: self = .sessionMoved
            case ZNOTREADONLY.rawValue: self = .notReadOnly
            case ZEPHEMERALONLOCALSESSION.rawValue: self = .ephemeralOnLocalSession
            case ZNOWATCHER.rawValue: self = .noWatcher
            case ZRECONFIGDISABLED.rawValue: self = .reconfigDisabled
            case ZSESSIONCLOSEDREQUIRESASLAUTH.rawValue: self = .sessionClosedRequireSASLAuth
            case ZTHROTTLEDOP.rawValue: self = .throttledOp
            default: self = .unknown(rc)
            }
        }

        /// The C value (`ZNONODE` = -101, …).
        public var rawValue: Int32 {
            switch self {
            case .systemError: ZSYSTEMERROR.rawValue
            case .runtimeInconsistency: ZRUNTIMEINCONSISTENCY.rawValue
            case .dataInconsistency: ZDATAINCONSISTENCY.rawValue
            case .connectionLoss: ZCONNECTIONLOSS.rawValue
            case .marshallingError: ZMARSHALLINGERROR.rawValue
            case .unimplemented: ZUNIMPLEMENTED.rawValue
            case .operationTimeout: ZOPERATIONTIMEOUT.rawValue
            case .badArguments: ZBADARGUMENTS.rawValue
            case .invalidState: ZINVALIDSTATE.rawValue
            case .newConfigNoQuorum: ZNEWCONFIGNOQUORUM.rawValue
            case .reconfigInProgress: ZRECONFIGINPROGRESS.rawValue
            case .sslConnectionError: ZSSLCONNECTIONERROR.rawValue
            case .apiError: ZAPIERROR.rawValue
            case .noNode: ZNONODE.rawValue
            case .noAuth: ZNOAUTH.rawValue
            case .badVersion: ZBADVERSION.rawValue
            case .noChildrenForEphemerals: ZNOCHILDRENFOREPHEMERALS.rawValue
            case .nodeExists: ZNODEEXISTS.rawValue
            case .notEmpty: ZNOTEMPTY.rawValue
            case .sessionExpired: ZSESSIONEXPIRED.rawValue
            case .invalidCallback: ZINVALIDCALLBACK.rawValue
            case .invalidACL: ZINVALIDACL.rawValue
            case .authFailed: ZAUTHFAILED.rawValue
            case .closing: ZCLOSING.rawValue
            case .nothing: ZNOTHING.rawValue
            case .sessionMoved: ZSESSIONMOVED.rawValue
            case .notReadOnly: ZNOTREADONLY.rawValue
            case .ephemeralOnLocalSession: ZEPHEMERALONLOCALSESSION.rawValue
            case .noWatcher: ZNOWATCHER.rawValue
            case .reconfigDisabled: ZRECONFIGDISABLED.rawValue
            case .sessionClosedRequireSASLAuth: ZSESSIONCLOSEDREQUIRESASLAUTH.rawValue
            case .throttledOp: ZTHROTTLEDOP.rawValue
            case .unknown(let rc): rc
            }
        }

        /// True for the codes after which the outcome of a write is unknown (`connectionLoss`,
        /// `operationTimeout`, `closing`): re-read before retrying.
        public var isAmbiguous: Bool {
            switch self {
            case .connectionLoss, .operationTimeout, .closing: true
            default: false
            }
        }

        public var description: String {
            let text = zerror(rawValue).map { String(cString: $0) } ?? "unknown error"
            return "\(text) (\(rawValue))"
        }
    }
}
