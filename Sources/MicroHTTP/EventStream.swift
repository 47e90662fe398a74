import CMicroHTTPD
import Dispatch
import Synchronization

/// A libmicrohttpd connection pointer that may cross threads. Only touched
/// under the lock of the object that owns it, and only while that object
/// knows the connection is alive.
struct ConnectionHandle: @unchecked Sendable {
    let raw: OpaquePointer
}

/// A server-sent-event stream: bytes pushed from any thread reach the peer in
/// order. While nothing is pending the connection is suspended (no CPU); a
/// push resumes it. The stream ends cleanly (final chunk) or with an error
/// (the connection is cut, as a network failure looks to the peer).
public final class EventStream: Sendable {
    /// How a stream ended.
    public enum CloseReason: String, Sendable, Equatable {
        /// The server ended it with the terminating chunk.
        case clean
        /// The server cut the connection on purpose (FIN, the response unfinished).
        case error
        /// The server reset the connection on purpose (RST).
        case reset
        /// The peer went away, or the stream overflowed its pending limit.
        case peer
    }

    /// What became of bytes passed to `send`.
    public enum SendOutcome: Sendable, Equatable {
        /// Queued for the peer.
        case queued
        /// Swallowed because the stream is stalled.
        case stalled
        /// The stream is closed or closing; nothing was queued.
        case closed
    }

    /// How the server ends a stream on purpose.
    public enum Ending: String, Sendable, Equatable, CaseIterable {
        /// The terminating chunk, after what is queued: the response is complete.
        case clean
        /// The connection closed (FIN) after what is queued, the response unfinished.
        case cut
        /// The connection reset (RST) at once; what is queued is not sent.
        case reset
    }

    /// How lines end on the wire. Bytes are given with LF line ends (an event's JSON data holds
    /// no raw line break), and a stream with another ending writes each LF as it says.
    public enum LineEnding: String, Sendable, Equatable, CaseIterable, Codable {
        case lf, crlf, cr
    }

    /// How bytes are written: at most `maxWrite` bytes per write, `pause` seconds apart;
    /// each write (event or comment) held `delay` ± `jitter` seconds, order kept.
    public struct Pacing: Sendable, Equatable {
        public var maxWrite: Int?
        public var pause: Double
        public var delay: Double
        public var jitter: Double

        public init(maxWrite: Int? = nil, pause: Double = 0, delay: Double = 0, jitter: Double = 0) {
            self.maxWrite = maxWrite
            self.pause = pause
            self.delay = delay
            self.jitter = jitter
        }

        /// Writes as they come.
        public static let none = Pacing()
    }

    private enum Closing { case clean, error, reset, overflow, peerGone }

    private struct State {
        var pending: [UInt8] = []
        var offset = 0
        var connection: ConnectionHandle?
        /// The connection's socket; valid while not `dead` (libmicrohttpd frees the
        /// response, which marks the stream dead, before it closes the socket).
        var socket: Int32 = -1
        var suspended = false
        var closing: Closing?
        var dead = false
        var stalled = false
        var bytesQueued = 0
        var pacing = Pacing.none
        /// Uptime (ns) before which the next write waits (pacing's pause).
        var nextWriteAt: UInt64 = 0
        /// Writes held by pacing's delay: when each is due (uptime ns), in order.
        var held: [(due: UInt64, bytes: [UInt8])] = []
        var closeHandlers: [@Sendable (CloseReason) -> Void] = []
    }

    private static let nextID = Atomic<Int>(1)

    /// A number unique among the streams of this process.
    public let id: Int
    /// Seconds between heartbeat comments; nil uses the server's setting, 0 turns them off.
    public let heartbeatInterval: Double?
    /// Pending bytes above which the peer counts as dead and the stream is cut.
    public let maxPendingBytes: Int
    /// Whether comments end with a blank line (`: text` LF LF) or with their own line end only.
    public let blankLineAfterComments: Bool
    /// How lines end on the wire.
    public let lineEnding: LineEnding
    private let state = Locked(State())

    /// Makes a stream. Bytes sent before the handler returns it are delivered first.
    public init(heartbeatInterval: Double? = nil, maxPendingBytes: Int = 8 << 20, blankLineAfterComments: Bool = true,
                lineEnding: LineEnding = .lf) {
        self.id = EventStream.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        self.heartbeatInterval = heartbeatInterval
        self.maxPendingBytes = maxPendingBytes
        self.blankLineAfterComments = blankLineAfterComments
        self.lineEnding = lineEnding
    }

