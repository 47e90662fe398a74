import CMicroHTTPD
import Synchronization

/// An answer that a handler gives later, from any thread. The connection is
/// suspended until `fulfil` is called; the first call wins.
public final class DeferredResponse: Sendable {
    private struct State {
        var result: HTTPResult?
        var connection: ConnectionHandle?
        var suspended = false
        var taken = false
    }

    private let state = Locked(State())

    public init() {}

    /// Supplies the answer. Later calls are ignored.
    public func fulfil(_ result: HTTPResult) {
        state.withLock { s in
            guard s.result == nil, !s.taken else { return }
            s.result = result
            if s.suspended, let c = s.connection {
                s.suspended = false
                MHD_resume_connection(c.raw)
            }
        }
    }

    /// Whether an answer was supplied.
    public var isFulfilled: Bool { state.withLock { $0.result != nil || $0.taken } }

    /// Returns the answer if it is already there; otherwise suspends the
    /// connection until `fulfil` resumes it. Called from the access handler.
    func takeOrSuspend(_ connection: ConnectionHandle) -> HTTPResult? {
        state.withLock { s in
            if let r = s.result {
                s.result = nil
                s.taken = true
                return r
            }
            s.connection = connection
            s.suspended = true
            MHD_suspend_connection(connection.raw)
            return nil
        }
    }

    /// Whether the connection is waiting on this answer.
    var isSuspended: Bool { state.withLock { $0.suspended } }
}
