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

    func testRefreshCadenceOnTimeWithTheNewestTokenPasses() {
        joinedSession()
        request("refresh_token", at: 1.1, token: "t1", issue: "t2")
        request("refresh_token", at: 2.15, token: "t2", issue: "t3")
        runner(["type": "leave"], at: 2.5)
        XCTAssertTrue(judge(.refreshCadence(fraction: 0.5, tolerance: 0.2, minimum: 2)).passed)
    }

    func testRefreshCadenceCatchesLateStaleMissedAndExpired() {
        joinedSession()
        request("refresh_token", at: 1.6, token: "t1", issue: "t2")                  // 1.5 s after: late
        request("refresh_token", at: 2.6, token: "t1", issue: "t3")                  // the older token, expired at 2.1
        runner(["type": "leave"], at: 6)                                             // nothing since t3 at 2.6
        let r = judge(.refreshCadence(fraction: 0.5, tolerance: 0.2, minimum: 3))
        XCTAssertFalse(r.passed)
        for part in ["#4 came 1.50 s after the token from #2", "#5 refreshed with the older token from #2",
                     "#5 used a token that had expired 0.50 s before", "no refresh followed the token from #5",
                     "2 successful refresh(es), fewer than 3"] {
            XCTAssertTrue(r.actual.contains(part), "missing '\(part)' in: \(r.actual)")
        }
        XCTAssertTrue(r.evidence.contains(5))
    }

    func testRetriesAreNotTimedButMustStillCarryTheNewestToken() {
        joinedSession()
        request("refresh_token", at: 1.1, token: "t1", status: 503)
        request("refresh_token", at: 1.35, token: "t1", issue: "t2")
        runner(["type": "leave"], at: 1.5)
        XCTAssertTrue(judge(.refreshCadence(fraction: 0.5, tolerance: 0.2, minimum: 1)).passed)
    }

    func testReleasedWantsOneTimelyReleaseOfTheNewestTokenBeforeLeft() {
        joinedSession()
        request("refresh_token", at: 1.1, token: "t1", issue: "t2")
        runner(["type": "leave"], at: 1.2)
        request("release_token", at: 1.25, token: "t2")
        client(["type": "left"], at: 1.3)
        XCTAssertTrue(judge(.released(within: 1)).passed)

        entries.removeLast(2)
        request("release_token", at: 2.5, token: "t1")
        client(["type": "left"], at: 2.6)
        let late = judge(.released(within: 1))
        XCTAssertFalse(late.passed)
        XCTAssertTrue(late.actual.contains("released 1.30 s after leave") && late.actual.contains("other than the newest"), late.actual)

        entries.removeLast(2)
        client(["type": "left"], at: 1.22)
        request("release_token", at: 1.25, token: "t2")
        XCTAssertTrue(judge(.released(within: 1)).actual.contains("reported left before the release was answered"))
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
        XCTAssertEqual(all.map(\.name), ["client exited by itself", "driver protocol", "timeline"])
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
