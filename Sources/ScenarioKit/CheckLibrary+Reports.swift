import Foundation
import MockNode
import PexipWire

/// Checks on the stream, the roster, chat and what the client reported.
extension CheckLibrary {
    static func reconnected(_ r: RunRecord, within: Double, resync: Bool) -> CheckResult {
        let expected = "a new event stream within \(Number.text(within)) s of the node cutting it, `reconnected` reported"
            + (resync ? ", then a roster equal to the new stream's participant sync" : "")
        let cut = firstCut(r)
        guard let cut else { return verdict(false, expected, "the node never cut the stream", []) }
        guard let open = r.journal.first(where: { $0.kind == .streamOpen && $0.seq > cut.seq }) else {
            let tries = r.requests("events").filter { $0.seq > cut.seq }
            return verdict(false, expected, tries.isEmpty ? "the client never opened a new stream"
                           : "\(tries.count) attempt(s), none opened a stream", [cut] + tries)
        }
        var problems: [String] = []
        let gap = open.wall - cut.wall
        if gap > within { problems.append("the new stream opened \(seconds(gap)) after the cut") }
        let report = r.reports("reconnected").first { $0.entry.seq > cut.seq }
        if report == nil { problems.append("no reconnected report") }
        var evidence = [cut, open] + (report.map { [$0.entry] } ?? [])
        if resync {
            let burst = r.journal.filter { $0.kind == .event && $0.stream == open.stream }
            if let end = burst.first(where: { $0.event == "participant_sync_end" }) {
                let synced = Set(burst.filter { $0.event == "participant_create" && $0.seq < end.seq }
                    .compactMap { r.data($0)?["uuid"]?.stringValue })
                let rosters = r.reports("roster").filter { $0.entry.seq > end.seq }
                let matching = rosters.first { Set(uuids($0.message)) == synced }
                if let matching {
                    evidence.append(matching.entry)
                } else {
                    problems.append(rosters.isEmpty ? "no roster reported after the new sync"
                                    : "rosters after the new sync (\(rosters.map { names($0.message).joined(separator: ", ") })) differ from it (\(synced.count) participant(s))")
                    evidence.append(end)
                }
            } else {
                problems.append("the new stream never got participant_sync_end")
            }
        }
        return verdict(problems.isEmpty, expected,
                       problems.isEmpty ? "reconnected \(seconds(gap)) after the cut" : problems.joined(separator: "; "), evidence)
    }

    /// Where the node first ended the client's stream on purpose: a `drop_stream` (any way) or
    /// `cut_in_event` action, else the first stream it closed by cutting or resetting it.
    static func firstCut(_ r: RunRecord) -> JournalEntry? {
        r.journal.first { $0.kind == .action && ($0.action == "drop_stream" || $0.action == "cut_in_event") }
            ?? r.journal.first { $0.kind == .streamClose && ($0.reason == "error" || $0.reason == "reset") }
    }

    static func uuids(_ roster: JSONValue) -> [String] {
        roster["participants"]?.arrayValue?.compactMap { $0["uuid"]?.stringValue } ?? []
    }

    static func names(_ roster: JSONValue) -> [String] {
        roster["participants"]?.arrayValue?.compactMap { $0["display_name"]?.stringValue } ?? []
    }

    static func roster(_ r: RunRecord, _ wanted: [String]) -> CheckResult {
        let expected = "the last roster reported holds exactly: \(wanted.sorted().joined(separator: ", "))"
        guard let last = r.reports("roster").last else {
            return verdict(false, expected, "no roster reported; the client reported: \(types(r))", [])
        }
        let got = names(last.message)
        return verdict(got.sorted() == wanted.sorted(), expected,
                       "the last roster holds: \(got.sorted().joined(separator: ", "))", [last.entry])
    }

