import MockNode
import PexipWire
import ScenarioKit
import XCTest

/// Checks judged on journals written by hand, so that each rule's edge is pinned.
final class JudgeTests: XCTestCase {
    private var entries: [JournalEntry] = []

    private func add(_ kind: JournalEntry.Kind, at wall: Double, _ fill: (inout JournalEntry) -> Void = { _ in }) {
        var e = JournalEntry(seq: entries.count + 1, kind: kind, t: wall, wall: wall)
        fill(&e)
        entries.append(e)
    }

    private func runner(_ m: JSONValue, at t: Double) {
        add(.note, at: t) { $0.action = RunRecord.runnerLabel; $0.data = m.jsonText }
    }

    private func client(_ m: JSONValue, at t: Double) {
        add(.note, at: t) { $0.action = RunRecord.clientLabel; $0.data = m.jsonText }
    }

    private func request(_ name: String, at t: Double, token: String? = nil, status: Int = 200, issue: String? = nil,
                         expires: Int = 2, headers: [(String, String)] = [], body: String? = nil) {
        add(.request, at: t) { e in
            e.method = name == "events" ? "GET" : "POST"
            e.path = APIPath.conference("meet", name)
            e.headers = headers.map { JournalEntry.Field($0.0, $0.1) } + (token.map { [JournalEntry.Field("token", $0)] } ?? [])
            e.body = body
            e.status = status
            if let issue {
                e.response = #"{"status":"success","result":{"token":"\#(issue)","expires":"\#(expires)","participant_uuid":"p1","role":"HOST"}}"#
            }
        }
    }

    private func judge(_ kind: CheckKind, exit: ClientExit = .exited(0)) -> CheckResult {
        kind.evaluate(RunRecord(journal: entries, exit: exit))
    }

    private func joinedSession() {
        runner(["type": "start"], at: 0)
        request("request_token", at: 0.1, issue: "t1")
        client(["type": "joined", "participant_uuid": "p1", "role": "HOST"], at: 0.12)
    }

    /// A browser sends a CORS preflight (OPTIONS) before each cross-origin request; it is the
    /// browser's, not the client's (a web client once failed `requests(request_token, count: 1)`).
    func testCORSPreflightsAreNotTheClientsRequests() {
        runner(["type": "start"], at: 0)
        add(.request, at: 0.05) { e in
            e.method = "OPTIONS"
            e.path = APIPath.conference("meet", "request_token")
            e.status = 204
        }
        request("request_token", at: 0.1, issue: "t1")
        XCTAssertTrue(judge(.requests("request_token", status: nil, min: 1, max: 1)).passed)
        XCTAssertEqual(RunRecord(journal: entries, exit: .exited(0)).requests("*").count, 1)
    }

    func testRefreshCadenceOnTimeWithTheNewestTokenPasses() {
        joinedSession()
        request("refresh_token", at: 1.1, token: "t1", issue: "t2")
        request("refresh_token", at: 2.15, token: "t2", issue: "t3")
        runner(["type": "leave"], at: 2.5)
        XCTAssertTrue(judge(.refreshCadence(early: 0.25, late: 0.75, tolerance: 0.2)).passed)
        XCTAssertTrue(judge(.tokenKeptAlive(minimum: 2, maxPerLifetime: 6)).passed)
    }

    func testPexipSchedulesPassTheCadence() {
        // Android: at once after joining, then every expires/2.
        joinedSession()
        request("refresh_token", at: 0.11, token: "t1", issue: "t2")
        request("refresh_token", at: 1.12, token: "t2", issue: "t3")
        runner(["type": "leave"], at: 1.5)
        XCTAssertTrue(judge(.refreshCadence(early: 0.25, late: 0.75, tolerance: 0.2)).passed)
        // PexRTC: a timer every expires/3; a retry of a dropped refresh just before the next tick.
        entries = []
        joinedSession()
        add(.request, at: 0.77) { e in e.path = APIPath.conference("meet", "refresh_token"); e.headers = [.init("token", "t1")]; e.fault = "drop" }
        request("refresh_token", at: 1.27, token: "t1", issue: "t2")
        request("refresh_token", at: 1.44, token: "t2", issue: "t3")
        request("refresh_token", at: 2.11, token: "t3", issue: "t4")
        runner(["type": "leave"], at: 2.3)
        let r = judge(.refreshCadence(early: 0.25, late: 0.75, tolerance: 0.2))
        XCTAssertTrue(r.passed, r.actual)
    }

