import Foundation
import MockNode
import PexipWire

/// Checks on single sign-on.
extension CheckLibrary {
    /// request_token answers that asked for single sign-on: the provider list or a redirect.
    static func ssoChallenges(_ r: RunRecord) -> [JournalEntry] {
        r.requests("request_token").filter { $0.status == 403 && (r.result($0)?["idp"] != nil || r.result($0)?["redirect_url"] != nil) }
    }

    static func askedForSSO(_ r: RunRecord) -> CheckResult {
        let expected = "sso_required reported after each single sign-on 403 (with the providers listed, or with the redirect's URL and provider)"
        let challenges = ssoChallenges(r)
        guard !challenges.isEmpty else {
            return verdict(false, expected, "the node never asked for single sign-on", r.requests("request_token"))
        }
        var problems: [String] = []
        var evidence: [JournalEntry] = []
        for (i, c) in challenges.enumerated() {
            evidence.append(c)
            let next = i + 1 < challenges.count ? challenges[i + 1].seq : Int.max
            guard let prompt = r.reports("sso_required").first(where: { $0.entry.seq > c.seq && $0.entry.seq < next }) else {
                problems.append("no sso_required after request_token #\(c.seq)")
                continue
            }
            evidence.append(prompt.entry)
            let result = r.result(c)
            if let listed = result?["idp"]?.arrayValue {
                let want = Set(listed.compactMap { $0["uuid"]?.stringValue })
                let got = Set(prompt.message["idps"]?.arrayValue?.compactMap { $0["uuid"]?.stringValue } ?? [])
                if want != got { problems.append("sso_required listed \(got.sorted()) where the node offered \(want.sorted())") }
            } else if let url = result?["redirect_url"]?.stringValue {
                if prompt.message["redirect_url"]?.stringValue != url {
                    problems.append("sso_required carried redirect_url \(prompt.message["redirect_url"]?.jsonText ?? "none"), not the node's")
                }
                if prompt.message["idp"]?["uuid"] != result?["redirect_idp"]?["uuid"] {
                    problems.append("sso_required's idp is not the redirect's provider")
                }
            }
        }
        return verdict(problems.isEmpty, expected,
                       problems.isEmpty ? "reported sso_required \(challenges.count) time(s), as the node asked" : problems.joined(separator: "; "),
                       evidence)
    }

    static func signedIn(_ r: RunRecord, idp: String?) -> CheckResult {
        let expected = "a request_token with chosen_idp" + (idp.map { " = \($0)" } ?? "")
            + ", then one with that chosen_idp and the sso_token of a sign-in there, answered 200"
        let all = r.requests("request_token")
        func field(_ e: JournalEntry, _ k: String) -> String? {
            guard let v = r.body(e)?[k]?.stringValue, !v.isEmpty, v.lowercased() != "none" else { return nil }
            return v
        }
        // The provider's uuid: from a listing or redirect the node sent, matched by uuid or name.
        let providers = all.compactMap { r.result($0) }.flatMap { result -> [JSONValue] in
            (result["idp"]?.arrayValue ?? []) + (result["redirect_idp"].map { [$0] } ?? [])
        }
        let wanted = idp.flatMap { want in
            providers.first { $0["uuid"]?.stringValue == want || $0["name"]?.stringValue?.lowercased() == want.lowercased() }?["uuid"]?
                .stringValue ?? want
        }
        guard let joined = all.first(where: { $0.status == 200 && field($0, "sso_token") != nil }) else {
            let seen = all.map { "#\($0.seq) chosen_idp \(field($0, "chosen_idp") ?? "none"), sso_token \(field($0, "sso_token") == nil ? "none" : "given") → \($0.status ?? 0)" }
            return verdict(false, expected, seen.isEmpty ? "no request_token" : seen.joined(separator: "; "), all)
        }
        var problems: [String] = []
        let chosen = field(joined, "chosen_idp")
        if let wanted, chosen != wanted { problems.append("the sign-in request carried chosen_idp \(chosen ?? "none"), not \(wanted)") }
        let choice = all.first { $0.seq < joined.seq && field($0, "chosen_idp") != nil && field($0, "sso_token") == nil }
        if choice == nil && !(all.first.map { r.result($0)?["redirect_url"] != nil } ?? false) {
            problems.append("no request_token chose a provider before signing in")
        }
        let login = r.journal.first { $0.kind == .action && $0.action == "sso_login" && $0.seq < joined.seq }
        return verdict(problems.isEmpty, expected,
                       problems.isEmpty ? "request_token #\(joined.seq) with chosen_idp \(chosen ?? "none") and the sso_token → 200"
                       : problems.joined(separator: "; "),
                       [choice, login, joined].compactMap { $0 })
    }
}
