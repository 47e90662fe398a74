import Foundation
import MockNode
import PexipWire

/// Checks on the token's life: kept alive, refreshed on schedule, refresh failures, release.
/// Each judges by what the node allowed: a token the node accepted is never held against the client.
extension CheckLibrary {
    static func tokenKeptAlive(_ r: RunRecord, minimum: Int, maxPerLifetime: Int) -> CheckResult {
        let expected = "the node never expires the token while the client stays; at most \(maxPerLifetime) refreshes "
            + "within one token lifetime; at least \(minimum) refresh(es) answered 200"
        var problems: [String] = []
        var evidence: [JournalEntry] = []
        let refreshes = r.requests("refresh_token").sorted { $0.sentAt < $1.sentAt }
        if let x = r.expiries.first {
            let last = r.issued.last { $0.entry.wall < x.wall }
            problems.append("the node expired the client's token at \(seconds(r.time(x)))"
                            + (last.map { " (no refresh answered 200 since the token from #\($0.entry.seq), \(Number.text($0.expires)) s lifetime)" } ?? ""))
            evidence += [last?.entry, x].compactMap { $0 }
        }
        if let storm = densest(refreshes, window: { r.newestIssue(sentBefore: $0.sentAt)?.expires ?? 120 }), storm.count > maxPerLifetime {
            problems.append("refresh storm: \(storm.count) refresh requests within \(seconds(storm.window)) (one token lifetime) from \(seconds(r.time(storm.first)))")
            evidence += Array(refreshes.filter { $0.sentAt >= storm.first.sentAt }.prefix(storm.count))
        }
        let good = refreshes.filter { $0.status == 200 }.count
        if good < minimum { problems.append("\(good) refresh(es) answered 200, fewer than \(minimum)") }
        return verdict(problems.isEmpty, expected,
                       problems.isEmpty ? "\(good) refresh(es) answered 200; the token never expired" : problems.joined(separator: "; "),
                       evidence.isEmpty ? refreshes : evidence)
    }

    /// The largest number of entries within one window starting at an entry (window length from that entry).
    static func densest(_ entries: [JournalEntry], window: (JournalEntry) -> Double) -> (count: Int, first: JournalEntry, window: Double)? {
        var best: (count: Int, first: JournalEntry, window: Double)?
        for (i, e) in entries.enumerated() {
            let w = window(e)
            let n = entries[i...].prefix { $0.sentAt < e.sentAt + w }.count
            if n > (best?.count ?? 0) { best = (n, e, w) }
        }
        return best
    }

    static func refreshCadence(_ r: RunRecord, early: Double, late: Double, tolerance: Double) -> CheckResult {
        let expected = "each token refreshed \(Number.text(early))–\(Number.text(late)) × expires after the previous token was "
            + "(the first token: at once or up to \(Number.text(late)) × expires), ± \(Number.text(tolerance)) s, with the newest token; none missed"
        var problems: [String] = []
        var evidence: [JournalEntry] = []
        let refreshes = r.requests("refresh_token").sorted { $0.sentAt < $1.sentAt }
        var firstAttempt: [String: JournalEntry] = [:]  // token → its first refresh
        for refresh in refreshes {
            guard let token = refresh.token, let used = r.issue(of: token) else {
                problems.append("#\(refresh.seq) refreshed with a token the node never issued")
                evidence.append(refresh)
                continue
            }
            if let newest = r.newestIssue(sentBefore: refresh.sentAt), newest.token != token {
                problems.append("#\(refresh.seq) refreshed with the older token from #\(used.entry.seq), not the newest from #\(newest.entry.seq)")
                evidence += [newest.entry, refresh]
            }
            guard firstAttempt[token] == nil else { continue }  // a retry, or a timer tick while one is out: not cadence
            firstAttempt[token] = refresh
            let lifetime = used.expires
            // The previous token's first refresh, for a token a refresh issued; the issue itself for the join token.
            let previous = used.entry.request == "refresh_token" ? used.entry.token.flatMap { firstAttempt[$0] } : nil
            let gap = refresh.sentAt - (previous?.sentAt ?? used.entry.wall)
            let low = previous == nil ? 0 : early * lifetime - tolerance
            let high = late * lifetime + tolerance
            if gap < low || gap > high {
                let from = previous.map { "the previous token's refresh #\($0.seq)" } ?? "the token from #\(used.entry.seq)"
                problems.append("#\(refresh.seq) came \(seconds(gap)) after \(from) (expires \(Number.text(lifetime))); expected \(seconds(max(0, low)))–\(seconds(high))")
                evidence += [previous ?? used.entry, refresh]
            }
        }
        if let last = r.issued.last, firstAttempt[last.token] == nil, let end = r.presenceEnd, end.wall > last.entry.wall,
           end.wall - last.entry.wall > late * last.expires + tolerance {
            problems.append("no refresh followed the token from #\(last.entry.seq) in the \(seconds(end.wall - last.entry.wall)) the client stayed")
            evidence += [last.entry, end]
        }
        return verdict(problems.isEmpty, expected,
                       problems.isEmpty ? "\(firstAttempt.count) token(s) refreshed on schedule" : problems.joined(separator: "; "),
                       evidence.isEmpty ? refreshes : evidence)
    }

