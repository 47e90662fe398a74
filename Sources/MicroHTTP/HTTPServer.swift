import CMicroHTTPD
import Foundation
import Logging
import Synchronization

/// Why the server could not start.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A certificate (chain) and its private key, both PEM, for serving HTTPS.
public struct TLSIdentity: Sendable, Equatable {
    public var certificatePEM: String
    public var privateKeyPEM: String

    public init(certificatePEM: String, privateKeyPEM: String) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }
}

/// A small HTTP/1.1 server over GNU libmicrohttpd: a thread pool with epoll,
/// complete requests handed to one handler, server-sent-event streams that
/// suspend while idle, deferred answers, and a stop that never leaves a
/// suspended connection behind.
public final class HTTPServer: Sendable {
    /// Settings fixed at start.
    public struct Configuration: Sendable {
        /// Numeric address to bind, or "localhost"; empty binds every address.
        public var host: String = "127.0.0.1"
        /// 0 asks the system for a free port; `port` reports the one bound.
        public var port: UInt16 = 0
        /// Worker threads, each with its own epoll set.
        public var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
        /// Connections served at once; more are refused by libmicrohttpd.
        public var connectionLimit: Int = 20_000
        /// Bytes libmicrohttpd may use per connection for headers and buffers.
        /// Its default (32 KiB) costs 25 KB of RSS per idle stream; 6144 holds
        /// request headers up to about 2.5 KB (larger ones get 431) at 9 KB per stream.
        public var connectionMemoryLimit: Int = 6144
        /// Seconds an idle keep-alive connection lives; event streams never time out.
        public var idleTimeout: Int = 60
        /// Most query parameters a request may carry; more get 414 (0 = no limit:
        /// libmicrohttpd then leaves some requests with many unanswered).
        public var maxQueryParameters: Int = 64
        /// Largest request body accepted; larger ones get 413.
        public var maxBodySize: Int = 64 * 1024
        /// Default seconds between heartbeat comments on event streams (0 = none).
        public var heartbeatInterval: Double = 10
        /// Text of the heartbeat comment.
        public var heartbeatComment: String = "keepalive"
        /// Seconds between checks for event-stream peers that closed their side. A
        /// stream with nothing to send is suspended and libmicrohttpd does not watch
        /// its socket, so without heartbeats a gone peer would otherwise go unnoticed.
        public var peerCheckInterval: Double = 0.5
        /// Pending listen queue.
        public var listenBacklog: Int = 4096
        /// Serve HTTPS with this certificate and key (PEM) instead of HTTP.
        public var tls: TLSIdentity?

        public init() {}
    }

    /// Where the server is in its life.
    public enum Phase: String, Sendable {
        case initial, running, stopping, stopped
    }

    /// The life of the server, with what each stage holds: only a running server has a
    /// daemon (and the retain that keeps `self` alive for libmicrohttpd's callbacks).
    private enum Life {
        case initial
        case running(daemon: OpaquePointer, retained: Unmanaged<HTTPServer>)
        case stopping
        case stopped

        var phase: Phase {
            switch self {
            case .initial: return .initial
            case .running: return .running
            case .stopping: return .stopping
            case .stopped: return .stopped
            }
        }
    }

    private struct State {
        var life: Life = .initial
        var port: UInt16 = 0
        var streams: [Int: EventStream] = [:]
        /// Each open stream's socket, for the peer checks (removed with the stream, which
        /// happens before libmicrohttpd closes the socket).
        var sockets: [Int: Int32] = [:]
        var deferred: [ObjectIdentifier: DeferredResponse] = [:]
        /// Deferred answers taken and being sent, until their requests complete.
        var sendingDeferred = 0

        /// Whether a stop must still wait: a stream is open, or a deferred answer is still to be
        /// given or still on its way (stopping the daemon then would lose it).
        var busy: Bool { !streams.isEmpty || !deferred.isEmpty || sendingDeferred > 0 }
    }

    public let configuration: Configuration
    let handler: HTTPHandler
    let logger: Logger
    private let state = Locked(State())
    /// Signalled whenever a stream or a deferred answer goes away, and when a stop ends:
    /// what `stop()` waits on.
    private let settled = NSCondition()
    let heartbeats: HeartbeatScheduler
    private let peerTimer = Locked<DispatchSourceTimer?>(nil)

