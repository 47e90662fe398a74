import Foundation
import PexipClient
import PexipDriver
import PexipWire

// The reference client with bugs switched on (`--bug NAME`, repeatable), so
// that each conformance scenario can be shown to catch the bug it is about;
// and with `--like android|swift|pexrtc`, a correct client that times its
// refreshes, retries and reconnects as that Pexip client does (from its
// public sources), which the suite must never fail.
// Never shipped; ConformanceTests runs it.


/// Runner messages, as the bugs change them.
func incoming(_ m: JSONValue) -> JSONValue? {
    guard var o = m.objectValue else { return m }
    switch o["type"]?.stringValue {
    case "start":
        if bugs.has("ignore-start-pin") { o["pin"] = nil }
        if bugs.has("ignore-start-extension") { o["extension"] = nil }
        if bugs.has("ignore-proxy-auth") { o["proxy_auth"] = nil }
        if bugs.has("ignore-tls-ca") { o["tls_ca"] = nil }
        if bugs.has("ignore-dns"), let domain = o["conference"]?.stringValue?.split(separator: "@").last {
            o["dns"] = nil
            o["node"] = .string("https://node.\(domain)")  // as if the domain's node were the only guess
        }
    case "leave":
        if bugs.has("ignore-leave") { return nil }
        if bugs.has("early-left") { write(["type": "left"]) }
    case "send_message":
        if bugs.has("no-chat-send") { return nil }
    default:
        break
    }
    return .object(o)
}

/// Client reports, as the bugs change them.
func outgoing(_ m: JSONValue) -> [String] {
    var o = m.objectValue ?? [:]
    var lines: [String] = []
    if bugs.has("garbage"), state.once("garbage") { lines.append("this line is not JSON") }
    switch o["type"]?.stringValue ?? "" {
    case "pin_required" where bugs.has("no-pin-prompt"): return lines
    case "extension_required" where bugs.has("no-extension-prompt"): return lines
    case "sso_required" where bugs.has("no-sso-prompt"): return lines
    case "roster" where bugs.has("silent-roster"): return lines
    case "roster" where bugs.has("first-roster-only") && !state.once("roster"): return lines
    case "message" where bugs.has("no-messages"): return lines
    case "message" where bugs.has("messages-swapped"):
        if let held = state.swapHeld(.object(o)) { return lines + [held.jsonText] }
        return lines
    case "reconnected" where bugs.has("no-reconnected-report"): return lines
    case "disconnected":
        if bugs.has("refresh-after-disconnect") {
            Thread.sleep(forTimeInterval: 0.5)  // a timer that outlives the session
            state.refreshNow()
        }
        if bugs.has("no-disconnected") { return lines }
        if bugs.has("disconnect-as-failed") {
            write(["type": "failed", "reason": "forbidden", "detail": "broken on purpose"])
            exit(1)
        }
    case "failed" where bugs.has("wrong-fail-reason"):
        o["reason"] = "protocol"
    case "joined" where bugs.has("wrong-role"):
        o["role"] = o["role"] == "HOST" ? "GUEST" : "HOST"
    case "left":
        if bugs.has("early-left") { return lines }
        if let held = state.swapHeld(nil) { lines.append(held.jsonText) }
        if bugs.has("exit-nonzero-after-left") {
            write(.object(o))
            exit(3)
        }
        if bugs.has("request-after-leave") {
            write(.object(o))
            Thread.sleep(forTimeInterval: 0.5)
            state.refreshNow()
            exit(0)
        }
    default:
        break
    }
    return lines + [JSONValue.object(o).jsonText]
}

func write(_ m: JSONValue) {
    FileHandle.standardOutput.write(Data((m.jsonText + "\n").utf8))
}

/// The bugs switched on.
struct Bugs: Sendable {
    static let known: Set<String> = [
        "ignore-start-pin", "ignore-start-extension", "ignore-proxy-auth", "ignore-tls-ca", "ignore-leave", "early-left",
        "no-chat-send", "garbage", "no-pin-prompt", "no-extension-prompt", "silent-roster", "first-roster-only",
        "no-messages", "messages-swapped", "no-reconnected-report", "refresh-after-disconnect", "no-disconnected",
        "disconnect-as-failed", "wrong-fail-reason", "wrong-role", "exit-nonzero-after-left",
        // transport
        "pin-in-body", "no-pin-none", "no-extension-body", "no-refresh", "stale-refresh", "fast-refresh", "slow-refresh",
        "no-release", "double-release", "release-first-token", "slow-release", "ascii-chat", "retryable-is-fatal",
        "drop-is-fatal", "no-reconnect", "ignore-disconnect-event", "unknown-event-fatal", "stop-reading-after-10",
        "no-resync", "ignore-participant-delete", "request-after-leave", "ignore-dns", "no-failover", "refresh-needs-events",
        "stop-refreshing-after-failure", "late-refresh", "ignore-refer", "refer-token-dropped",
        // the event stream
        "keep-partial-event", "whole-lines-per-read", "empty-event-on-comment", "bare-comment-fatal",
        "stream-error-is-fatal", "clean-end-is-final", "short-idle-timeout", "lf-only-lines", "idle-ignores-keepalives",
        "old-session-kept", "ignore-breakout-refer", "breakout-chat-to-main",
        // single sign-on
        "no-sso-prompt", "chosen-idp-dropped", "sso-token-dropped",
        // timing
        "hot-reconnect", "fixed-reconnect-delay",
    ]
    /// Correct clients: Pexip's own, as their public sources time things.
    static let likes: Set<String> = ["android", "swift", "pexrtc"]
    let names: Set<String>
    let like: String?

