import Foundation
import MockNode
import PexipWire

/// Judging: every check turns a `RunRecord` into a `CheckResult`.
public enum Judge {
    /// The scenario's checks, after the three every run must pass: the client
    /// exited by itself, it kept to the driver protocol, and the timeline happened.
    public static func evaluate(_ checks: [CheckSpec], _ r: RunRecord) -> [CheckResult] {
        var results = [exitedByItself(r), keptToProtocol(r), timelineHappened(r)]
        for spec in checks {
            var result = spec.kind.evaluate(r)
            result.line = spec.line
            result.level = spec.level
            results.append(result)
        }
        results.append(notSimulated(r))
        return results
    }

    /// Info: requests the node answered 404 "Unknown request" (it does not simulate them), by method and path.
    static func notSimulated(_ r: RunRecord) -> CheckResult {
        let misses = r.notSimulated
        let what = misses.map { "\($0.method) \($0.request) ×\($0.count)" }.joined(separator: ", ")
        return CheckResult(name: "requests not simulated", level: .info, passed: misses.isEmpty,
                           expected: "only requests the node simulates",
                           actual: misses.isEmpty ? "none" : "answered 404 Unknown request: " + what,
                           evidence: r.requests.filter { r.isNotSimulated($0) }.map(\.seq))
    }

    static func exitedByItself(_ r: RunRecord) -> CheckResult {
        let passed: Bool
        if case .exited = r.exit { passed = true } else { passed = false }
        let leave = r.told.first { $0.type == "leave" }
        var actual = "the client \(r.exit)"
        if !passed, let leave { actual += " (told to leave at \(String(format: "%.2f", r.time(leave.entry))) s): client did not exit" }
        return CheckResult(name: "client exited by itself", passed: passed,
                           expected: "the client exits on its own after left, disconnected or failed",
                           actual: passed ? actual : actual + (leave == nil ? ": client did not exit" : ""),
                           evidence: leave.map { [$0.entry.seq] } ?? [])
    }

    static func keptToProtocol(_ r: RunRecord) -> CheckResult {
        var problems: [String] = []
        if !r.protocolErrors.isEmpty {
            problems.append("\(r.protocolErrors.count) stdout line(s) not a JSON object, first: \(RunRecord.clip(r.protocolErrors[0], 80))")
        }
        let terminal = r.terminalReport
        if terminal == nil {
            problems.append("it never reported left, disconnected or failed")
        } else if let t = terminal, case .exited(let code) = r.exit {
            if t.type == "failed" && code == 0 { problems.append("it reported failed but exited with status 0") }
            if t.type != "failed" && code != 0 { problems.append("it reported \(t.type) but exited with status \(code)") }
        }
        let untyped = r.journal.filter { $0.kind == .note && $0.action == RunRecord.clientLabel }.count - r.reports.count
        if untyped > 0 { problems.append("\(untyped) message(s) without a 'type'") }
        return CheckResult(name: "driver protocol", passed: problems.isEmpty,
                           expected: "JSON objects with a type on stdout; left/disconnected then exit 0, failed then non-zero",
                           actual: problems.isEmpty ? "kept to it" : problems.joined(separator: "; "),
                           evidence: terminal.map { [$0.entry.seq] } ?? [])
    }

    static func timelineHappened(_ r: RunRecord) -> CheckResult {
        var problems: [String] = []
        for step in r.timeline {
            let at = step.line > 0 ? "step on line \(step.line) (\(step.label))" : "step \(step.label)"
            if step.firedAt == nil && !step.optional { problems.append("\(at) never happened") }
            for e in step.errors { problems.append("\(at): \(e)") }
        }
        return CheckResult(name: "timeline", passed: problems.isEmpty,
                           expected: "every timeline step happens and its actions succeed",
                           actual: problems.isEmpty ? "\(r.timeline.count) step(s) done" : problems.joined(separator: "; "),
                           evidence: r.journal.filter { $0.kind == .note && $0.action == "timeline" }.map(\.seq))
    }
}