    func testRefreshCadenceCatchesLateEarlyStaleAndMissed() {
        joinedSession()
        request("refresh_token", at: 1.95, token: "t1", issue: "t2")                 // 1.85 s after: late
        request("refresh_token", at: 2.05, token: "t2", issue: "t3")                 // 0.1 s after the previous: early
        request("refresh_token", at: 2.6, token: "t2", issue: "t4")                  // an older token, still valid
        runner(["type": "leave"], at: 6)                                             // nothing since t4 at 2.6
        let r = judge(.refreshCadence(early: 0.25, late: 0.75, tolerance: 0.2))
        XCTAssertFalse(r.passed)
        for part in ["#4 came 1.85 s after the token from #2", "#5 came 0.10 s after the previous token's refresh #4",
                     "#6 refreshed with the older token from #4", "no refresh followed the token from #6"] {
            XCTAssertTrue(r.actual.contains(part), "missing '\(part)' in: \(r.actual)")
        }
        XCTAssertTrue(judge(.tokenKeptAlive(minimum: 3, maxPerLifetime: 6)).passed, "the node accepted every refresh")
    }

    func testTokenKeptAliveCatchesExpiryStormAndTooFew() {
        joinedSession()
        for i in 0..<8 { request("refresh_token", at: 0.2 + Double(i) * 0.1, token: "t1", issue: "t1") }
        add(.action, at: 3) { $0.action = "token_expired" }
        let r = judge(.tokenKeptAlive(minimum: 10, maxPerLifetime: 6))
        XCTAssertFalse(r.passed)
        for part in ["the node expired the client's token at 3.00 s", "refresh storm: 8 refresh requests within 2.00 s",
                     "8 refresh(es) answered 200, fewer than 10"] {
            XCTAssertTrue(r.actual.contains(part), "missing '\(part)' in: \(r.actual)")
        }
    }

    func testRefreshFailureHandledByRetryingOrByEndingCleanly() {
        joinedSession()
        add(.request, at: 1.1) { e in
            e.path = APIPath.conference("meet", "refresh_token"); e.headers = [.init("token", "t1")]; e.status = 503; e.fault = "503"
        }
        request("refresh_token", at: 1.4, token: "t1", issue: "t2")
        XCTAssertTrue(judge(.refreshFailureHandled).actual.contains("refreshed again 0.30 s after the failure"))
        entries.removeLast()
        client(["type": "failed", "reason": "unreachable"], at: 1.12)
        request("release_token", at: 1.13, token: "t1")
        XCTAssertTrue(judge(.refreshFailureHandled, exit: .exited(1)).passed, "ending the session is clean")
        request("events", at: 1.9, token: "t1", status: 403)
        XCTAssertFalse(judge(.refreshFailureHandled, exit: .exited(1)).passed, "but not a request afterwards")
        entries.removeLast(3)
        add(.action, at: 2.1) { $0.action = "token_expired" }
        XCTAssertTrue(judge(.refreshFailureHandled).actual.contains("let its token expire"))
        // Ending the session without a release, the node expiring the abandoned token later
        // (before the run ended): still clean. (Once a FAIL, when the client was slow to exit.)
        entries.removeLast()
        client(["type": "failed", "reason": "unreachable"], at: 1.12)
        add(.action, at: 2.1) { $0.action = "token_expired" }
        let abandoned = judge(.refreshFailureHandled, exit: .exited(1))
        XCTAssertTrue(abandoned.passed, abandoned.actual)
        XCTAssertTrue(abandoned.actual.contains("ended the session cleanly"), abandoned.actual)
    }