    /// A server that hands every complete request to `handler`.
    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "MicroHTTP"),
                handler: @escaping HTTPHandler) {
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        self.heartbeats = HeartbeatScheduler(comment: configuration.heartbeatComment)
    }

    /// The phase now.
    public var phase: Phase { state.withLock { $0.life.phase } }

    /// The bound port (0 before start).
    public var port: UInt16 { state.withLock { $0.port } }

    /// Event streams open now.
    public var openStreamCount: Int { state.withLock { $0.streams.count } }

    /// Binds and starts serving. Throws if the address is taken or invalid.
    public func start() throws {
        try state.withLock { s in
            switch s.life {
            case .initial: break
            case .running, .stopping: throw HTTPServerError("server already started")
            case .stopped: throw HTTPServerError("server stopped: a stopped server does not start again; make a new one")
            }
            signal(SIGPIPE, SIG_IGN)
            let retained = Unmanaged.passRetained(self)
            let flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue
                | MHD_ALLOW_SUSPEND_RESUME.rawValue
            var host = configuration.host
            if host == "localhost" { host = "127.0.0.1" }
            var error: Int32 = 0
            let key = configuration.tls?.privateKeyPEM ?? ""
            let cert = configuration.tls?.certificatePEM ?? ""
            let tls = configuration.tls != nil
            let daemon: OpaquePointer? = host.withCString { hostPtr in
                key.withCString { keyPtr in
                    cert.withCString { certPtr in
                        var settings = mmcu_daemon_settings(
                            flags: UInt32(flags), port: configuration.port,
                            bind_host: host.isEmpty ? nil : hostPtr,
                            pool_threads: UInt32(max(1, configuration.threads)),
                            connection_limit: UInt32(configuration.connectionLimit),
                            connection_memory_limit: UInt32(configuration.connectionMemoryLimit),
                            connection_timeout: UInt32(max(0, configuration.idleTimeout)),
                            listen_backlog: UInt32(configuration.listenBacklog),
                            max_query_params: UInt32(max(0, configuration.maxQueryParameters)),
                            tls_key_pem: tls ? keyPtr : nil, tls_cert_pem: tls ? certPtr : nil)
                        return mmcu_start_daemon(&settings, mhdAccessHandler, retained.toOpaque(),
                                                 mhdRequestCompleted, retained.toOpaque(), &error)
                    }
                }
            }
            guard let daemon else {
                retained.release()
                let reason = error == EINVAL ? "'\(configuration.host)' is not a numeric IP address"
                    : error == ENOTSUP ? "this libmicrohttpd was built without TLS"
                    : error == EPROTO ? "the TLS certificate or key was refused, or the address is taken"
                    : String(cString: strerror(error))
                throw HTTPServerError("cannot listen on \(configuration.host):\(configuration.port): \(reason)")
            }
            s.port = mmcu_daemon_port(daemon)
            s.life = .running(daemon: daemon, retained: retained)
        }
        startPeerChecks()
        logger.debug("listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
    }

    /// Stops serving: pending deferred answers get 503, every stream is cut,
    /// and the daemon stops once no connection is suspended (10 s at most).
    /// Idempotent: a second call, concurrent or later, returns once the
    /// server is stopped; a server never started just becomes stopped.
    public func stop() {
        enum Claim { case mine(OpaquePointer, Unmanaged<HTTPServer>, [EventStream], [DeferredResponse]), wait, done }
        let claim: Claim = state.withLock { s in
            switch s.life {
            case .initial:
                s.life = .stopped
                return .done
            case .running(let daemon, let retained):
                s.life = .stopping
                return .mine(daemon, retained, Array(s.streams.values), Array(s.deferred.values))
            case .stopping: return .wait
            case .stopped: return .done
            }
        }
        switch claim {
        case .done:
            return
        case .wait:
            waitFor { $0.life.phase == .stopped }
            return
        case .mine(let daemon, let retained, let streams, let deferred):
            for d in deferred {
                d.fulfil(.response(HTTPResponse(status: 503, contentType: "text/plain", text: "server stopping\n")))
            }
            for stream in streams { stream.close(error: true) }
            waitFor(atMost: 10) { !$0.busy }
            MHD_stop_daemon(daemon)
            heartbeats.cancelAll()
            peerTimer.withLock { t in
                t?.cancel()
                t = nil
            }
            state.withLock { s in
                s.streams = [:]
                s.sockets = [:]
                s.deferred = [:]
                s.sendingDeferred = 0
                s.life = .stopped
            }
            signalSettled()
            retained.release()
            logger.debug("stopped")
        }
    }

    /// Blocks until `done` holds for the state (or `atMost` seconds passed), woken by `signalSettled`.
    private func waitFor(atMost seconds: Double = .infinity, _ done: (State) -> Bool) {
        // (No `distantFuture` deadline: Foundation on Linux traps converting it to a timespec.)
        let deadline = seconds.isFinite ? Date().addingTimeInterval(seconds) : nil
        settled.lock()
        defer { settled.unlock() }
        while !state.withLock({ done($0) }) {
            if let deadline {
                if !settled.wait(until: deadline) { return }
            } else {
                settled.wait()
            }
        }
    }

    private func signalSettled() {
        settled.lock()
        settled.broadcast()
        settled.unlock()
    }

    private func startPeerChecks() {
        let interval = configuration.peerCheckInterval
        guard interval > 0 else { return }
        peerTimer.withLock { t in
            let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "MicroHTTP.peers"))
            timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(Int(min(100, interval * 200))))
            timer.setEventHandler { [weak self] in self?.checkPeers() }
            timer.resume()
            t = timer
        }
    }

    /// Ends the streams whose peer closed or reset its side (one `poll` over all of them).
    /// The sockets come from the server's own table, so that no stream's lock is taken
    /// (a broadcast to every stream may be under way).
    func checkPeers() {
        var watched: [EventStream] = []
        var sockets: [Int32] = []
        state.withLock { s in
            watched.reserveCapacity(s.sockets.count)
            sockets.reserveCapacity(s.sockets.count)
            for (id, socket) in s.sockets {
                guard let stream = s.streams[id] else { continue }
                watched.append(stream)
                sockets.append(socket)
            }
        }
        guard !sockets.isEmpty else { return }
        var gone = [UInt8](repeating: 0, count: sockets.count)
        guard mmcu_peers_gone(sockets, Int32(sockets.count), &gone) > 0 else { return }
        // A socket closed and reused since it was read belongs to a stream that is dead by now: a no-op.
        for (i, stream) in watched.enumerated() where gone[i] != 0 { stream.peerWentAway() }
    }

    // MARK: - bookkeeping used by the bridge

    var isAcceptingWork: Bool { state.withLock { $0.life.phase == .running } }

    func register(_ stream: EventStream, socket: Int32 = -1) -> Bool {
        let ok = state.withLock { s -> Bool in
            guard s.life.phase == .running else { return false }
            s.streams[stream.id] = stream
            if socket >= 0 { s.sockets[stream.id] = socket }
            return true
        }
        guard ok else { return false }
        let interval = stream.heartbeatInterval ?? configuration.heartbeatInterval
        heartbeats.add(stream, interval: interval)
        stream.onClose { [weak self] _ in
            guard let self else { return }
            self.heartbeats.remove(stream, interval: interval)
            self.state.withLock { s in
                s.streams.removeValue(forKey: stream.id)
                s.sockets.removeValue(forKey: stream.id)
            }
            self.signalSettled()
        }
        return true
    }

    func register(_ deferred: DeferredResponse) -> Bool {
        state.withLock { s in
            guard s.life.phase == .running else { return false }
            s.deferred[ObjectIdentifier(deferred)] = deferred
            return true
        }
    }

    /// A deferred answer was taken and is being sent: it leaves the table, and counts until
    /// `sentDeferred()` (its request completed).
    func sending(_ deferred: DeferredResponse) {
        state.withLock { s in
            s.deferred.removeValue(forKey: ObjectIdentifier(deferred))
            s.sendingDeferred += 1
        }
    }

    func sentDeferred() {
        state.withLock { $0.sendingDeferred = max(0, $0.sendingDeferred - 1) }
        signalSettled()
    }

    func unregister(_ deferred: DeferredResponse) {
        _ = state.withLock { $0.deferred.removeValue(forKey: ObjectIdentifier(deferred)) }
        signalSettled()
    }
}