extension CheckKind {
    /// The check as a scenario writes it, e.g. `released(within: 1)`.
    public var name: String {
        func n(_ x: Double) -> String { Number.text(x) }
        switch self {
        case .joined(let role, let st, let dn):
            return "joined" + Self.args(["role": role, "service_type": st, "display_name": dn])
        case .askedForPIN(let g): return "asked_for_pin" + Self.args(["guest_pin": g])
        case .pinHeader(let pin): return "pin_header(pin: \(pin))"
        case .askedForExtension: return "asked_for_extension"
        case .extensionSent(let x): return "extension_sent(\(x))"
        case .askedForSSO: return "asked_for_sso"
        case .signedIn(let idp): return "signed_in" + Self.args(["idp": idp])
        case .tokenKeptAlive(let m, let x): return "token_kept_alive(minimum: \(m), max_per_lifetime: \(x))"
        case .refreshCadence(let e, let l, let t): return "refresh_cadence(early: \(n(e)), late: \(n(l)), tolerance: \(n(t)))"
        case .refreshFailureHandled: return "refresh_failure_handled"
        case .reconnectPacing(let m): return "reconnect_pacing(max_per_second: \(m))"
        case .reconnectBackoff: return "reconnect_backoff"
        case .released(let w, let ifTold): return "released(within: \(n(w))\(ifTold ? ", if_told" : ""))"
        case .noRequestAfter(let a, let ex, let g):
            return "no_request_after(\(a)" + (ex.isEmpty ? "" : ", except: \(ex.joined(separator: "|"))") + (g != 0.2 ? ", grace: \(n(g))" : "") + ")"
        case .reconnected(let w, let rs): return "reconnected(within: \(n(w))\(rs ? ", resync" : ""))"
        case .roster(let names): return "roster(\(names.joined(separator: ", ")))"
        case .failed(let reason): return "failed(\(reason))"
        case .disconnected(let reason): return "disconnected" + Self.args(["reason": reason])
        case .left: return "left"
        case .ended: return "ended"
        case .message(let o, let t): return "message" + Self.args(["origin": o, "text": t])
        case .messages(let texts): return "messages(\(texts.joined(separator: ", ")))"
        case .sentMessage(let t): return "sent_message(\(t))"
        case .followedRefer(let w): return "followed_refer(within: \(n(w)))"
        case .droppedOldSession(let g): return "dropped_old_session(grace: \(n(g)))"
        case .breakoutRoster(let room, let names): return "breakout_roster(\(room): \(names.joined(separator: ", ")))"
        case .requests(let q, let s, let lo, let hi):
            return "requests(\(q)" + (s.map { ", status: \($0)" } ?? "") + Self.range(lo, hi) + ")"
        case .reported(let type, let fields, let lo, let hi):
            let f = fields.isEmpty ? "" : ", " + JSONValue.object(fields).jsonText
            return (hi == 0 ? "not_reported(\(type)" : "reported(\(type)") + f + (hi == 0 ? "" : Self.range(lo, hi)) + ")"
        }
    }

    private static func args(_ pairs: [String: String?]) -> String {
        let given = pairs.compactMap { k, v in v.map { "\(k): \($0)" } }.sorted()
        return given.isEmpty ? "" : "(" + given.joined(separator: ", ") + ")"
    }

    private static func range(_ lo: Int?, _ hi: Int?) -> String {
        switch (lo, hi) {
        case let (l?, h?) where l == h: return ", count: \(l)"
        case let (l?, h?): return ", \(l)...\(h)"
        case let (l?, nil): return ", at least \(l)"
        case let (nil, h?): return ", at most \(h)"
        default: return ""
        }
    }

    /// Judges the run.
    public func evaluate(_ r: RunRecord) -> CheckResult {
        var result: CheckResult
        switch self {
        case .joined(let role, let st, let dn): result = CheckLibrary.joined(r, role: role, serviceType: st, displayName: dn)
        case .askedForPIN(let g): result = CheckLibrary.askedForPIN(r, guestPIN: g)
        case .pinHeader(let pin): result = CheckLibrary.pinHeader(r, pin: pin)
        case .askedForExtension: result = CheckLibrary.askedForExtension(r)
        case .extensionSent(let x): result = CheckLibrary.extensionSent(r, x)
        case .askedForSSO: result = CheckLibrary.askedForSSO(r)
        case .signedIn(let idp): result = CheckLibrary.signedIn(r, idp: idp)
        case .tokenKeptAlive(let m, let x): result = CheckLibrary.tokenKeptAlive(r, minimum: m, maxPerLifetime: x)
        case .refreshCadence(let e, let l, let t): result = CheckLibrary.refreshCadence(r, early: e, late: l, tolerance: t)
        case .refreshFailureHandled: result = CheckLibrary.refreshFailureHandled(r)
        case .reconnectPacing(let m): result = CheckLibrary.reconnectPacing(r, maxPerSecond: m)
        case .reconnectBackoff: result = CheckLibrary.reconnectBackoff(r)
        case .released(let w, let ifTold): result = CheckLibrary.released(r, within: w, ifTold: ifTold)
        case .noRequestAfter(let a, let ex, let g): result = CheckLibrary.noRequestAfter(r, anchor: a, except: ex, grace: g)
        case .reconnected(let w, let rs): result = CheckLibrary.reconnected(r, within: w, resync: rs)
        case .roster(let names): result = CheckLibrary.roster(r, names)
        case .failed(let reason): result = CheckLibrary.ended(r, "failed", field: "reason", value: reason, exitZero: false)
        case .disconnected(let reason): result = CheckLibrary.ended(r, "disconnected", field: "reason", value: reason, exitZero: true)
        case .left: result = CheckLibrary.ended(r, "left", field: nil, value: nil, exitZero: true)
        case .ended: result = CheckLibrary.endedByItself(r)
        case .message(let o, let t): result = CheckLibrary.message(r, origin: o, text: t)
        case .messages(let texts): result = CheckLibrary.messages(r, texts)
        case .sentMessage(let t): result = CheckLibrary.sentMessage(r, text: t)
        case .requests(let q, let s, let lo, let hi): result = CheckLibrary.requests(r, q, status: s, min: lo, max: hi)
        case .followedRefer(let w): result = CheckLibrary.followedRefer(r, within: w)
        case .droppedOldSession(let g): result = CheckLibrary.droppedOldSession(r, grace: g)
        case .breakoutRoster(let room, let names): result = CheckLibrary.breakoutRoster(r, room: room, names: names)
        case .reported(let type, let fields, let lo, let hi): result = CheckLibrary.reported(r, type, fields: fields, min: lo, max: hi)
        }
        result.name = name
        result.level = defaultLevel
        return result
    }
}
