import Foundation
import MockNode
import PexipWire

extension CheckLibrary {
    static func followedRefer(_ r: RunRecord, within: Double) -> CheckResult {
        let expected = "after each refer, a request_token for its alias with its one-time token (body or header 'token') "
            + "answered 200 within \(Number.text(within)) s"
        let refers = r.journal.filter { $0.kind == .event && $0.event == EventName.refer && $0.delivered != false }
        guard !refers.isEmpty else { return verdict(false, expected, "the node never sent refer", []) }
        var evidence: [JournalEntry] = []
        var problems: [String] = []
        for refer in refers {
            let data = r.data(refer)
            let alias = data?["alias"]?.stringValue ?? "", token = data?["token"]?.stringValue ?? ""
            let joins = r.requests("request_token").filter { $0.seq > refer.seq }
            evidence.append(refer)
            let carrying = joins.filter {
                r.body($0)?["token"]?.stringValue == token || $0.header("token") == token
            }
            if let hit = carrying.first(where: { $0.status == 200 && $0.alias?.lowercased() == alias.lowercased() }) {
                evidence.append(hit)
                let delay = hit.sentAt - refer.wall
                if delay > within { problems.append("re-joined \(alias) \(seconds(delay)) after refer #\(refer.seq)") }
                continue
            }
            evidence += joins
            if let wrong = carrying.first {
                problems.append("the one-time token of refer #\(refer.seq) went to #\(wrong.seq) (\(wrong.alias ?? "?") → \(wrong.status ?? 0))")
            } else if let other = joins.first(where: { $0.alias?.lowercased() == alias.lowercased() }) {
                problems.append("request_token #\(other.seq) for \(alias) did not carry the one-time token of refer #\(refer.seq)")
            } else {
                problems.append("no request_token for \(alias) after refer #\(refer.seq); the client reported: \(types(r))")
            }
        }
        return verdict(problems.isEmpty, expected,
                       problems.isEmpty ? "re-joined with the one-time token after \(refers.count) refer(s)" : problems.joined(separator: "; "),
                       evidence)
    }

    static func droppedOldSession(_ r: RunRecord, grace: Double) -> CheckResult {
        let expected = "after re-joining with a refer's one-time token, no request but release_token carried a token of the "
            + "participant it left (later than \(Number.text(grace)) s after the re-join)"
        let refers = r.journal.filter { $0.kind == .event && $0.event == EventName.refer && $0.delivered != false }
        guard !refers.isEmpty else { return verdict(false, expected, "the node never sent refer", []) }
        var problems: [String] = []
        var evidence: [JournalEntry] = []
        for refer in refers {
            let token = r.data(refer)?["token"]?.stringValue ?? ""
            guard let rejoin = r.requests("request_token").first(where: {
                $0.seq > refer.seq && $0.status == 200 && (r.body($0)?["token"]?.stringValue == token || $0.header("token") == token)
            }) else { continue }  // followed_refer says so
            let old = Set(r.issued.filter { $0.participant == refer.participant }.map(\.token))
            let late = r.requests("*").filter {
                $0.sentAt > rejoin.sentAt + grace && $0.request != "release_token" && $0.token.map(old.contains) == true
            }
            evidence.append(rejoin)
            if !late.isEmpty {
                evidence += late.prefix(6)
                problems.append("\(late.count) request(s) with the old participant's token after the re-join #\(rejoin.seq): "
                                + late.prefix(4).map { "#\($0.seq) \($0.request ?? "?") → \($0.status ?? 0)" }.joined(separator: ", "))
            }
        }
        return verdict(problems.isEmpty, expected,
                       problems.isEmpty ? "the old session's token was released or left alone" : problems.joined(separator: "; "),
                       evidence)
    }

    static func breakoutRoster(_ r: RunRecord, room: String, names: [String]) -> CheckResult {
        let expected = "while in breakout room \(room), a roster of exactly: \(names.sorted().joined(separator: ", "))"
        let refers = r.journal.filter { $0.kind == .event && $0.event == EventName.breakoutRefer && $0.delivered != false }
        guard let refer = refers.first(where: { r.data($0)?["breakout_name"]?.stringValue?.lowercased() == room.lowercased() }) else {
            return verdict(false, expected, "the node never sent breakout_refer to \(room)", refers)
        }
        let until = refers.first { $0.seq > refer.seq }?.seq ?? Int.max
        let rosters = r.reports("roster").filter { $0.entry.seq > refer.seq && $0.entry.seq < until }
        if let hit = rosters.first(where: { self.names($0.message).sorted() == names.sorted() }) {
            return verdict(true, expected, "reported \(self.names(hit.message).joined(separator: ", ")) in \(room)", [refer, hit.entry])
        }
        return verdict(false, expected,
                       rosters.isEmpty ? "no roster reported while in \(room); the client reported: \(types(r))"
                       : "rosters while in \(room): " + rosters.map { "[\(self.names($0.message).joined(separator: ", "))]" }.joined(separator: ", "),
                       [refer] + rosters.map(\.entry))
    }
}
