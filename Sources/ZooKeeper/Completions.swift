import CZooKeeper

/// The C completion and watcher functions handed to libzookeeper_mt.
///
/// They are `@convention(c)` closures that capture nothing. Completions receive the operation id registered in
/// ``PendingOperations`` as their `data` pointer; node watchers receive a watch id registered in ``WatchRegistry``;
/// the session watcher receives the ``SessionCore`` itself (retained until `zookeeper_close` returned). All of them
/// run one at a time on the library's completion thread: they copy what the library passed (it is freed when they
/// return), resume or yield, and never block.
enum Completions {
    static let void: void_completion_t = { rc, data in
        PendingOperations.shared.complete(data, RawOutcome(rc: rc))
    }

    static let stat: stat_completion_t = { rc, stat, data in
        var outcome = RawOutcome(rc: rc)
        if rc == ZOK.rawValue, let stat { outcome.stat = ZNodeStat(stat.pointee) }
        PendingOperations.shared.complete(data, outcome)
    }

    static let data: data_completion_t = { rc, value, length, stat, data in
        var outcome = RawOutcome(rc: rc)
        if rc == ZOK.rawValue {
            outcome.data = Completions.bytes(value, length)
            if let stat { outcome.stat = ZNodeStat(stat.pointee) }
        }
        PendingOperations.shared.complete(data, outcome)
    }

    static let stringStat: string_stat_completion_t = { rc, string, stat, data in
        var outcome = RawOutcome(rc: rc)
        if rc == ZOK.rawValue {
            outcome.string = string.map { String(cString: $0) }
            if let stat { outcome.stat = ZNodeStat(stat.pointee) }
        }
        PendingOperations.shared.complete(data, outcome)
    }

    static let string: string_completion_t = { rc, string, data in
        var outcome = RawOutcome(rc: rc)
        if rc == ZOK.rawValue { outcome.string = string.map { String(cString: $0) } }
        PendingOperations.shared.complete(data, outcome)
    }

    static let childrenStat: strings_stat_completion_t = { rc, strings, stat, data in
        var outcome = RawOutcome(rc: rc)
        if rc == ZOK.rawValue {
            outcome.children = Completions.strings(strings)
            if let stat { outcome.stat = ZNodeStat(stat.pointee) }
        }
        PendingOperations.shared.complete(data, outcome)
    }

    static let multi: void_completion_t = { rc, data in
        PendingOperations.shared.completeMulti(data, rc: rc)
    }

    /// The watcher of every node and children watch; `context` is the watch id.
    static let nodeWatcher: watcher_fn = { _, type, _, _, context in
        guard type != fjord_zoo_session_event(), let context else { return }
        WatchRegistry.shared.fire(id: WatchRegistry.id(context), type: type)
    }

    /// The handle's default watcher, for session events; `context` is the unretained ``SessionCore``.
    static let sessionWatcher: watcher_fn = { handle, type, state, _, context in
        guard type == fjord_zoo_session_event(), let context, let handle else { return }
        let core = Unmanaged<SessionCore>.fromOpaque(context).takeUnretainedValue()
        core.handleSessionEvent(state: state, handle: handle)
    }

    static func bytes(_ value: UnsafePointer<CChar>?, _ length: Int32) -> [UInt8] {
        guard let value, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: value, count: Int(length)))
    }

    static func strings(_ vector: UnsafePointer<String_vector>?) -> [String] {
        guard let vector, vector.pointee.count > 0, let items = vector.pointee.data else { return [] }
        return (0..<Int(vector.pointee.count)).compactMap { index in items[index].map { String(cString: $0) } }
    }
}
