import Foundation
import Logging
import MicroHTTP
import PexipWire
import Synchronization

/// A fake Pexip Infinity worker node serving the client REST API over real
/// HTTP, with a control surface (Swift and HTTP under `/_mock/`) to script
/// it and a journal of everything it saw and sent.
///
/// ```swift
/// let node = try MockNode(conferences: [ConferenceConfig(alias: "meet")])
/// try node.start()            // 127.0.0.1, ephemeral port
/// defer { node.stop() }
/// // point a client at node.baseURL, then read node.journal()
/// ```
public final class MockNode: Sendable {
    /// Settings fixed when the node is made.
    public struct Configuration: Sendable {
        /// Conferences served from the start (and after `reset()`).
        public var conferences: [ConferenceConfig] = []
        /// Address and port (0 = ephemeral) and server limits.
        public var http = HTTPServer.Configuration()
        /// The clock behind token lifetimes; a `ManualClock` lets tests advance time.
        public var clock: NodeClock = SystemClock()
        /// Journal entries kept at most (0 = every one).
        public var journalLimit = 0
        /// Bytes the journal keeps at most, roughly (0 = no bound); past it the oldest
        /// entries go. Each entry's body, answer and event data is cut at
        /// `JournalEntry.fieldLimit` bytes (and marked in its `cut`) whatever this is.
        public var journalByteLimit = 256 << 20
        /// Answer CORS preflights and add CORS headers for browser clients.
        public var cors = true
        /// Act as if a reverse proxy with HTTP Basic authentication stood in
        /// front of the client API: requests without these credentials get
        /// 401 (or 407, see `ProxyAuth.status`). The control API is not guarded.
        public var proxyAuth: ProxyAuth?
        /// Where the node logs (each request at info). Defaults to warnings
        /// only, so that tests embedding a node stay quiet.
        public var logger: Logger = {
            var l = Logger(label: "MockNode")
            l.logLevel = .warning
            return l
        }()

        public init(conferences: [ConferenceConfig] = []) { self.conferences = conferences }
    }

    public let configuration: Configuration
    let state: StateLock<NodeState>
    /// Where the node is in its life; only a running node has a server. Start and stop
    /// run one at a time (`lifecycle`), so a stop racing another returns once the node is stopped.
    public enum Phase: String, Sendable { case initial, running, stopped }
    private enum Life {
        case initial
        case running(HTTPServer)
        case stopped
    }
    private let life = Locked<Life>(.initial)
    private let lifecycle = NSLock()
    let journalSignal = JournalSignal()
    /// Effects decided under the state lock (stream writes, expiry timers), carried out after it.
    let outbox: Outbox
    let journal: JournalStore

    /// Makes a node; throws if a conference is invalid or an alias repeats.
    public init(_ configuration: Configuration) throws {
        try MockNode.validate(configuration.conferences)
        self.configuration = configuration
        outbox = Outbox(clock: configuration.clock)
        var initial = NodeState(clock: configuration.clock, journalLimit: configuration.journalLimit,
                                journalByteLimit: configuration.journalByteLimit)
        journal = initial.journal
        initial.scheme = configuration.http.tls == nil ? "http" : "https"
        MockNode.install(configuration.conferences, into: &initial)
        state = StateLock(initial)
        outbox.onExpiry { [weak self] uuid, issuedAt in self?.expiryDue(uuid, issuedAt: issuedAt) }
    }

    /// Makes a node serving `conferences` on 127.0.0.1 and an ephemeral port.
    public convenience init(conferences: [ConferenceConfig], clock: NodeClock = SystemClock()) throws {
        var c = Configuration(conferences: conferences)
        c.clock = clock
        try self.init(c)
    }

    // MARK: - lifecycle

