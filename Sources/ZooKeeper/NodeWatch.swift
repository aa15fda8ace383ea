/// A stream of ``WatchEvent``s for one path, from ``ZooKeeperClient/watchNode(_:)`` or
/// ``ZooKeeperClient/watchChildren(_:)``.
///
/// Semantics (ZooKeeper watches are one-shot; this wrapper re-arms them):
/// - The watch is armed before the call that created it returns, so "watch, then read" misses nothing.
/// - When the one-shot ZooKeeper watch fires, the wrapper sends the re-arming request *before* delivering the event.
///   Requests of one session are ordered, so a read issued after receiving an event sees every change up to the
///   re-armed watch, and any later change produces another event. Changes between the firing and the re-arm are
///   not reported one by one: an event means "re-read", never "exactly one change happened".
/// - If re-arming fails with a connection loss, it is retried on the next `connected` state and then a
///   ``WatchEvent/Kind/watchRestored`` event is delivered (re-read: a change may have gone unreported).
/// - At most 64 undelivered events are buffered; older ones are dropped (they carry no data, only "re-read").
/// - A children watch ends normally after ``WatchEvent/Kind/nodeDeleted``. A node watch keeps going across
///   deletion and re-creation.
/// - The stream ends by throwing ``ZooKeeperError`` with code `sessionExpired` (or `authFailed`) when the session
///   dies, `closing` when the client is closed. It ends normally after ``cancel()`` or when the consuming task is
///   cancelled or drops its iterator.
/// - Single consumer: iterate it from one task only.
public struct NodeWatch: AsyncSequence, Sendable {
    public typealias Element = WatchEvent

    /// The watched path (relative to the chroot).
    public let path: String
    private let stream: AsyncThrowingStream<WatchEvent, any Error>
    private let continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation

    init(
        path: String, stream: AsyncThrowingStream<WatchEvent, any Error>,
        continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation
    ) {
        self.path = path
        self.stream = stream
        self.continuation = continuation
    }

    /// Stops the watch: the stream ends after the events already buffered.
    public func cancel() {
        continuation.finish()
    }

    public func makeAsyncIterator() -> AsyncThrowingStream<WatchEvent, any Error>.AsyncIterator {
        stream.makeAsyncIterator()
    }
}