    func testReleasedJudgesByWhatTheNodeAccepted() {
        joinedSession()
        request("refresh_token", at: 1.1, token: "t1", issue: "t2")
        runner(["type": "leave"], at: 1.2)
        request("release_token", at: 1.25, token: "t1")                              // the older token, still valid: 200
        client(["type": "left"], at: 1.3)
        XCTAssertTrue(judge(.released(within: 1, ifTold: false)).passed)

        entries.removeLast(2)
        request("release_token", at: 2.5, token: "t1", status: 403)
        client(["type": "left"], at: 2.6)
        let late = judge(.released(within: 1, ifTold: false))
        XCTAssertFalse(late.passed)
        XCTAssertTrue(late.actual.contains("released 1.30 s after leave") && late.actual.contains("answered 403 (it carried the token from #2, not the newest from #4)"),
                      late.actual)

        entries.removeLast(2)
        client(["type": "left"], at: 1.22)
        request("release_token", at: 1.25, token: "t2")
        XCTAssertTrue(judge(.released(within: 1, ifTold: false)).actual.contains("reported left before the release was answered"))
        request("release_token", at: 1.26, token: "t2", status: 403)
        XCTAssertTrue(judge(.released(within: 1, ifTold: false)).actual.contains("1 more release_token request(s) after the one answered 200"))
    }

    /// Old tokens revoked on refresh: a refresh answered while the release was on its way refuses
    /// the release that carried the newest token when it left. Not the client's fault; carrying
    /// an older token still is.
    func testReleasedOvertakenByARefreshIsNotTheClientsFault() {
        joinedSession()
        runner(["type": "leave"], at: 1.1)
        request("refresh_token", at: 1.3, token: "t1", issue: "t2")
        request("release_token", at: 1.35, token: "t1", status: 403)
        entries[entries.count - 1].received = 1.2
        client(["type": "left"], at: 1.4)
        XCTAssertTrue(judge(.released(within: 1, ifTold: false)).passed, judge(.released(within: 1, ifTold: false)).actual)

        entries[entries.count - 2].received = 1.32     // sent after the new token came: it should have carried t2
        XCTAssertFalse(judge(.released(within: 1, ifTold: false)).passed)
    }

    /// Without a leave, `released` fails unless the scenario said `if_told` (its leave step is optional).
    func testReleasedIfToldIsNotJudgedWithoutALeave() {
        joinedSession()
        client(["type": "failed", "reason": "protocol"], at: 1)
        XCTAssertFalse(judge(.released(within: 1, ifTold: false), exit: .exited(1)).passed)
        let untold = judge(.released(within: 1, ifTold: true), exit: .exited(1))
        XCTAssertTrue(untold.passed)
        XCTAssertTrue(untold.actual.contains("not judged"), untold.actual)
    }

    /// `ended`: disconnected or failed, any reason, before leave, with the exit status each takes.
    func testEndedAcceptsDisconnectedOrFailedBeforeLeave() {
        joinedSession()
        client(["type": "failed", "reason": "protocol"], at: 1)
        XCTAssertTrue(judge(.ended, exit: .exited(1)).passed)
        XCTAssertEqual(judge(.ended, exit: .exited(0)).actual, "reported failed and exited with status 0")
        XCTAssertTrue(judge(.noRequestAfter(anchor: "ended", except: [], grace: 0.2), exit: .exited(1)).passed)

        entries.removeLast()
        client(["type": "disconnected", "reason": "x"], at: 1)
        XCTAssertTrue(judge(.ended).passed)

        entries.removeLast()
        runner(["type": "leave"], at: 0.9)
        client(["type": "disconnected"], at: 1)
        XCTAssertEqual(judge(.ended).actual, "reported disconnected only after it was told to leave (at +0.90 s)")

        entries.removeLast(2)
        runner(["type": "leave"], at: 0.9)
        client(["type": "left"], at: 1)
        let left = judge(.ended)
        XCTAssertFalse(left.passed)
        XCTAssertTrue(left.actual.hasPrefix("neither disconnected nor failed reported; the client reported: joined, left"), left.actual)
    }