    /// `bytes` with their LFs written as `lineEnding` says.
    private func ending(_ bytes: [UInt8]) -> [UInt8] {
        switch lineEnding {
        case .lf: return bytes
        case .cr: return bytes.map { $0 == 10 ? 13 : $0 }
        case .crlf:
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + bytes.count / 16)
            for b in bytes {
                if b == 10 { out.append(13) }
                out.append(b)
            }
            return out
        }
    }

    /// Queues bytes for the peer.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> SendOutcome { send(bytes, []) }

    /// Queues `head` then `tail` for the peer, as one write (e.g. a per-stream
    /// `id:` line before an event body shared by every stream).
    @discardableResult
    public func send(_ head: [UInt8], _ tail: [UInt8]) -> SendOutcome {
        lineEnding == .lf ? queue(head, tail) : queue(ending(head), ending(tail))
    }

    /// `send` once the line ends are the wire's.
    private func queue(_ head: [UInt8], _ tail: [UInt8]) -> SendOutcome {
        state.withLock { s in
            if s.dead || s.closing != nil { return .closed }
            if s.stalled { return .stalled }
            let size = head.count + tail.count
            if s.pending.count - s.offset + s.held.reduce(0, { $0 + $1.bytes.count }) + size > maxPendingBytes {
                // A peer that does not read keeps libmicrohttpd waiting to write, so the
                // reader would never be asked again: cut the socket to end it now.
                s.closing = .overflow
                mmcu_cut(s.socket)
                Self.resumeIfSuspended(&s)
                return .closed
            }
            s.bytesQueued += size
            if s.pacing.delay > 0 || s.pacing.jitter > 0 {
                let spread = s.pacing.jitter > 0 ? Double.random(in: -s.pacing.jitter...s.pacing.jitter) : 0
                let wait = max(0, s.pacing.delay + spread)
                let due = max(s.held.last?.due ?? 0, DispatchTime.now().uptimeNanoseconds + UInt64(wait * 1e9))
                s.held.append((due, head + tail))
                schedule(at: due) { $0.releaseHeld() }
                return .queued
            }
            s.pending.append(contentsOf: head)
            s.pending.append(contentsOf: tail)
            Self.resumeIfSuspended(&s)
            return .queued
        }
    }

    /// Changes how bytes are written from now on (writes already held keep their times).
    public func pace(_ pacing: Pacing) {
        state.withLock { s in
            s.pacing = pacing
            if pacing.pause == 0 { s.nextWriteAt = 0 }
            Self.resumeIfSuspended(&s)
        }
    }

    /// How bytes are written now.
    public var pacing: Pacing { state.withLock { $0.pacing } }

    /// Calls `body` with the stream at uptime `due` (on a global queue), unless it is gone by then.
    private func schedule(at due: UInt64, _ body: @escaping @Sendable (EventStream) -> Void) {
        DispatchQueue.global().asyncAfter(deadline: DispatchTime(uptimeNanoseconds: due)) { [weak self] in
            if let self { body(self) }
        }
    }

    /// Moves the held writes that are due into the pending bytes.
    private func releaseHeld() {
        state.withLock { s in
            guard !s.dead else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            var moved = false
            while let first = s.held.first, first.due <= now {
                s.pending.append(contentsOf: first.bytes)
                s.held.removeFirst()
                moved = true
            }
            if moved || s.held.isEmpty { Self.resumeIfSuspended(&s) }
        }
    }

    /// Queues UTF-8 text for the peer.
    @discardableResult
    public func send(_ text: String) -> SendOutcome { send(Array(text.utf8)) }

    /// Sends an SSE comment line (`: text`), as heartbeats do: followed by a blank line
    /// unless `blankLine` (default: the stream's `blankLineAfterComments`) is false.
    @discardableResult
    public func sendComment(_ text: String, blankLine: Bool? = nil) -> SendOutcome {
        send((blankLine ?? blankLineAfterComments) ? ": \(text)\n\n" : ": \(text)\n")
    }

    /// Ends the stream after what is already queued: cleanly (`error == false`,
    /// terminating chunk) or by cutting the connection (`error == true`).
    public func close(error: Bool) { end(error ? .cut : .clean) }

    /// Ends the stream as `ending` says.
    public func end(_ ending: Ending) {
        state.withLock { s in
            guard !s.dead, s.closing == nil else { return }
            switch ending {
            case .clean: s.closing = .clean
            case .cut: s.closing = .error
            case .reset:
                s.closing = .reset
                s.held = []
                mmcu_reset(s.socket)
            }
            Self.resumeIfSuspended(&s)
        }
    }

    /// Stops delivering anything, heartbeats included, while keeping the
    /// connection open: to the peer the server looks frozen.
    public func stall() { state.withLock { $0.stalled = true } }

    /// Delivers again after `stall()`.
    public func unstall() { state.withLock { $0.stalled = false } }

    /// Whether the stream is stalled.
    public var isStalled: Bool { state.withLock { $0.stalled } }

    /// Whether the stream can still take bytes.
    public var isOpen: Bool { state.withLock { !$0.dead && $0.closing == nil } }

    /// Bytes queued and not yet handed to libmicrohttpd.
    var pendingBytes: Int { state.withLock { $0.pending.count - $0.offset } }

    /// Bytes queued so far, heartbeats included.
    public var bytesQueued: Int { state.withLock { $0.bytesQueued } }

    /// Calls `handler` once when the stream is gone (at once if it already is).
    public func onClose(_ handler: @escaping @Sendable (CloseReason) -> Void) {
        let callNow: Bool = state.withLock { s in
            if s.dead { return true }
            s.closeHandlers.append(handler)
            return false
        }
        if callNow { handler(.peer) }
    }

    /// The peer closed its side: end the stream now (reason `.peer`), also while it is
    /// suspended, when libmicrohttpd does not look at the socket.
    func peerWentAway() {
        state.withLock { s in
            guard !s.dead, s.closing == nil else { return }
            s.closing = .peerGone
            mmcu_cut(s.socket)
            Self.resumeIfSuspended(&s)
        }
    }

    private static func resumeIfSuspended(_ s: inout State) {
        if s.suspended, let c = s.connection {
            s.suspended = false
            MHD_resume_connection(c.raw)
        }
    }

    // MARK: - libmicrohttpd side (called on its threads)

    func attach(_ connection: ConnectionHandle) {
        let socket = mmcu_connection_fd(connection.raw)
        state.withLock { s in
            s.connection = connection
            s.socket = socket
        }
    }

    /// Copies pending bytes into `buffer`, or suspends the connection when
    /// there are none. Called by libmicrohttpd's content reader.
    func read(into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        state.withLock { s in
            let available = s.pending.count - s.offset
            let cutShort = s.closing == .overflow || s.closing == .peerGone || s.closing == .reset
            if available > 0, !cutShort, s.closing == nil, s.nextWriteAt > 0,
               s.nextWriteAt > DispatchTime.now().uptimeNanoseconds, let c = s.connection {
                // Pacing's pause between writes: wait, then go on.
                s.suspended = true
                MHD_suspend_connection(c.raw)
                schedule(at: s.nextWriteAt) { $0.resumeAfterPause() }
                return 0
            }
            if available > 0, !cutShort {
                var n = min(available, max)
                if let limit = s.pacing.maxWrite, s.closing == nil {
                    n = min(n, Swift.max(1, limit))
                    if s.pacing.pause > 0 {
                        s.nextWriteAt = DispatchTime.now().uptimeNanoseconds + UInt64(s.pacing.pause * 1e9)
                    }
                }
                s.pending.withUnsafeBufferPointer { src in
                    UnsafeMutableRawPointer(buffer).copyMemory(
                        from: src.baseAddress! + s.offset, byteCount: n)
                }
                s.offset += n
                if s.offset == s.pending.count {
                    s.pending = []
                    s.offset = 0
                }
                return n
            }
            if !s.held.isEmpty, !cutShort, let c = s.connection {
                // Writes held by pacing's delay come before the end, or the next write.
                s.suspended = true
                MHD_suspend_connection(c.raw)
                return 0
            }
            switch s.closing {
            case .clean: return MMCU_CONTENT_END_OF_STREAM
            case .error, .reset, .overflow, .peerGone: return MMCU_CONTENT_END_WITH_ERROR
            case nil:
                guard let c = s.connection else { return MMCU_CONTENT_END_WITH_ERROR }
                s.suspended = true
                MHD_suspend_connection(c.raw)
                return 0
            }
        }
    }

    private func resumeAfterPause() {
        state.withLock { s in
            guard !s.dead else { return }
            Self.resumeIfSuspended(&s)
        }
    }

    /// The response is gone: the connection can no longer be touched.
    func markFreed() {
        let (handlers, reason): ([@Sendable (CloseReason) -> Void], CloseReason) = state.withLock { s in
            guard !s.dead else { return ([], .peer) }
            s.dead = true
            s.connection = nil
            s.socket = -1
            s.suspended = false
            s.pending = []
            s.offset = 0
            s.held = []
            let reason: CloseReason
            switch s.closing {
            case .clean: reason = .clean
            case .error: reason = .error
            case .reset: reason = .reset
            case .overflow, .peerGone, nil: reason = .peer
            }
            let h = s.closeHandlers
            s.closeHandlers = []
            return (h, reason)
        }
        for h in handlers { h(reason) }
    }
}