    /// `left`, `disconnected` or `failed` reported (with a field value, if given) and the matching exit status.
    static func ended(_ r: RunRecord, _ type: String, field: String?, value: String?, exitZero: Bool) -> CheckResult {
        let expected = "\(type)" + (field.flatMap { f in value.map { " with \(f) '\($0)'" } } ?? "")
            + " reported, then exit status " + (exitZero ? "0" : "non-zero")
        guard let report = r.reports(type).first else {
            return verdict(false, expected, "no \(type) report; the client reported: \(types(r)); it \(r.exit)", [])
        }
        var problems: [String] = []
        if let field, let value, report.message[field]?.stringValue != value {
            problems.append("reported \(type) with \(field) \(report.message[field]?.jsonText ?? "missing")")
        }
        if case .exited(let code) = r.exit, (code == 0) != exitZero { problems.append("exited with status \(code)") }
        return verdict(problems.isEmpty, expected,
                       problems.isEmpty ? "reported \(report.message.jsonText); it \(r.exit)" : problems.joined(separator: "; "),
                       [report.entry])
    }

    /// The client ended the session by itself: `disconnected` (exit 0) or `failed` (non-zero), any
    /// reason, reported before the runner told it to leave.
    static func endedByItself(_ r: RunRecord) -> CheckResult {
        let expected = "disconnected or failed reported (any reason) before the runner told the client to leave, then the exit status it takes"
        guard let report = r.reports.first(where: { $0.type == "disconnected" || $0.type == "failed" }) else {
            return verdict(false, expected, "neither disconnected nor failed reported; the client reported: \(types(r)); it \(r.exit)", [])
        }
        var problems: [String] = []
        if let leave = r.told.first(where: { $0.type == "leave" }), leave.entry.seq < report.entry.seq {
            problems.append("reported \(report.type) only after it was told to leave (at +\(seconds(r.time(leave.entry))))")
        }
        if case .exited(let code) = r.exit, (code == 0) != (report.type == "disconnected") {
            problems.append("reported \(report.type) and exited with status \(code)")
        }
        return verdict(problems.isEmpty, expected,
                       problems.isEmpty ? "reported \(report.message.jsonText); it \(r.exit)" : problems.joined(separator: "; "),
                       [report.entry] + r.told.filter { $0.type == "leave" }.map(\.entry))
    }

    static func message(_ r: RunRecord, origin: String?, text: String) -> CheckResult {
        let expected = "a message report with text '\(text)'" + (origin.map { " from '\($0)'" } ?? "")
        let messages = r.reports("message")
        let hit = messages.first { $0.message["text"]?.stringValue == text && (origin == nil || $0.message["origin"]?.stringValue == origin) }
        let sent = r.journal.filter { $0.kind == .event && $0.event == "message_received" }
        if let hit { return verdict(true, expected, "reported \(hit.message.jsonText)", sent + [hit.entry]) }
        return verdict(false, expected, messages.isEmpty ? "no message reported (the node sent \(sent.count) message_received)"
                       : "reported: " + messages.map { $0.message.jsonText }.joined(separator: "; "), sent + messages.map(\.entry))
    }

    static func messages(_ r: RunRecord, _ texts: [String]) -> CheckResult {
        let got = r.reports("message")
        let said = got.map { $0.message["text"]?.stringValue ?? "?" }
        return verdict(said == texts, "messages reported in this order: \(texts.joined(separator: " | "))",
                       said.isEmpty ? "no message reported" : "reported: \(said.joined(separator: " | "))", got.map(\.entry))
    }

    static func sentMessage(_ r: RunRecord, text: String) -> CheckResult {
        let expected = "a message request with payload '\(text)' answered 200"
        let sent = r.requests("message")
        let hit = sent.first { $0.status == 200 && r.body($0)?["payload"]?.stringValue == text }
        if let hit { return verdict(true, expected, "message #\(hit.seq) → 200", [hit]) }
        return verdict(false, expected, sent.isEmpty ? "no message request" : "message requests did not match", sent)
    }