    func testReconnectPacingAndBackoff() {
        joinedSession()
        request("events", at: 0.2, token: "t1")
        add(.action, at: 1) { $0.action = "drop_stream" }
        for t in [1.5, 2.5, 4.0, 6.0] { request("events", at: t, token: "t1", status: 503) }
        XCTAssertTrue(judge(.reconnectPacing(maxPerSecond: 5)).passed)
        let grow = judge(.reconnectBackoff)
        XCTAssertTrue(grow.passed, grow.actual)
        for t in stride(from: 6.1, to: 6.8, by: 0.1) { request("events", at: t, token: "t1", status: 503) }
        let hot = judge(.reconnectPacing(maxPerSecond: 5))
        XCTAssertFalse(hot.passed)
        XCTAssertTrue(hot.actual.contains("hot reconnect loop: 8 event stream requests within one second"), hot.actual)
        XCTAssertFalse(judge(.reconnectBackoff).passed, "delays that shrink do not back off")
    }

    /// A fixed delay with a little scheduling noise is not a growing one (under ThreadSanitizer
    /// a fixed 0.5 s client once passed `reconnect_backoff` by luck).
    func testAFixedReconnectDelayWithNoiseDoesNotCountAsBackoff() {
        joinedSession()
        add(.action, at: 1) { $0.action = "drop_stream" }
        for t in [1.5, 2.03, 2.55, 3.12] { request("events", at: t, token: "t1", status: 503) }
        XCTAssertFalse(judge(.reconnectBackoff).passed, judge(.reconnectBackoff).actual)
    }

    func testLevelsMakeTheVerdict() {
        joinedSession()
        client(["type": "left"], at: 1)
        let results = Judge.evaluate([CheckSpec(.left), CheckSpec(.reported("roster", fields: [:], min: 1, max: nil), level: .should)],
                                     RunRecord(journal: entries, exit: .exited(0)))
        XCTAssertEqual(Verdict(results), .warn)
        XCTAssertEqual(results.first { $0.name.hasPrefix("reported(roster") }?.level, .should)
        XCTAssertEqual(results.last?.level, .info, "the not-simulated observation comes last")
        let failing = Judge.evaluate([CheckSpec(.reported("roster", fields: [:], min: 1, max: nil))], RunRecord(journal: entries, exit: .exited(0)))
        XCTAssertEqual(Verdict(failing), .fail)
    }

    func testRequestsTheNodeDoesNotSimulateAreObserved() {
        joinedSession()
        for _ in 0..<2 {
            add(.request, at: 0.2) { e in
                e.method = "GET"; e.path = APIPath.conference("meet", "available_layouts"); e.status = 404
                e.response = #"{"status":"success","result":"Unknown request"}"#
            }
        }
        let all = Judge.evaluate([], RunRecord(journal: entries, exit: .exited(0)))
        let info = all.last!
        XCTAssertEqual(info.level, .info)
        XCTAssertEqual(info.actual, "answered 404 Unknown request: GET available_layouts ×2")
        XCTAssertEqual(Verdict(all), .fail, "the protocol check fails (no terminal report), the observation does not count")
        XCTAssertFalse(info.counts)
    }