    static func refreshFailureHandled(_ r: RunRecord) -> CheckResult {
        let expected = "after the failed refresh, either a refresh answered 200 before the token expired, or the session ended "
            + "(disconnected or failed reported, nothing but a release afterwards) before the node expired the token"
        let refreshes = r.requests("refresh_token").sorted { $0.sentAt < $1.sentAt }
        guard let failure = refreshes.first(where: { $0.fault != nil && $0.status != 200 }) else {
            return verdict(false, expected, "the node never failed a refresh (the scenario's fault did not happen)", refreshes)
        }
        let held = r.issue(of: failure.token)
        let deadline = held.map { $0.entry.wall + $0.expires } ?? .infinity
        let ending = r.reports.first { ["disconnected", "failed"].contains($0.type) && $0.entry.seq > failure.seq }
        // An expiry after the client ended its session is the node forgetting a token the client
        // gave up (released or not): only one while the session went on lets the token lapse.
        if let x = r.expiries.first, ending.map({ $0.entry.seq > x.seq }) ?? true {
            return verdict(false, expected, "the client let its token expire: the node expired it at \(seconds(r.time(x))), "
                           + "\(seconds(x.wall - failure.sentAt)) after the failed refresh", [failure, x])
        }
        if let retry = refreshes.first(where: { $0.sentAt > failure.sentAt && $0.status == 200 }), retry.sentAt < deadline {
            return verdict(true, expected, "refreshed again \(seconds(retry.sentAt - failure.sentAt)) after the failure and carried on",
                           [failure, retry])
        }
        guard let ending else {
            return verdict(false, expected, "after the failed refresh the client neither refreshed successfully nor ended; it reported: \(types(r))",
                           [failure])
        }
        let grace = 0.2
        let late = r.requests.filter { $0.seq > ending.entry.seq && $0.sentAt > ending.entry.wall + grace && $0.request != "release_token" }
        if !late.isEmpty {
            return verdict(false, expected, "ended with \(ending.type) but then sent " + late.map { "#\($0.seq) \($0.request ?? "?")" }.joined(separator: ", "),
                           [failure, ending.entry] + late)
        }
        return verdict(true, expected, "ended the session cleanly: reported \(ending.message.jsonText) \(seconds(ending.entry.wall - failure.sentAt)) after the failure",
                       [failure, ending.entry])
    }

    static func released(_ r: RunRecord, within: Double, ifTold: Bool = false) -> CheckResult {
        let expected = "after leave, one release_token with a token of the participant that the node accepted (200) within "
            + "\(Number.text(within)) s, before left is reported" + (ifTold ? " (judged only if the runner told it to leave)" : "")
        let releases = r.requests("release_token")
        guard let leave = r.told.first(where: { $0.type == "leave" }) else {
            if ifTold { return verdict(true, expected, "not judged: the runner never told the client to leave", []) }
            return verdict(false, expected, "the runner never told the client to leave", releases)
        }
        let early = releases.filter { $0.seq < leave.entry.seq }
        let after = releases.filter { $0.seq > leave.entry.seq }
        guard let release = after.first else {
            let what = early.isEmpty ? "no release_token after leave" : "released only before being told to leave"
            return verdict(false, expected, what + "; the client reported: \(types(r))", [leave.entry] + early)
        }
        var problems: [String] = []
        let delay = release.sentAt - leave.entry.wall
        if delay > within { problems.append("released \(seconds(delay)) after leave") }
        // A refresh answered while the release was on its way, with old tokens revoked on refresh
        // (`revoke_on_refresh`), refuses a release that carried the newest token when it left:
        // no client can hold a token it has not been given yet.
        let overtaken = release.status == 403 && r.issue(of: release.token) != nil
            && r.newestIssue(sentBefore: release.sentAt)?.token == release.token
            && r.issued.contains { $0.entry.wall >= release.sentAt && $0.entry.seq < release.seq }
        if release.status != 200 && !overtaken {
            var what = "the release was answered \(release.status.map(String.init) ?? "nothing")"
            if let used = r.issue(of: release.token) {
                if let newest = r.newestIssue(sentBefore: release.sentAt), newest.token != used.token {
                    what += " (it carried the token from #\(used.entry.seq), not the newest from #\(newest.entry.seq))"
                }
            } else {
                what += " (it carried a token the node never issued)"
            }
            problems.append(what)
        }
        if let accepted = after.first(where: { $0.status == 200 }) {
            let more = after.filter { $0.seq > accepted.seq }
            if !more.isEmpty { problems.append("\(more.count) more release_token request(s) after the one answered 200") }
        }
        let left = r.reports("left").first
        if let left, left.entry.seq < release.seq { problems.append("reported left before the release was answered") }
        return verdict(problems.isEmpty, expected,
                       problems.isEmpty ? "released \(seconds(delay)) after leave" : problems.joined(separator: "; "),
                       [leave.entry] + releases + (left.map { [$0.entry] } ?? []))
    }
}
