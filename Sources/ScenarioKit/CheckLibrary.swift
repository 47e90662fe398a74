import Foundation
import MockNode
import PexipWire

/// The checks' judgments over a run's record. Each returns a result whose
/// `actual` says what happened and whose `evidence` points into the journal.
enum CheckLibrary {
    static func verdict(_ ok: Bool, _ expected: String, _ actual: String, _ evidence: [JournalEntry]) -> CheckResult {
        CheckResult(name: "", passed: ok, expected: expected, actual: actual, evidence: evidence.map(\.seq))
    }

    static func seconds(_ x: Double) -> String { String(format: "%.2f s", x) }

    static func types(_ r: RunRecord) -> String {
        r.reports.isEmpty ? "nothing" : r.reports.map(\.type).joined(separator: ", ")
    }

    // MARK: joining

    static func joined(_ r: RunRecord, role: String?, serviceType: String?, displayName: String?) -> CheckResult {
        var want = ["a joined report with the participant uuid the node issued"]
        if let role { want.append("role \(role)") }
        if let serviceType { want.append("service_type \(serviceType)") }
        if let displayName { want.append("display_name \(displayName)") }
        let expected = want.joined(separator: ", ")
        let tokens = r.requests("request_token")
        guard let report = r.reports("joined").first else {
            return verdict(false, expected, "no joined report; the client reported: \(types(r))", tokens)
        }
        let m = report.message
        let uuid = m["participant_uuid"]?.stringValue ?? ""
        guard let issue = r.issued.first(where: { $0.entry.request == "request_token" && $0.participant == uuid }) else {
            return verdict(false, expected, "joined with participant_uuid '\(uuid)', which the node never issued", tokens + [report.entry])
        }
        var wrong: [String] = []
        for (key, value) in [("role", role), ("service_type", serviceType), ("display_name", displayName)] {
            if let value, m[key]?.stringValue != value { wrong.append("\(key) \(m[key]?.jsonText ?? "missing")") }
        }
        let nodeRole = r.result(issue.entry)?["role"]?.stringValue
        if let nodeRole, let said = m["role"]?.stringValue, said != nodeRole { wrong.append("role \(said) but the node said \(nodeRole)") }
        return verdict(wrong.isEmpty, expected, wrong.isEmpty ? "joined as \(m.jsonText)" : "joined with " + wrong.joined(separator: ", "),
                       [issue.entry, report.entry])
    }

    /// request_token answers that asked for a PIN.
    static func pinChallenges(_ r: RunRecord) -> [JournalEntry] {
        r.requests("request_token").filter { $0.status == 403 && r.result($0)?["pin"] != nil }
    }

    static func askedForPIN(_ r: RunRecord, guestPIN: String?) -> CheckResult {
        let expected = "pin_required" + (guestPIN.map { " with guest_pin \($0)" } ?? "") + " reported after the node asked for a PIN"
        guard let challenge = pinChallenges(r).first else {
            return verdict(false, expected, "the node never asked for a PIN (no request_token got the PIN 403)", r.requests("request_token"))
        }
        guard let prompt = r.reports("pin_required").first(where: { $0.entry.seq > challenge.seq }) else {
            return verdict(false, expected, "no pin_required report; the client reported: \(types(r))", [challenge])
        }
        let g = prompt.message["guest_pin"]?.stringValue
        let ok = guestPIN == nil || g == guestPIN
        return verdict(ok, expected, "reported pin_required with guest_pin \(g ?? "missing")", [challenge, prompt.entry])
    }

    static func pinHeader(_ r: RunRecord, pin: String) -> CheckResult {
        let challenge = pinChallenges(r).first
        let expected = (challenge == nil ? "a request_token" : "after the PIN prompt, a request_token")
            + " with header 'pin: \(pin)' answered 200"
        let tries = r.requests("request_token").filter { $0.seq > (challenge?.seq ?? 0) }
        if let hit = tries.first(where: { $0.header("pin") == pin && $0.status == 200 }) {
            return verdict(true, expected, "request_token #\(hit.seq) carried pin: \(pin) → 200", [challenge, hit].compactMap { $0 })
        }
        let seen = tries.isEmpty ? "no request_token" + (challenge == nil ? "" : " after the prompt")
            : tries.map { "#\($0.seq) pin header \($0.header("pin").map { "'\($0)'" } ?? "absent")"
                + ($0.body.map { $0.contains(pin) ? ", PIN in the body" : "" } ?? "") + " → \($0.status ?? 0)" }
                .joined(separator: "; ")
        return verdict(false, expected, seen, [challenge].compactMap { $0 } + tries)
    }

    static func askedForExtension(_ r: RunRecord) -> CheckResult {
        let expected = "extension_required reported after the node asked for an extension"
        guard let challenge = r.requests("request_token").first(where: {
            $0.status == 403 && r.result($0)?["conference_extension"] != nil
        }) else {
            return verdict(false, expected, "the node never asked for an extension", r.requests("request_token"))
        }
        guard let prompt = r.reports("extension_required").first(where: { $0.entry.seq > challenge.seq }) else {
            return verdict(false, expected, "no extension_required report; the client reported: \(types(r))", [challenge])
        }
        return verdict(true, expected, "reported extension_required", [challenge, prompt.entry])
    }

    static func extensionSent(_ r: RunRecord, _ x: String) -> CheckResult {
        let expected = "a request_token with conference_extension '\(x)' in its body"
        let all = r.requests("request_token")
        let sent = all.filter { r.body($0)?["conference_extension"] != nil }
        if let hit = sent.first(where: { r.body($0)?["conference_extension"]?.stringValue == x }) {
            return verdict(true, expected, "request_token #\(hit.seq) → \(hit.status ?? 0)", [hit])
        }
        let seen = sent.map { r.body($0)?["conference_extension"]?.jsonText ?? "?" }
        return verdict(false, expected, seen.isEmpty ? "no request_token carried conference_extension"
                       : "sent conference_extension \(seen.joined(separator: ", "))", all)
    }

    static func noRequestAfter(_ r: RunRecord, anchor: String, except: [String], grace: Double) -> CheckResult {
        let expected = "no request after \(anchor)" + (except.isEmpty ? "" : " other than \(except.joined(separator: ", "))")
            + (grace > 0 ? " (\(Number.text(grace)) s grace)" : "")
        let mark: JournalEntry?
        if anchor == "disconnect_event" {
            mark = r.journal.first { $0.kind == .event && $0.event == "disconnect" }
        } else if anchor == "ended" {
            mark = r.reports.first { $0.type == "disconnected" || $0.type == "failed" }?.entry
        } else {
            mark = r.reports(anchor).first?.entry
        }
        guard let mark else { return verdict(false, expected, "\(anchor) never happened; the client reported: \(types(r))", []) }
        // When the client sent it (a delayed answer is journaled late), after the anchor plus the grace
        // for requests already on their way.
        let late = r.requests.filter { e in
            e.seq > mark.seq && e.sentAt > mark.wall + grace && !except.contains { RunRecord.globMatch($0, e.request ?? "") }
        }
        let what = late.isEmpty ? "none" : late.map { "#\($0.seq) \($0.request ?? $0.path ?? "?") at +\(seconds($0.sentAt - mark.wall))" }
            .joined(separator: ", ")
        return verdict(late.isEmpty, expected, late.isEmpty ? "no request after \(anchor)" : "requests after \(anchor): \(what)",
                       [mark] + late)
    }
}
