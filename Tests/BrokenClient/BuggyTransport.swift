import Foundation
import PexipClient
import PexipWire

/// The reference transport with request- and stream-level bugs.
final class BuggyTransport: PexipTransport, @unchecked Sendable {
    let inner: any PexipTransport
    let bugs: Bugs
    let state: BugState

    init(inner: any PexipTransport, bugs: Bugs, state: BugState) {
        self.inner = inner
        self.bugs = bugs
        self.state = state
        state.transport = inner
    }

    func send(_ request: HTTPExchange, timeout: Double) async throws -> (status: Int, body: Data) {
        var ex = request
        if bugs.has("breakout-chat-to-main"), ex.url.path.contains("/breakouts/"), ex.url.lastPathComponent == "message",
           let conference = ex.url.path.range(of: "/breakouts/") {
            // Chat from a breakout room sent to the main room.
            ex.url = URL(string: String(ex.url.path[..<conference.lowerBound]) + "/message", relativeTo: ex.url)!.absoluteURL
        }
        let name = ex.url.lastPathComponent
        switch name {
        case "request_token":
            if bugs.has("pin-in-body"), let pin = ex.headers.removeValue(forKey: "pin") { ex.body = edit(ex.body) { $0["pin"] = .string(pin) } }
            if bugs.has("no-pin-none"), ex.headers["pin"] == "none" { ex.headers["pin"] = nil }
            if bugs.has("no-extension-body") { ex.body = edit(ex.body) { $0["conference_extension"] = nil } }
            if bugs.has("refer-token-dropped") { ex.body = edit(ex.body) { $0["token"] = nil } }
            if bugs.has("old-session-kept"), let old = state.latest, let url = state.lastUsed,
               let body = ex.body, JSONValue.parse(Array(body))?["token"]?.stringValue != nil {
                // Joins where the refer says and keeps the old session's token alive too.
                let target = url.deletingLastPathComponent().appendingPathComponent("refresh_token")
                let inner = self.inner
                Task {
                    for _ in 0..<20 {
                        try? await Task.sleep(nanoseconds: 300_000_000)
                        _ = try? await inner.send(HTTPExchange(method: "POST", url: target, headers: ["token": old]), timeout: 2)
                    }
                }
            }
            if bugs.has("chosen-idp-dropped") { ex.body = edit(ex.body) { $0["chosen_idp"] = nil } }
            if bugs.has("sso-token-dropped") { ex.body = edit(ex.body) { $0["sso_token"] = nil } }
        case "refresh_token":
            if bugs.has("no-refresh") {
                let token = ex.headers["token"] ?? ""
                return (200, Data(#"{"status":"success","result":{"token":"\#(token)","expires":"120","role":"HOST"}}"#.utf8))
            }
            if bugs.has("stale-refresh"), let first = state.first { ex.headers["token"] = first }
            if bugs.has("stop-refreshing-after-failure"), state.refreshFailed {
                // Carries on as if refreshed, with the token it has, until the node expires it.
                let token = ex.headers["token"] ?? ""
                return (200, Data(#"{"status":"success","result":{"token":"\#(token)","expires":"120","role":"HOST"}}"#.utf8))
            }
            if bugs.has("refresh-needs-events") {
                // Refreshes only once an event has come since the last one (up to 5 s).
                for _ in 0..<100 where !state.takeEventSeen() { try? await Task.sleep(nanoseconds: 50_000_000) }
            }
        case "release_token":
            if bugs.has("no-release") { return (200, Data(#"{"status":"success","result":true}"#.utf8)) }
            if bugs.has("release-first-token"), let first = state.first { ex.headers["token"] = first }
            if bugs.has("slow-release") { try? await Task.sleep(nanoseconds: 2_000_000_000) }
        case "message":
            if bugs.has("ascii-chat") {
                ex.body = edit(ex.body) { o in
                    let text = o["payload"]?.stringValue ?? ""
                    o["payload"] = .string(String(text.unicodeScalars.map { $0.isASCII ? Character($0) : "?" }))
                }
            }
        default:
            break
        }
        state.used(ex.url)
        var answer: (status: Int, body: Data)
        do {
            answer = try await inner.send(ex, timeout: timeout)
        } catch {
            if name == "refresh_token" { state.noteRefreshFailed() }
            if bugs.has("drop-is-fatal") { return (500, Data()) }
            if bugs.has("no-failover"), name == "status" {
                write(["type": "failed", "reason": "unreachable", "detail": "gave up on the first node (broken on purpose)"])
                exit(1)
            }
            throw error
        }
        if name == "refresh_token", answer.status != 200 { state.noteRefreshFailed() }
        if bugs.has("retryable-is-fatal"), [502, 503, 504].contains(answer.status) { answer.status = 500 }
        if name == "release_token", bugs.has("double-release") { _ = try? await inner.send(ex, timeout: timeout) }
        if answer.status == 200, name == "request_token" || name == "refresh_token",
           let json = JSONValue.parse(Array(answer.body)), let token = json["result"]?["token"]?.stringValue {
            state.issued(token)
            let scale = bugs.has("fast-refresh") ? 0.001 : bugs.has("slow-refresh") ? 3 : bugs.has("late-refresh") ? 1.75 : 1.0
            if scale != 1, let expires = Double(json["result"]?["expires"]?.stringValue ?? "") {
                answer.body = edit(answer.body) { o in
                    var result = o["result"]?.objectValue ?? [:]
                    result["expires"] = .string(String(format: "%g", expires * scale))
                    o["result"] = .object(result)
                } ?? answer.body
            }
        }
        return answer
    }

    func openStream(_ request: HTTPExchange, idleTimeout: Double) -> any EventStreamConnection {
        let n = state.streamOpened()
        if bugs.has("no-reconnect"), n > 1 { return EndedStream(end: .status(403)) }
        let timeout = bugs.has("short-idle-timeout") ? 1 : idleTimeout
        if bugs.has("idle-ignores-keepalives") {
            // Takes 2 s without an event (keep-alive comments not counted) for a dead stream.
            return FilteredStream(inner: EventWatchdog(inner: inner.openStream(request, idleTimeout: timeout), limit: 2),
                                  number: n, bugs: bugs, state: state)
        }
        let quirks = bugs.quirks
        // URLSession on Linux cannot trust the scenario's CA: over HTTPS the reference parser reads.
        let stream = quirks.any && request.url.scheme == "http"
            ? URLSessionTransport(parser: { QuirkyParser(quirks) }).openStream(request, idleTimeout: timeout)
            : inner.openStream(request, idleTimeout: timeout)
        return FilteredStream(inner: stream, number: n, bugs: bugs, state: state)
    }

    func shutdown() async { await inner.shutdown() }

    private func edit(_ body: Data?, _ change: (inout [String: JSONValue]) -> Void) -> Data? {
        var o = body.flatMap { JSONValue.parse(Array($0))?.objectValue } ?? [:]
        change(&o)
        return Data(JSONValue.object(o).jsonText.utf8)
    }
}

/// A stream that ends itself (`.idle`) when no event came for `limit` seconds, whatever else arrived.
final class EventWatchdog: EventStreamConnection, @unchecked Sendable {
    let inner: any EventStreamConnection
    let items: AsyncThrowingStream<EventStreamItem, Error>

    init(inner: any EventStreamConnection, limit: Double) {
        self.inner = inner
        let source = inner.items
        items = AsyncThrowingStream { continuation in
            let lastEvent = Clock()
            let reader = Task {
                do {
                    for try await item in source {
                        lastEvent.touch()
                        continuation.yield(item)
                    }
                    continuation.finish()
                } catch { continuation.finish(throwing: error) }
            }
            let watchdog = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: 100_000_000)
                    if lastEvent.since > limit {
                        reader.cancel()
                        inner.cancel()
                        continuation.finish(throwing: EventStreamEnd.idle)
                        return
                    }
                }
            }
            continuation.onTermination = { _ in reader.cancel(); watchdog.cancel() }
        }
    }

    func cancel() { inner.cancel() }

    /// When the last event came.
    private final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var last = Date()
        func touch() { lock.withLock { last = Date() } }
        var since: Double { lock.withLock { Date().timeIntervalSince(last) } }
    }
}

/// A stream that fails at once.
struct EndedStream: EventStreamConnection {
    let end: EventStreamEnd
    var items: AsyncThrowingStream<EventStreamItem, Error> {
        AsyncThrowingStream { $0.finish(throwing: end) }
    }
    func cancel() {}
}

/// The reference stream with events swallowed or misread.
final class FilteredStream: EventStreamConnection, @unchecked Sendable {
    static let known: Set<String> = [
        "conference_update", "participant_sync_begin", "participant_sync_end", "participant_create", "participant_update",
        "participant_delete", "stage", "presentation_start", "presentation_stop", "message_received", "disconnect",
        "refer", "layout", "call_disconnected", "refresh_token", "splash_screen",
    ]
    let inner: any EventStreamConnection
    let items: AsyncThrowingStream<EventStreamItem, Error>

    init(inner: any EventStreamConnection, number: Int, bugs: Bugs, state: BugState) {
        self.inner = inner
        let source = inner.items
        items = AsyncThrowingStream { continuation in
            let task = Task {
                var events = 0
                do {
                    for try await item in source {
                        if case .event(let e) = item {
                            events += 1
                            state.sawEvent()
                            if bugs.has("ignore-disconnect-event"), e.event == "disconnect" { continue }
                            if bugs.has("ignore-participant-delete"), e.event == "participant_delete" { continue }
                            if bugs.has("ignore-refer"), e.event == "refer" { continue }
                            if bugs.has("ignore-breakout-refer"), e.event == "breakout_refer" { continue }
                            if bugs.has("no-resync"), number > 1, e.event == "participant_sync_begin" { continue }
                            if bugs.has("stop-reading-after-10"), events > 10 { continue }
                            if bugs.has("unknown-event-fatal"), !FilteredStream.known.contains(e.event) {
                                throw EventStreamEnd.failed("unknown event \(e.event)")
                            }
                        }
                        continuation.yield(item)
                    }
                    continuation.finish()
                } catch EventStreamEnd.failed(let why) where bugs.has("stream-error-is-fatal") {
                    write(["type": "failed", "reason": "unreachable", "detail": .string("event stream failed: \(why) (broken on purpose)")])
                    exit(1)
                } catch EventStreamEnd.endedCleanly where bugs.has("clean-end-is-final") {
                    write(["type": "disconnected", "reason": "the event stream ended (broken on purpose)"])
                    exit(0)
                } catch EventStreamEnd.endedCleanly where bugs.like == "android" {
                    // Its event flow completes without an error and is never retried: no more
                    // events, while the token is refreshed on.
                    while !Task.isCancelled { try? await Task.sleep(nanoseconds: 100_000_000) }
                    continuation.finish()
                } catch EventStreamEnd.status(let code) where bugs.has("retryable-is-fatal") && [502, 503, 504].contains(code) {
                    continuation.finish(throwing: EventStreamEnd.status(403))
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func cancel() { inner.cancel() }
}