    static func requests(_ r: RunRecord, _ pattern: String, status: Int?, min: Int?, max: Int?) -> CheckResult {
        let hits = r.requests(pattern).filter { status == nil || $0.status == status }
        let what = "\(pattern) request(s)" + (status.map { " answered \($0)" } ?? "")
        let expected = bounds(min, max) + " " + what
        let ok = hits.count >= (min ?? 0) && hits.count <= (max ?? Int.max)
        return verdict(ok, expected, "\(hits.count) \(what)", hits)
    }

    static func reported(_ r: RunRecord, _ type: String, fields: [String: JSONValue], min: Int?, max: Int?) -> CheckResult {
        let hits = r.reports(type).filter { note in fields.allSatisfy { note.message[$0.key] == $0.value } }
        let what = "\(type) report(s)" + (fields.isEmpty ? "" : " with " + JSONValue.object(fields).jsonText)
        let ok = hits.count >= (min ?? 0) && hits.count <= (max ?? Int.max)
        return verdict(ok, bounds(min, max) + " " + what, "\(hits.count) \(what); the client reported: \(types(r))", hits.map(\.entry))
    }

    static func bounds(_ min: Int?, _ max: Int?) -> String {
        switch (min, max) {
        case let (l?, h?) where l == h: return "exactly \(l)"
        case let (l?, h?): return "\(l) to \(h)"
        case let (l?, nil): return "at least \(l)"
        case let (nil, h?): return h == 0 ? "no" : "at most \(h)"
        default: return "any number of"
        }
    }
}

/// Checks on how the client paces its event stream reconnects.
extension CheckLibrary {
    static func reconnectPacing(_ r: RunRecord, maxPerSecond: Int) -> CheckResult {
        let expected = "at most \(maxPerSecond) event stream requests within any one second"
        let attempts = r.requests("events").sorted { $0.sentAt < $1.sentAt }
        guard let busiest = densest(attempts, window: { _ in 1 }), busiest.count > maxPerSecond else {
            return verdict(true, expected, "at most \(densest(attempts, window: { _ in 1 })?.count ?? 0) in one second (\(attempts.count) in all)", [])
        }
        let inWindow = attempts.filter { $0.sentAt >= busiest.first.sentAt && $0.sentAt < busiest.first.sentAt + 1 }
        return verdict(false, expected, "hot reconnect loop: \(busiest.count) event stream requests within one second from "
                       + "\(seconds(r.time(busiest.first))) (\(attempts.count) in all)", Array(inWindow.prefix(12)))
    }

    static func reconnectBackoff(_ r: RunRecord) -> CheckResult {
        let expected = "after the node cut the stream, each delay between reconnect attempts at least half the first, the last a quarter longer than the first"
        let cut = firstCut(r)
        guard let cut else { return verdict(false, expected, "the node never cut the stream", []) }
        // Attempts after the cut, up to and including the first that opened a stream.
        var attempts: [JournalEntry] = []
        for e in r.requests("events").sorted(by: { $0.sentAt < $1.sentAt }) where e.sentAt > cut.wall {
            attempts.append(e)
            if e.status == 200 { break }
        }
        var times = [cut.wall] + attempts.map(\.sentAt)
        times = Array(times.prefix(12))
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        let shown = gaps.map { String(format: "%.2f", $0) }.joined(separator: ", ")
        guard gaps.count >= 3, let first = gaps.first, let last = gaps.last else {
            return verdict(true, expected, "\(attempts.count) attempt(s) after the cut: too few to judge the delays", [cut] + attempts)
        }
        // "Longer" with a margin: a fixed delay plus the machine's scheduling noise must not
        // pass for a growing one (under ThreadSanitizer, a fixed 0.5 s once did).
        let ok = last >= first * 1.25 + 0.05 && gaps.allSatisfy { $0 >= first / 2 }
        return verdict(ok, expected, "delays (s) after the cut: \(shown)" + (ok ? "" : ": they do not grow"), [cut] + attempts)
    }
}
