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

    /// Position in the journal, from 1, without gaps.
    public var seq: Int
    public var kind: Kind
    /// Node clock seconds since the node started (moves with a manual clock).
    public var t: Double
    /// Real seconds since the node started.
    public var wall: Double

    // request
    public var method: String?
    public var path: String?
    public var query: [Field]?
    public var headers: [Field]?
    public var body: String?
    public var status: Int?
    public var response: String?
    public var remote: String?
    /// The fault rule that shaped the answer, if any.
    public var fault: String?
    /// Real seconds since the node started when the request arrived, for a
    /// request whose answer a fault delayed (`wall` is when it was handled).
    public var received: Double?

    // shared
    public var alias: String?
    public var participant: String?
    public var stream: Int?

    // event
    public var event: String?
    public var id: String?
    public var data: String?
    /// False when the participant had no open stream, or its stream was stalled or closing.
    public var delivered: Bool?

    // stream_close / action
    public var reason: String?
    public var action: String?
    public var detail: String?
    /// A request whose answer is still being written; readers are not shown
    /// it, nor anything after it, until it is complete.
    var pending = false

    public init(seq: Int = 0, kind: Kind, t: Double = 0, wall: Double = 0) {
        self.seq = seq
        self.kind = kind
        self.t = t
        self.wall = wall
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
        case alias, participant, stream, event, id, data, delivered, reason, action, detail
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
    private(set) var dropped = 0

    init(limit: Int = 0) { self.limit = limit }

    var entries: ArraySlice<JournalEntry> { storage[head...] }

    mutating func append(_ entry: JournalEntry) {
        var e = entry
        e.seq = nextSeq
        nextSeq += 1
        storage.append(e)
        guard limit > 0, storage.count - head > limit else { return }
        head += 1
        dropped += 1
        if head >= limit {  // compact rarely: amortised O(1) per entry
            storage.removeFirst(head)
            head = 0
        }
    }

    /// Changes the entry with `seq`, if it is still kept.
    mutating func update(seq: Int, _ change: (inout JournalEntry) -> Void) {
        guard let first = entries.first?.seq else { return }
        let i = head + seq - first
        if i >= head && i < storage.count { change(&storage[i]) }
    }

    /// Complete entries with seq greater than `seq`, up to the first one still pending.
    func after(_ seq: Int) -> [JournalEntry] {
        guard let first = entries.first?.seq else { return [] }
        let start = head + max(0, seq - first + 1)
        guard start < storage.count else { return [] }
        let end = storage[start...].firstIndex { $0.pending } ?? storage.count
        return Array(storage[start..<end])
    }

    mutating func reset() {
        storage = []
        head = 0
        dropped = 0
    }
}

/// The journal behind its own lock. Entries are appended while the node's
/// state lock is held (so their order is the order of state changes); an
/// answer is filled in, and readers read, under this lock alone, so that
/// encoding answers and reading the journal never hold up the node.
final class JournalStore: @unchecked Sendable {
    private let lock = NSLock()
    private var journal: Journal

    init(limit: Int) { journal = Journal(limit: limit) }

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

    func after(_ seq: Int) -> [JournalEntry] { lock.withLock { journal.after(seq) } }
    var head: Int { lock.withLock { journal.nextSeq - 1 } }
    var dropped: Int { lock.withLock { journal.dropped } }
    func reset() { lock.withLock { journal.reset() } }
}
