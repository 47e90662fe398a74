import Foundation
import MockNode
import PexipWire

/// The verdict of one check: on failure, what was expected, what happened,
/// and the journal entries (by seq) that show it.
public struct CheckResult: Sendable, Equatable, Codable {
    /// The check as written, e.g. `released(within: 1)`.
    public var name: String
    /// Its line in the scenario file (0 for the checks every scenario has).
    public var line: Int
    /// How much its failure counts.
    public var level: CheckLevel
    public var passed: Bool
    public var expected: String
    /// What happened (also filled in when the check passed).
    public var actual: String
    /// Journal seqs of the entries that show it.
    public var evidence: [Int]

    public init(name: String, line: Int = 0, level: CheckLevel = .must, passed: Bool, expected: String, actual: String,
                evidence: [Int] = []) {
        self.name = name
        self.line = line
        self.level = level
        self.passed = passed
        self.expected = expected
        self.actual = actual
        self.evidence = evidence
    }

    /// Failed, at a level that counts (must or should).
    public var counts: Bool { !passed && level != .info }
}

/// A scenario's verdict from its checks' results.
public enum Verdict: String, Sendable, Codable {
    case pass, warn, fail

    public init(_ results: [CheckResult]) {
        if results.contains(where: { !$0.passed && $0.level == .must }) {
            self = .fail
        } else if results.contains(where: { !$0.passed && $0.level == .should }) {
            self = .warn
        } else {
            self = .pass
        }
    }
}

extension RunRecord {
    /// One line for an entry: `#12 +1.024s POST refresh_token → 200`.
    public func line(_ e: JournalEntry) -> String {
        let t = String(format: "%+.3fs", time(e))
        var s = "#\(e.seq) \(t) "
        switch e.kind {
        case .request:
            s += "\(e.method ?? "?") \(e.request ?? e.path ?? "?")"
            var extras: [String] = []
            if let pin = e.header("pin") { extras.append("pin: \(pin)") }
            if let token = e.token { extras.append("token \(Self.short(token))") }
            if let body = e.body, !body.isEmpty { extras.append("body \(Self.clip(body, 120))") }
            if !extras.isEmpty { s += " [" + extras.joined(separator: ", ") + "]" }
            s += " → \(e.status.map(String.init) ?? "no answer")"
            if let r = e.response, e.status != 200 || e.request == "request_token" { s += " \(Self.clip(r, 160))" }
            if let f = e.fault { s += " (fault: \(f))" }
        case .event:
            s += "event \(e.event ?? "?") \(Self.clip(e.data ?? "", 120))"
            if let n = e.stream { s += " on stream \(n)" }
            if e.delivered == false { s += " (not delivered)" }
        case .streamOpen:
            s += "stream \(e.stream ?? 0) opened"
        case .streamClose:
            s += "stream \(e.stream ?? 0) closed (\(e.reason ?? "?"))"
        case .action:
            s += "node: \(e.action ?? "?")" + (e.detail.map { " (\($0))" } ?? "")
        case .note:
            let who = e.action == RunRecord.clientLabel ? "client reported" : e.action == RunRecord.runnerLabel ? "runner sent" : e.action ?? "note"
            s += "\(who) \(Self.clip(e.data ?? "", 200))"
        }
        return s
    }

    /// The whole journal, one line per entry (the `--trace` view).
    public var trace: [String] { journal.map(line) }

    static func short(_ token: String) -> String { token.count > 12 ? String(token.prefix(8)) + "…" : token }

    static func clip(_ s: String, _ n: Int) -> String {
        let flat = s.replacingOccurrences(of: "\n", with: "\\n")
        return flat.count > n ? String(flat.prefix(n)) + "…" : flat
    }
}