    init(arguments: [String]) {
        var names = Set<String>()
        var like: String?
        var args = arguments[...]
        while let a = args.popFirst() {
            if a == "--like", let name = args.popFirst() {
                guard Bugs.likes.contains(name) else {
                    FileHandle.standardError.write(Data("broken-client: --like takes \(Bugs.likes.sorted().joined(separator: ", "))\n".utf8))
                    exit(2)
                }
                like = name
                continue
            }
            guard a == "--bug", let name = args.popFirst() else {
                FileHandle.standardError.write(Data("broken-client: usage: broken-client [--bug NAME]... [--like android|swift|pexrtc]\n".utf8))
                exit(2)
            }
            guard Bugs.known.contains(name) else {
                FileHandle.standardError.write(Data("broken-client: unknown bug '\(name)'; known: \(Bugs.known.sorted().joined(separator: ", "))\n".utf8))
                exit(2)
            }
            names.insert(name)
        }
        self.names = names
        self.like = like
    }

    func has(_ name: String) -> Bool { names.contains(name) }

    /// The parser quirks of the bugs (and of the client imitated).
    var quirks: QuirkyParser.Quirks {
        var q = QuirkyParser.Quirks()
        q.keepPartialEvent = has("keep-partial-event")
        q.wholeLinesPerRead = has("whole-lines-per-read")
        q.emptyEventOnComment = has("empty-event-on-comment")
        q.bareCommentFatal = has("bare-comment-fatal")
        q.lfOnly = has("lf-only-lines")
        q.blocks = like == "swift"
        return q
    }

    /// The session timing of the bugs and of the client imitated.
    func timing(_ t: SessionTiming) -> SessionTiming {
        var t = t
        switch like {
        case "android":
            // Refresh at once, then every expires/2; retry only when no answer came (5 tries, 100 ms
            // doubling, at most 1 s); an HTTP error ends the session. Reconnect forever, attempt × 1 s up to 5 s.
            t.refreshAtJoin = true
            t.refreshRetryStatuses = []
            t.refreshRetries = 5
            t.refreshRetryDelay = 0.1
            (t.reconnectDelay, t.reconnectStep, t.maxReconnectDelay, t.reconnectJitter) = (1, 1, 5, 0)
            t.maxStreamFailures = 1000
            t.refreshForbiddenIsDisconnect = false
            t.streamForbiddenIsFinal = false
            t.streamWaitsForRefresh = false
        case "swift":
            // Never retry a refresh: any error ends the session. Reconnect after 1, 2, 3 s, then a last try.
            t.refreshRetryStatuses = []
            t.refreshRetriesTransportErrors = false
            t.refreshRetries = 0
            (t.reconnectDelay, t.reconnectStep, t.maxReconnectDelay, t.reconnectJitter) = (1, 1, 5, 0)
            t.maxStreamFailures = 4
            t.refreshForbiddenIsDisconnect = false
        case "pexrtc":
            // A fixed timer every expires/3 that ticks while a refresh is out; retry on 502/504 and no answer
            // (retries × 500 ms); reconnect after 10 ms + 1 s per error, giving up past 15 s.
            t.refreshOnTimer = true
            t.refreshFraction = 1.0 / 3
            t.refreshRetryStatuses = [502, 504]
            t.refreshRetries = 10
            t.refreshRetryDelay = 0.5
            (t.reconnectDelay, t.reconnectStep, t.maxReconnectDelay, t.reconnectJitter) = (1.01, 1, 15, 0)
            t.maxStreamFailures = 5
            // Any refresh error but 502/504 ends the call ("Call Failed: …"); its EventSource cannot
            // tell a 403 from a dropped connection.
            t.refreshForbiddenIsDisconnect = false
            t.streamForbiddenIsFinal = false
        default:
            break
        }
        if has("hot-reconnect") {
            (t.reconnectDelay, t.reconnectStep, t.reconnectJitter) = (0.005, 0, 0)
            t.maxStreamFailures = 100_000
        }
        if has("fixed-reconnect-delay") {
            (t.reconnectDelay, t.reconnectStep, t.reconnectJitter) = (0.5, 0, 0)
            t.maxStreamFailures = 1000
        }
        return t
    }
}

let bugs = Bugs(arguments: Array(CommandLine.arguments.dropFirst()))
let state = BugState()
var hooks = DriverHooks()
hooks.transport = { BuggyTransport(inner: $0, bugs: bugs, state: state) }
hooks.incoming = { incoming($0) }
hooks.outgoing = { outgoing($0) }
hooks.timing = { bugs.timing($0) }
exit(await Driver(hooks: hooks).run())
