import Foundation
import MockNode
import PexipWire

/// How the client process ended.
public enum ClientExit: Sendable, Equatable, Codable, CustomStringConvertible {
    /// It exited by itself with this status.
    case exited(Int32)
    /// It needed SIGTERM after the grace period.
    case terminated
    /// It needed SIGKILL.
    case killed

    public var description: String {
        switch self {
        case .exited(let code): return "exited with status \(code)"
        case .terminated: return "had to be stopped with SIGTERM"
        case .killed: return "had to be killed with SIGKILL"
        }
    }
}

/// What became of one timeline step.
public struct StepOutcome: Sendable, Equatable, Codable {
    public var label: String
    public var line: Int
    public var optional: Bool
    /// Seconds after the start when its actions ran (nil: never).
    public var firedAt: Double?
    /// Actions that could not be done, with why.
    public var errors: [String]

    public init(label: String, line: Int, optional: Bool, firedAt: Double? = nil, errors: [String] = []) {
        self.label = label
        self.line = line
        self.optional = optional
        self.firedAt = firedAt
        self.errors = errors
    }
}

/// Everything one run left behind, as the checks see it: the node's journal
/// (which also holds, as `note` entries, every message the client reported,
/// label `client`, and every message the runner sent it, label `runner`),
/// how the client ended, its lines that were not JSON, and the timeline.
public struct RunRecord: Sendable {
    public var journal: [JournalEntry]
    public var exit: ClientExit
    public var protocolErrors: [String]
    public var timeline: [StepOutcome]

    public init(journal: [JournalEntry], exit: ClientExit, protocolErrors: [String] = [], timeline: [StepOutcome] = []) {
        self.journal = journal
        self.exit = exit
        self.protocolErrors = protocolErrors
        self.timeline = timeline
        origin = journal.first { $0.kind == .note && $0.action == RunRecord.runnerLabel }?.wall ?? journal.first?.wall ?? 0
        var reports: [Note] = [], told: [Note] = []
        var requests: [JournalEntry] = []
        var issued: [Issue] = []
        var parsed: [Int: Parsed] = [:]
        for e in journal {
            let p = Parsed(e)
            if p.body != nil || p.response != nil || p.data != nil { parsed[e.seq] = p }
            switch e.kind {
            case .note:
                guard let m = p.data, let type = m["type"]?.stringValue else { continue }
                if e.action == RunRecord.clientLabel { reports.append(Note(entry: e, type: type, message: m)) }
                if e.action == RunRecord.runnerLabel { told.append(Note(entry: e, type: type, message: m)) }
            case .request:
                // A CORS preflight is the browser's, not the client's: it is not the request it precedes.
                if e.method == "OPTIONS" { continue }
                requests.append(e)
                if e.status == 200, e.request == "request_token" || e.request == "refresh_token",
                   let result = p.response?["result"],
                   let token = result["token"]?.stringValue {
                    let expires = Double(result["expires"]?.stringValue ?? "") ?? result["expires"]?.numberValue ?? 120
                    issued.append(Issue(entry: e, token: token, expires: expires,
                                        participant: result["participant_uuid"]?.stringValue ?? e.participant))
                }
            default:
                continue
            }
        }
        self.reports = reports
        self.told = told
        self.requests = requests
        self.issued = issued
        self.parsed = parsed
    }

    /// An entry's JSON texts, parsed once when the record is made.
    struct Parsed: Sendable {
        let body: JSONValue?
        let response: JSONValue?
        let data: JSONValue?

        init(_ e: JournalEntry) {
            body = e.body.flatMap(JSONValue.parse)
            response = e.response.flatMap(JSONValue.parse)
            data = e.data.flatMap(JSONValue.parse)
        }
    }

    private let parsed: [Int: Parsed]

    /// A request's body as JSON (nil when absent or not JSON).
    public func body(_ e: JournalEntry) -> JSONValue? { parsed[e.seq]?.body }
    /// The node's answer to a request, as JSON.
    public func response(_ e: JournalEntry) -> JSONValue? { parsed[e.seq]?.response }
    /// The `result` of the node's answer (the envelope's payload).
    public func result(_ e: JournalEntry) -> JSONValue? { parsed[e.seq]?.response?["result"] }
    /// An event's or a note's data, as JSON.
    public func data(_ e: JournalEntry) -> JSONValue? { parsed[e.seq]?.data }