    func testNoRequestAfterHonoursExceptionsAndGrace() {
        joinedSession()
        add(.event, at: 1) { $0.event = "disconnect"; $0.participant = "p1" }
        client(["type": "disconnected", "reason": "x"], at: 1.01)
        request("release_token", at: 1.02, token: "t1")
        XCTAssertTrue(judge(.noRequestAfter(anchor: "disconnect_event", except: ["release_token"], grace: 0)).passed)
        request("events", at: 1.5, token: "t1", status: 403)
        let r = judge(.noRequestAfter(anchor: "disconnected", except: ["release_token"], grace: 0.2))
        XCTAssertFalse(r.passed)
        XCTAssertTrue(r.actual.contains("events at +0.49 s"), r.actual)
        XCTAssertFalse(judge(.noRequestAfter(anchor: "failed", except: [], grace: 0)).passed, "an anchor that never came fails")
    }

    func testPinHeaderWantsTheHeaderNotTheBody() {
        runner(["type": "start"], at: 0)
        add(.request, at: 0.1) { e in
            e.path = APIPath.conference("meet", "request_token")
            e.status = 403
            e.response = #"{"status":"success","result":{"pin":"required","guest_pin":"required"}}"#
        }
        client(["type": "pin_required", "guest_pin": "required"], at: 0.11)
        request("request_token", at: 0.2, status: 403, body: #"{"display_name":"A","pin":"1234"}"#)
        let r = judge(.pinHeader(pin: "1234"))
        XCTAssertFalse(r.passed)
        XCTAssertTrue(r.actual.contains("pin header absent, PIN in the body → 403"), r.actual)
        XCTAssertTrue(judge(.askedForPIN(guestPIN: "required")).passed)
        XCTAssertFalse(judge(.askedForPIN(guestPIN: "none")).passed)
        request("request_token", at: 0.3, issue: "t1", headers: [("pin", "1234")])
        XCTAssertTrue(judge(.pinHeader(pin: "1234")).passed)
    }

    func testEndingsAndExitStatusGoTogether() {
        joinedSession()
        client(["type": "failed", "reason": "invalid_pin"], at: 0.2)
        XCTAssertTrue(judge(.failed(reason: "invalid_pin"), exit: .exited(1)).passed)
        XCTAssertFalse(judge(.failed(reason: "invalid_pin"), exit: .exited(0)).passed)
        XCTAssertFalse(judge(.failed(reason: "not_found"), exit: .exited(1)).passed)
        let all = Judge.evaluate([], RunRecord(journal: entries, exit: .exited(0), protocolErrors: ["oops"]))
        XCTAssertEqual(all.map(\.name), ["client exited by itself", "driver protocol", "timeline", "requests not simulated"])
        XCTAssertFalse(all[1].passed)
        XCTAssertTrue(all[1].actual.contains("not a JSON object") && all[1].actual.contains("reported failed but exited with status 0"))
        let killed = Judge.evaluate([], RunRecord(journal: entries, exit: .killed))
        XCTAssertFalse(killed[0].passed)
    }

    func testRosterMessagesAndReportCounts() {
        joinedSession()
        client(["type": "roster", "participants": [["uuid": "p1", "display_name": "A"], ["uuid": "p2", "display_name": "B"]]], at: 0.2)
        client(["type": "message", "origin": "B", "uuid": "p2", "text": "two"], at: 0.3)
        client(["type": "message", "origin": "B", "uuid": "p2", "text": "one"], at: 0.4)
        XCTAssertTrue(judge(.roster(["B", "A"])).passed)
        XCTAssertFalse(judge(.roster(["A"])).passed)
        XCTAssertTrue(judge(.message(origin: "B", text: "one")).passed)
        XCTAssertFalse(judge(.messages(["one", "two"])).passed, "order matters")
        XCTAssertTrue(judge(.reported("message", fields: ["origin": "B"], min: 2, max: 2)).passed)
        XCTAssertFalse(judge(.reported("reconnected", fields: [:], min: 1, max: nil)).passed)
        XCTAssertTrue(judge(.requests("request_*", status: 200, min: 1, max: 1)).passed)
    }
}
