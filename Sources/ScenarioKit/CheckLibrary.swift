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
        let nodeRole = issue.entry.response.flatMap(JSONValue.parse)?["result"]?["role"]?.stringValue
        if let nodeRole, let said = m["role"]?.stringValue, said != nodeRole { wrong.append("role \(said) but the node said \(nodeRole)") }
        return verdict(wrong.isEmpty, expected, wrong.isEmpty ? "joined as \(m.jsonText)" : "joined with " + wrong.joined(separator: ", "),
                       [issue.entry, report.entry])
    }

    /// request_token answers that asked for a PIN.
    static func pinChallenges(_ r: RunRecord) -> [JournalEntry] {
        r.requests("request_token").filter { $0.status == 403 && $0.response.flatMap(JSONValue.parse)?["result"]?["pin"] != nil }
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
            $0.status == 403 && $0.response.flatMap(JSONValue.parse)?["result"]?["conference_extension"] != nil
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
        let sent = all.filter { $0.body.flatMap(JSONValue.parse)?["conference_extension"] != nil }
        if let hit = sent.first(where: { $0.body.flatMap(JSONValue.parse)?["conference_extension"]?.stringValue == x }) {
            return verdict(true, expected, "request_token #\(hit.seq) → \(hit.status ?? 0)", [hit])
        }
        let seen = sent.map { $0.body.flatMap(JSONValue.parse)?["conference_extension"]?.jsonText ?? "?" }
        return verdict(false, expected, seen.isEmpty ? "no request_token carried conference_extension"
                       : "sent conference_extension \(seen.joined(separator: ", "))", all)
    }

    // MARK: tokens

    static func refreshCadence(_ r: RunRecord, fraction: Double, tolerance: Double, minimum: Int) -> CheckResult {
        let expected = "each refresh \(Number.text(fraction)) × expires ± \(Number.text(tolerance)) s after the token it replaces, "
            + "with the newest token, never expired; at least \(minimum) refreshed; the token never expires"
        var problems: [String] = []
        var evidence: [JournalEntry] = []
        let refreshes = r.requests("refresh_token")
        var judged = Set<Int>()  // issues whose first refresh was timed
        for refresh in refreshes {
            guard let newest = r.newestIssue(before: refresh.seq) else {
                problems.append("#\(refresh.seq) refreshed before any token was issued")
                evidence.append(refresh)
                continue
            }
            if refresh.token != newest.token {
                let used = r.issued.first { $0.token == refresh.token }
                problems.append("#\(refresh.seq) refreshed with " + (used.map { "the older token from #\($0.entry.seq)" } ?? "a token the node never issued")
                                + ", not the newest from #\(newest.entry.seq)")
                evidence += [refresh, newest.entry]
            }
            if let used = r.issued.first(where: { $0.token == refresh.token }), refresh.wall > used.entry.wall + used.expires {
                problems.append("#\(refresh.seq) used a token that had expired \(seconds(refresh.wall - used.entry.wall - used.expires)) before")
                evidence.append(refresh)
            }
            guard judged.insert(newest.entry.seq).inserted else { continue }  // a retry: not cadence
            let gap = refresh.wall - newest.entry.wall
            let target = fraction * newest.expires
            if abs(gap - target) > tolerance {
                problems.append("#\(refresh.seq) came \(seconds(gap)) after the token from #\(newest.entry.seq) (expires \(Number.text(newest.expires))); expected \(seconds(target))")
                evidence += [newest.entry, refresh]
            }
        }
        // A refresh that never came although the client was still in.
        let end = r.journal.first { e in
            (e.kind == .note && e.action == RunRecord.runnerLabel && e.data.flatMap(JSONValue.parse)?["type"] == "leave")
                || (e.kind == .request && e.request == "release_token")
                || (e.kind == .action && ["token_expired", "eject", "participant_disconnect", "conference_ended"].contains(e.action ?? ""))
                || (e.kind == .note && e.action == RunRecord.clientLabel && ["disconnected", "failed", "left"].contains(e.data.flatMap(JSONValue.parse)?["type"]?.stringValue ?? ""))
        }
        if let last = r.issued.last, let end, !refreshes.contains(where: { $0.seq > last.entry.seq }),
           end.wall - last.entry.wall > fraction * last.expires + tolerance {
            problems.append("no refresh followed the token from #\(last.entry.seq) in the \(seconds(end.wall - last.entry.wall)) the client stayed")
            evidence += [last.entry, end]
        }
        let expiries = r.journal.filter { $0.kind == .action && $0.action == "token_expired" }
        if let x = expiries.first {
            problems.append("the node expired the client's token at \(seconds(r.time(x)))")
            evidence.append(x)
        }
        let good = refreshes.filter { $0.status == 200 }.count
        if good < minimum { problems.append("\(good) successful refresh(es), fewer than \(minimum)") }
        return verdict(problems.isEmpty, expected,
                       problems.isEmpty ? "\(good) refresh(es) on time with the newest token" : problems.joined(separator: "; "),
                       evidence.isEmpty ? refreshes : evidence)
    }

    static func released(_ r: RunRecord, within: Double) -> CheckResult {
        let expected = "after leave, exactly one release_token with the newest token, answered 200 within \(Number.text(within)) s, before left is reported"
        let releases = r.requests("release_token")
        guard let leave = r.told.first(where: { $0.type == "leave" }) else {
            return verdict(false, expected, "the runner never told the client to leave", releases)
        }
        let early = releases.filter { $0.seq < leave.entry.seq }
        let after = releases.filter { $0.seq > leave.entry.seq }
        guard let release = after.first else {
            let what = early.isEmpty ? "no release_token after leave" : "released only before being told to leave"
            return verdict(false, expected, what + "; the client reported: \(types(r))", [leave.entry] + early)
        }
        var problems: [String] = []
        let delay = release.wall - leave.entry.wall
        if delay > within { problems.append("released \(seconds(delay)) after leave") }
        if let newest = r.newestIssue(before: release.seq), release.token != newest.token {
            problems.append("released a token other than the newest (from #\(newest.entry.seq))")
        }
        if release.status != 200 { problems.append("the release was answered \(release.status ?? 0)") }
        if releases.count > 1 { problems.append("\(releases.count) release_token requests") }
        let left = r.reports("left").first
        if let left, left.entry.seq < release.seq { problems.append("reported left before the release was answered") }
        return verdict(problems.isEmpty, expected,
                       problems.isEmpty ? "released \(seconds(delay)) after leave" : problems.joined(separator: "; "),
                       [leave.entry] + releases + (left.map { [$0.entry] } ?? []))
    }

    static func noRequestAfter(_ r: RunRecord, anchor: String, except: [String], grace: Double) -> CheckResult {
        let expected = "no request after \(anchor)" + (except.isEmpty ? "" : " other than \(except.joined(separator: ", "))")
            + (grace > 0 ? " (\(Number.text(grace)) s grace)" : "")
        let mark: JournalEntry?
        if anchor == "disconnect_event" {
            mark = r.journal.first { $0.kind == .event && $0.event == "disconnect" }
        } else {
            mark = r.reports(anchor).first?.entry
        }
        guard let mark else { return verdict(false, expected, "\(anchor) never happened; the client reported: \(types(r))", []) }
        let late = r.requests.filter { e in
            e.seq > mark.seq && e.wall > mark.wall + grace && !except.contains { RunRecord.globMatch($0, e.request ?? "") }
        }
        let what = late.isEmpty ? "none" : late.map { "#\($0.seq) \($0.request ?? $0.path ?? "?") at +\(seconds($0.wall - mark.wall))" }
            .joined(separator: ", ")
        return verdict(late.isEmpty, expected, late.isEmpty ? "no request after \(anchor)" : "requests after \(anchor): \(what)",
                       [mark] + late)
    }
}