    /// The note label of client reports.
    public static let clientLabel = "client"
    /// The note label of messages the runner sent.
    public static let runnerLabel = "runner"

    /// A driver-protocol message as noted in the journal.
    public struct Note: Sendable {
        public let entry: JournalEntry
        public let type: String
        public let message: JSONValue
    }

    /// A token the node issued (request_token or refresh_token answered 200).
    public struct Issue: Sendable {
        public let entry: JournalEntry
        public let token: String
        public let expires: Double
        public let participant: String?
    }

    /// Wall time of the runner's first message (`start`): times in reports are relative to it.
    public let origin: Double
    /// What the client reported, in order.
    public let reports: [Note]
    /// What the runner told the client, in order.
    public let told: [Note]
    /// Client API requests, in order.
    public let requests: [JournalEntry]
    /// Tokens issued, in order.
    public let issued: [Issue]

    /// Seconds after the start.
    public func time(_ e: JournalEntry) -> Double { e.wall - origin }

    /// The reports of one type.
    public func reports(_ type: String) -> [Note] { reports.filter { $0.type == type } }

    /// Requests whose name matches `pattern` (`release_token`, `participants/*/mute`).
    public func requests(_ pattern: String) -> [JournalEntry] {
        requests.filter { RunRecord.globMatch(pattern, $0.request ?? $0.path ?? "") }
    }

    /// The newest token issued before the entry with `seq`.
    public func newestIssue(before seq: Int) -> Issue? { issued.last { $0.entry.seq < seq } }

    /// The newest token issued before `time` (wall seconds): what the client could hold then.
    public func newestIssue(sentBefore time: Double) -> Issue? { issued.last { $0.entry.wall < time } }

    /// The issue of `token`, if the node issued it.
    public func issue(of token: String?) -> Issue? { issued.first { $0.token == token } }

    /// The node's expiries of a token (`token_expired` actions).
    public var expiries: [JournalEntry] { journal.filter { $0.kind == .action && $0.action == "token_expired" } }

    /// Where the client's presence ended: leave told, a release, the node ending it, or a terminal report.
    public var presenceEnd: JournalEntry? {
        journal.first { e in
            switch e.kind {
            case .note:
                let type = data(e)?["type"]?.stringValue ?? ""
                return (e.action == RunRecord.runnerLabel && type == "leave")
                    || (e.action == RunRecord.clientLabel && ["disconnected", "failed", "left"].contains(type))
            case .request: return e.request == "release_token"
            case .action: return ["token_expired", "eject", "participant_disconnect", "conference_ended"].contains(e.action ?? "")
            default: return false
            }
        }
    }

    /// Whether the node answered the request 404 "Unknown request" (a request it does not simulate).
    public func isNotSimulated(_ e: JournalEntry) -> Bool {
        e.status == 404 && result(e)?.stringValue == WireMessage.unknownRequest
    }

    /// Requests the node does not simulate, by method and request name, in order of first appearance.
    public var notSimulated: [(method: String, request: String, count: Int)] {
        var order: [String] = [], counts: [String: (String, String, Int)] = [:]
        for e in requests where isNotSimulated(e) {
            let method = e.method ?? "?", name = e.request ?? e.path ?? "?"
            let key = method + " " + name
            if counts[key] == nil { order.append(key) }
            counts[key, default: (method, name, 0)].2 += 1
        }
        return order.compactMap { counts[$0] }.map { (method: $0.0, request: $0.1, count: $0.2) }
    }

    /// The report that ended the client's part: `left`, `disconnected` or `failed`.
    public var terminalReport: Note? { reports.first { ["left", "disconnected", "failed"].contains($0.type) } }

    /// Whether `text` matches the glob `pattern` (`*`, `?`) as a whole.
    public static func globMatch(_ pattern: String, _ text: String) -> Bool {
        if !pattern.contains("*") && !pattern.contains("?") { return pattern == text }
        let regex = "^" + NSRegularExpression.escapedPattern(for: pattern)
            .replacingOccurrences(of: "\\*", with: ".*").replacingOccurrences(of: "\\?", with: ".") + "$"
        return text.range(of: regex, options: .regularExpression) != nil
    }
}