    /// Starts serving. Throws if the address cannot be bound (the node stays
    /// unstarted and may be started again), if it is running, or if it was stopped.
    public func start() throws {
        lifecycle.lock()
        defer { lifecycle.unlock() }
        switch life.withLock({ $0 }) {
        case .initial: break
        case .running: throw MockNodeError.lifecycle("the node is already running (on port \(port))")
        case .stopped: throw MockNodeError.lifecycle("the node was stopped: a stopped node does not start again; make a new one")
        }
        let http = HTTPServer(configuration: configuration.http, logger: configuration.logger) { [self] request in
            handle(request)
        }
        try http.start()
        life.withLock { $0 = .running(http) }
        configuration.logger.debug("node running", metadata: ["port": "\(http.port)"])
    }

    /// Stops serving: streams are cut, pending answers get 503, token timers are
    /// cancelled. Idempotent; a node never started just becomes stopped.
    public func stop() {
        lifecycle.lock()
        defer { lifecycle.unlock() }
        let previous = life.withLock { l -> Life in
            defer { l = .stopped }
            return l
        }
        guard case .running(let http) = previous else { return }
        http.stop()
        outbox.cancelAll()
        configuration.logger.debug("node stopped")
    }

    /// The phase now.
    public var phase: Phase {
        switch life.withLock({ $0 }) {
        case .initial: return .initial
        case .running: return .running
        case .stopped: return .stopped
        }
    }

    private var http: HTTPServer? {
        if case .running(let h) = life.withLock({ $0 }) { return h }
        return nil
    }

    /// The bound port (0 when not running).
    public var port: UInt16 { http?.port ?? 0 }

    /// `http://<host>:<port>`, the node address a client is given.
    public var baseURL: String {
        var host = configuration.http.host
        if host.isEmpty || host == "0.0.0.0" { host = "127.0.0.1" }
        if host.contains(":") { host = "[\(host)]" }
        return "\(configuration.http.tls == nil ? "http" : "https")://\(host):\(port)"
    }

    /// Event streams open now.
    public var openStreamCount: Int { http?.openStreamCount ?? 0 }

    // MARK: - state access

    /// Runs `body` under the state lock, then carries out the stream effects it decided
    /// (in the order decided) and wakes journal waiters.
    @discardableResult @inline(__always)
    func mutate<T>(_ body: (inout NodeState) throws -> T) rethrows -> T {
        // Only a change that decided effects drains (a drain also carries out what other
        // threads queued before it, in order); most requests decide none.
        var decided = false
        defer {
            if decided { outbox.drain() }
            journalSignal.bump()
        }
        return try state.withLock { s -> T in
            defer {
                if !s.effects.isEmpty {
                    decided = true
                    var taken: [NodeEffect] = []
                    swap(&taken, &s.effects)
                    outbox.enqueue(taken)
                }
            }
            return try body(&s)
        }
    }

    static func validate(_ conferences: [ConferenceConfig]) throws {
        var seen = Set<String>()
        for c in conferences {
            if let problem = c.problems().first {
                throw MockNodeError.invalidConference(alias: c.alias, problem.message)
            }
            guard seen.insert(c.alias.lowercased()).inserted else {
                throw MockNodeError.invalidConference(alias: c.alias, "alias defined twice")
            }
        }
    }

    static func install(_ conferences: [ConferenceConfig], into s: inout NodeState) {
        for c in conferences { s.define(c) }
    }

    private func expiryDue(_ uuid: String, issuedAt: Double) {
        mutate { s in
            guard let p = s.participants[uuid], p.tokenIssuedAt == issuedAt, let conf = s.conference(of: p) else {
                return
            }
            s.eject(uuid, reason: conf.config.expiryReason, cause: "token_expired")
        }
    }

    /// Journals the end of an event stream the node opened, and forgets it (called by the
    /// stream, on a libmicrohttpd thread, never under the state lock).
    func watch(_ result: HTTPResult, participant: String?) {
        guard case .stream(let stream, _) = result, let uuid = participant else { return }
        stream.onClose { [weak self] reason in
            self?.mutate { $0.streamClosed(participant: uuid, stream: stream, reason: reason) }
        }
    }

    // MARK: - journal

