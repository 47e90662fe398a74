import Foundation
import PexipWire

/// One thing the node saw or did, in the order it happened. Serialised with
/// snake_case keys; fields that do not apply to a kind are left out.
public struct JournalEntry: Codable, Sendable, Equatable {
    /// What kind of entry this is.
    public enum Kind: String, Codable, Sendable {
        /// A client API request and the node's answer.
        case request
        /// An event written (or not, see `delivered`) to a participant's stream.
        case event
        /// An event stream opened.
        case streamOpen = "stream_open"
        /// An event stream ended (`reason`: clean, error, peer).
        case streamClose = "stream_close"
        /// Something the node did on its own or was told to do (eject, expire, fault, ...).
        case action
        /// A remark from whoever drives the node (`action` = label, `data` = JSON text):
        /// the conformance runner records what the client reported and what it was told,
        /// so that one ordered record holds the wire and the driver protocol.
        case note
    }

    /// A header field or query argument, serialised as `[name, value]`.
    public struct Field: Codable, Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }

        public init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            name = try c.decode(String.self)
            value = try c.decode(String.self)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(name)
            try c.encode(value)
        }
    }

    /// What an entry records: one case per kind, each with the fields of its kind.
    public enum Payload: Sendable, Equatable {
        case request(Request)
        case event(Event)
        case streamOpen(StreamOpen)
        case streamClose(StreamClose)
        case action(Action)
        case note(Note)
    }

    /// Position in the journal, from 1, without gaps.
    public var seq: Int
    /// Node clock seconds since the node started (moves with a manual clock).
    public var t: Double
    /// Real seconds since the node started.
    public var wall: Double
    /// What happened. The flat fields (`status`, `event`, …) read and write it.
    public var payload: Payload
    /// Fields kept only in part because they were longer than `JournalEntry.fieldLimit`
    /// bytes, each with its full length in bytes (e.g. `{"body": 61440}`).
    public var cut: [String: Int]?
    /// A request whose answer is still being written; readers are not shown
    /// it, nor anything after it, until it is complete.
    var pending = false
    /// Bytes this entry costs the journal, roughly (its text plus bookkeeping).
    var footprint = 0

    public var kind: Kind {
        switch payload {
        case .request: return .request
        case .event: return .event
        case .streamOpen: return .streamOpen
        case .streamClose: return .streamClose
        case .action: return .action
        case .note: return .note
        }
    }

    /// Longest request body, answer or event data kept whole, in bytes; longer ones are
    /// cut to this and named in `cut`. (The client's own reports, notes, are kept whole.)
    public static let fieldLimit = 16 * 1024

    /// Cuts overlong fields (at a character boundary) and works out the footprint. Runs
    /// for every entry under the journal's lock: no arrays, no key paths.
    mutating func bound() {
        switch payload {
        case .request(var r):
            let body = r.body.map { $0.utf8.count > Self.fieldLimit } ?? false
            let response = r.response.map { $0.utf8.count > Self.fieldLimit } ?? false
            if body { r.body = cutting(r.body!, "body") }
            if response { r.response = cutting(r.response!, "response") }
            if body || response { payload = .request(r) }
        case .event(var e):
            if let text = e.data, text.utf8.count > Self.fieldLimit {
                e.data = cutting(text, "data")
                payload = .event(e)
            }
        default:
            break
        }
        footprint = 160 + payloadBytes
    }

    /// `text` cut to `fieldLimit` bytes at a character boundary, noted in `cut`.
    private mutating func cutting(_ text: String, _ field: String) -> String {
        let bytes = Array(text.utf8)
        var end = Self.fieldLimit
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }  // not inside a character
        var noted = cut ?? [:]
        noted[field] = bytes.count
        cut = noted
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    public init(seq: Int = 0, t: Double = 0, wall: Double = 0, _ payload: Payload) {
        self.seq = seq
        self.t = t
        self.wall = wall
        self.payload = payload
    }

    /// An entry of `kind` with no fields yet.
    public init(seq: Int = 0, kind: Kind, t: Double = 0, wall: Double = 0) {
        let payload: Payload
        switch kind {
        case .request: payload = .request(Request())
        case .event: payload = .event(Event())
        case .streamOpen: payload = .streamOpen(StreamOpen())
        case .streamClose: payload = .streamClose(StreamClose())
        case .action: payload = .action(Action())
        case .note: payload = .note(Note())
        }
        self.init(seq: seq, t: t, wall: wall, payload)
    }

    /// A field set on an entry whose kind does not have it: a programming error.
    func misplaced(_ field: String) {
        assertionFailure("a \(kind.rawValue) journal entry has no field '\(field)'")
    }

    /// The value of request header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers?.first { $0.name.lowercased() == wanted }?.value
    }

    /// The value of query argument `name`.
    public func queryValue(_ name: String) -> String? {
        query?.first { $0.name == name }?.value
    }

    /// The token the request carried, from the `token` header or `?token=`.
    public var token: String? { header("token") ?? queryValue("token") }

    /// When the client sent the request: its arrival for a delayed one, else `wall`.
    public var sentAt: Double { received ?? wall }

    /// The request name under the conference (`request_token`, `participants/x/mute`).
    public var request: String? { path.flatMap { APIPath.parse($0)?.request } }

    enum CodingKeys: String, CodingKey {
        case seq, kind, t, wall, method, path, query, headers, body, status, response, remote, fault, received
        case alias, participant, stream, event, id, data, delivered, reason, action, detail, cut
    }
}