    /// Journal entries with seq > `after`, oldest first: at most `limit` of them and,
    /// past the first, about `byteLimit` bytes (for reading a large journal in pages).
    public func journal(after seq: Int = 0, limit: Int = .max, byteLimit: Int = .max) -> [JournalEntry] {
        journal.after(seq, limit: limit, byteLimit: byteLimit)
    }

    /// Entries the journal dropped because of `journalLimit` or `journalByteLimit`.
    public var journalDropped: Int { journal.dropped }

    /// Bytes the kept entries cost, roughly.
    public var journalBytes: Int { journal.bytes }

    /// Waits until an entry after `after` satisfies `predicate`, or `timeout` seconds pass.
    public func waitForJournal(after seq: Int = 0, timeout: Double = 10,
                               where predicate: (JournalEntry) -> Bool) -> JournalEntry? {
        // At most a day: a larger (or non-finite) timeout would overflow the condition's wait.
        let deadline = Date().addingTimeInterval(timeout.isNaN ? 0 : min(max(0, timeout), 86_400))
        var scanned = seq
        journalSignal.enter()
        defer { journalSignal.leave() }
        while true {
            let generation = journalSignal.generation
            let fresh = journal(after: scanned)
            if let hit = fresh.first(where: predicate) { return hit }
            scanned = fresh.last?.seq ?? scanned
            guard journalSignal.wait(past: generation, until: deadline) else {
                return journal(after: scanned).first(where: predicate)
            }
        }
    }

    /// Tokens the node still remembers (for tests of its bookkeeping).
    var tokenTableSize: Int { state.withLock { $0.tokens.count } }

    /// The seq of the newest journal entry (0 if none).
    public var journalHead: Int { journal.head }
}

/// HTTP Basic credentials a simulated reverse proxy demands.
public struct ProxyAuth: Sendable, Equatable {
    public var username: String
    public var password: String
    /// 401 (a reverse proxy: `WWW-Authenticate`) or 407 (a forward proxy: `Proxy-Authenticate`).
    public var status: Int

    public init(username: String, password: String, status: Int = 401) {
        self.username = username
        self.password = password
        self.status = status
    }

    /// Whether a request's headers carry these credentials.
    func admits(_ headers: HTTPHeaders) -> Bool {
        let field = status == 407 ? "Proxy-Authorization" : "Authorization"
        guard let value = headers[field], value.lowercased().hasPrefix("basic "),
              let data = Data(base64Encoded: String(value.dropFirst(6)).trimmingCharacters(in: .whitespaces)) else {
            return false
        }
        return String(decoding: data, as: UTF8.self) == "\(username):\(password)"
    }

    /// The refusal, as a proxy sends it (not JSON: the node never saw the request).
    var refusal: HTTPResponse {
        var headers = HTTPHeaders()
        headers.set(status == 407 ? "Proxy-Authenticate" : "WWW-Authenticate", "Basic realm=\"MockMCU\"")
        return HTTPResponse(status: status, contentType: "text/html", text: "<html><body><h1>\(status) Authorization Required</h1></body></html>\n", headers: headers)
    }
}

/// Wakes threads waiting for new journal entries. Costs nothing while no
/// one waits: a waiter registers before it scans, so a change it could miss
/// always sees it registered.
final class JournalSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var _generation = 0
    private let waiters = Atomic<Int>(0)

    var generation: Int { condition.withLock { _generation } }

    func bump() {
        guard waiters.load(ordering: .sequentiallyConsistent) > 0 else { return }
        condition.withLock {
            _generation += 1
            condition.broadcast()
        }
    }

    /// Brackets a wait: `enter` before the first scan, `leave` after the last.
    func enter() { waiters.add(1, ordering: .sequentiallyConsistent) }
    func leave() { waiters.subtract(1, ordering: .sequentiallyConsistent) }

    /// Waits until the generation moves past `generation`; false on timeout.
    func wait(past generation: Int, until deadline: Date) -> Bool {
        condition.withLock {
            while _generation == generation {
                if !condition.wait(until: deadline) { return _generation != generation }
            }
            return true
        }
    }
}