/// The ordered record of everything the node saw and sent. Not thread-safe
/// on its own: the node guards it with its state lock, so that entries are
/// in exactly the order state changed.
struct Journal {
    /// Kept entries are `storage[head...]`; older ones are dropped in bulk.
    private var storage: [JournalEntry] = []
    private var head = 0
    private(set) var nextSeq = 1
    /// Entries kept at most (0 = all); the oldest go first.
    var limit: Int
    /// Bytes kept at most, roughly (0 = no bound); the oldest entries go first.
    var byteLimit: Int
    private(set) var dropped = 0
    /// The kept entries' footprints, summed.
    private(set) var bytes = 0

    init(limit: Int = 0, byteLimit: Int = 0) {
        self.limit = limit
        self.byteLimit = byteLimit
    }

    var entries: ArraySlice<JournalEntry> { storage[head...] }

    mutating func append(_ entry: JournalEntry) {
        var e = entry
        e.seq = nextSeq
        e.bound()
        nextSeq += 1
        bytes += e.footprint
        storage.append(e)
        trim()
    }

    /// Drops the oldest entries past either limit (never the newest one).
    private mutating func trim() {
        func over() -> Bool { (limit > 0 && storage.count - head > limit) || (byteLimit > 0 && bytes > byteLimit) }
        guard over() else { return }
        while storage.count - head > 1 && over() {
            bytes -= storage[head].footprint
            head += 1
            dropped += 1
        }
        if head >= storage.count / 2 {  // compact rarely: amortised O(1) per entry
            storage.removeFirst(head)
            head = 0
        }
    }

    /// Changes the entry with `seq`, if it is still kept.
    mutating func update(seq: Int, _ change: (inout JournalEntry) -> Void) {
        guard let first = entries.first?.seq else { return }
        let i = head + seq - first
        guard i >= head && i < storage.count else { return }
        bytes -= storage[i].footprint
        change(&storage[i])
        storage[i].bound()
        bytes += storage[i].footprint
        trim()
    }

    /// Complete entries with seq greater than `seq`, up to the first one still pending;
    /// at most `limit` entries and, past the first, `byteLimit` bytes of footprint.
    func after(_ seq: Int, limit: Int = .max, byteLimit: Int = .max) -> [JournalEntry] {
        guard let first = entries.first?.seq else { return [] }
        let start = head + max(0, seq - first + 1)
        guard start < storage.count else { return [] }
        var end = start
        var size = 0
        while end < storage.count && !storage[end].pending && end - start < limit {
            size += storage[end].footprint
            if end > start && size > byteLimit { break }
            end += 1
        }
        return Array(storage[start..<end])
    }

    mutating func reset() {
        storage = []
        head = 0
        dropped = 0
        bytes = 0
    }
}

/// The journal behind its own lock. Entries are appended while the node's
/// state lock is held (so their order is the order of state changes); an
/// answer is filled in, and readers read, under this lock alone, so that
/// encoding answers and reading the journal never hold up the node.
final class JournalStore: @unchecked Sendable {
    private let lock = NSLock()
    private var journal: Journal

    init(limit: Int, byteLimit: Int = 0) { journal = Journal(limit: limit, byteLimit: byteLimit) }

    /// Appends and returns the entry's seq.
    func append(_ entry: JournalEntry) -> Int {
        lock.withLock {
            journal.append(entry)
            return journal.nextSeq - 1
        }
    }

    func update(seq: Int, _ change: (inout JournalEntry) -> Void) {
        lock.withLock { journal.update(seq: seq, change) }
    }

    func after(_ seq: Int, limit: Int = .max, byteLimit: Int = .max) -> [JournalEntry] {
        lock.withLock { journal.after(seq, limit: limit, byteLimit: byteLimit) }
    }
    var bytes: Int { lock.withLock { journal.bytes } }
    var head: Int { lock.withLock { journal.nextSeq - 1 } }
    var dropped: Int { lock.withLock { journal.dropped } }
    func reset() { lock.withLock { journal.reset() } }
}
