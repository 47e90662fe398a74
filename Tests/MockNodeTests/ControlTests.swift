import Foundation
import MicroHTTP
import MockNode
import MockNodeTesting
import PexipWire
import XCTest

final class ControlTests: XCTestCase {
    func testKeepaliveCommentsOnTheStream() throws {
        var c = ConferenceConfig(alias: "meet")
        c.keepaliveInterval = 0.05
        let h = try NodeHarness([c])
        let a = try h.join("meet", name: "A")
        let events = try h.listen("meet", token: a.token)
        while events.commentCount == 0 { _ = try events.nextChunk() }
        XCTAssertTrue(events.rawText.contains(": keepalive\n"))
    }

    func testDroppedStreamReconnectGetsAFreshBurstAndParticipantStays() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "A")
        let first = try h.listen("meet", token: a.token)
        try h.node.dropStreams(of: a.uuid)
        _ = try first.drain()
        XCTAssertEqual(first.ending, .cut)
        XCTAssertEqual(h.node.participants().count, 1)
        let second = try h.openEvents("meet", token: a.token)
        XCTAssertEqual(try second.read(until: "participant_sync_end").map(\.event),
                       ["conference_update", "participant_sync_begin", "participant_create", "participant_sync_end"])
        XCTAssertNotNil(h.node.waitForJournal { $0.kind == .streamClose && $0.reason == "error" })
    }

    func testStalledStreamGetsNothingAndJournalSaysSo() throws {
        var c = ConferenceConfig(alias: "meet")
        c.keepaliveInterval = 0.05
        let h = try NodeHarness([c])
        let a = try h.join("meet", name: "A")
        let events = try h.listen("meet", token: a.token)
        try h.node.stallStreams(of: a.uuid)
        let mark = h.node.journalHead
        try h.node.inject(event: "splash_screen", data: "null", to: .participant(a.uuid))
        let entry = try XCTUnwrap(h.node.waitForJournal(after: mark) { $0.kind == .event })
        XCTAssertEqual(entry.delivered, false)
        events.client.timeout = 0.3
        XCTAssertThrowsError(try events.next()) { XCTAssertEqual($0 as? LoopbackClientError, .timedOut) }
    }

    func testInjectToConferenceAndEveryone() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "one"), ConferenceConfig(alias: "two")])
        let a = try h.join("one", name: "A")
        let b = try h.join("two", name: "B")
        let aEvents = try h.openEvents("one", token: a.token)
        let bEvents = try h.openEvents("two", token: b.token)
        _ = try aEvents.read(until: "presentation_stop")
        _ = try bEvents.read(until: "presentation_stop")
        XCTAssertEqual(try h.node.inject(event: "on_hold", data: #"{"setting":true}"#, to: .conference("one")), 1)
        XCTAssertEqual(try aEvents.next()?.event, "on_hold")
        XCTAssertEqual(try h.node.inject(event: "refresh_token", data: "null", to: .everyone), 2)
        XCTAssertEqual(try aEvents.next()?.event, "refresh_token")
        XCTAssertEqual(try bEvents.next()?.event, "refresh_token")
        XCTAssertThrowsError(try h.node.inject(event: "x", data: "not json", to: .everyone))
    }

    func testFaultRulesStatusDelayDrop() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "A")
        try h.node.addFault(FaultRule(request: "refresh_token", .status(503), count: 2))
        XCTAssertEqual(try h.call("POST", "meet", "refresh_token", token: a.token).status, 503)
        XCTAssertEqual(try h.call("POST", "meet", "refresh_token", token: a.token).status, 503)
        XCTAssertEqual(try h.call("POST", "meet", "refresh_token", token: a.token).status, 200, "count exhausted")

        try h.node.addFault(FaultRule(request: "participants", method: "GET", .drop))
        XCTAssertThrowsError(try h.call("GET", "meet", "participants", token: a.token))
        XCTAssertEqual(try h.call("GET", "meet", "participants", token: a.token).status, 200)

        try h.node.addFault(FaultRule(request: "conference_status", .delay(0.2)))
        let started = Date()
        XCTAssertEqual(try h.call("GET", "meet", "conference_status", token: a.token).status, 200)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.19)

        let faulted = h.node.journal().filter { $0.fault != nil }
        XCTAssertEqual(faulted.count, 4)
        XCTAssertEqual(faulted.first?.status, 503)
        XCTAssertThrowsError(try h.node.addFault(FaultRule(request: "x", .status(99))))
    }

    func testJournalRecordsRequestsEventsAndActionsInOrder() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "Alice")
        let events = try h.listen("meet", token: a.token)
        try h.node.eject(a.uuid, reason: "bye")
        h.passCutDelay()
        _ = try events.drain()
        XCTAssertNotNil(h.node.waitForJournal { $0.kind == .streamClose })
        let j = h.node.journal()
        XCTAssertEqual(j.map(\.seq), Array(1...j.count), "seq without gaps")
        let kinds = j.map { $0.kind == .event ? "event:\($0.event!)" : $0.kind == .action ? "action:\($0.action!)" : $0.kind.rawValue }
        XCTAssertEqual(kinds, ["request", "request", "stream_open", "event:conference_update", "event:participant_sync_begin",
                               "event:participant_create", "event:participant_sync_end", "event:stage",
                               "event:presentation_stop", "action:eject", "event:disconnect", "action:conference_ended",
                               "stream_close"])
        let tokenRequest = j[0]
        XCTAssertEqual(tokenRequest.method, "POST")
        XCTAssertEqual(tokenRequest.request, "request_token")
        XCTAssertEqual(tokenRequest.status, 200)
        XCTAssertEqual(tokenRequest.participant, a.uuid)
        XCTAssertEqual(tokenRequest.alias, "meet")
        XCTAssertTrue(tokenRequest.body?.contains("Alice") ?? false)
        XCTAssertTrue(tokenRequest.response?.contains(a.token) ?? false)
        XCTAssertEqual(j[1].token, a.token)
        XCTAssertEqual(j[1].response, "(event stream)")
        XCTAssertEqual(j.first { $0.event == "disconnect" }?.data, #"{"reason":"bye"}"#)
        XCTAssertTrue(j.allSatisfy { $0.t >= 0 && $0.wall >= 0 })
    }

    func testControlAPIOverHTTP() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        func control(_ method: String, _ path: String, _ body: String? = nil) throws -> (Int, JSONValue?) {
            let r = try LoopbackClient.request(port: h.port, method: method, target: "/_mock" + path,
                                               body: Array((body ?? "").utf8))
            return (r.status, JSONValue.parse(r.body))
        }
        XCTAssertEqual(try control("GET", "").0, 200)
        let (status, defined) = try control("PUT", "/conferences/pinned", #"{"host_pin":"1234","expires":30}"#)
        XCTAssertEqual(status, 200)
        XCTAssertEqual(defined?["expires"], .number(30))
        XCTAssertEqual(try h.call("POST", "pinned", "request_token", body: "{}").status, 403)
        let (badStatus, bad) = try control("PUT", "/conferences/x", #"{"host_pin":"12"}"#)
        XCTAssertEqual(badStatus, 400)
        XCTAssertTrue(bad?["error"]?.stringValue?.contains("4 to 10 digits") ?? false)

        let a = try h.join("meet", name: "Alice")
        let events = try h.listen("meet", token: a.token)
        let (_, added) = try control("POST", "/conferences/meet/participants", #"{"display_name":"Sim","role":"guest"}"#)
        let sim = try XCTUnwrap(added?["uuid"]?.stringValue)
        XCTAssertEqual(JSONValue.parse(try XCTUnwrap(events.read(until: "participant_create").last).data)?["display_name"], "Sim")
        XCTAssertEqual(try control("POST", "/participants/\(sim)/message", #"{"text":"hello"}"#).0, 200)
        XCTAssertEqual(JSONValue.parse(try XCTUnwrap(events.read(until: "message_received").last).data)?["payload"], "hello")
        XCTAssertEqual(try control("POST", "/events", #"{"event":"stage","data":[],"alias":"meet"}"#).1?["recipients"], .number(1))
        XCTAssertEqual(try control("POST", "/faults", #"{"request":"refresh_token","status":502}"#).0, 200)
        let (_, faults) = try control("GET", "/faults")
        XCTAssertEqual(faults?.arrayValue?.count, 1)
        XCTAssertEqual(faults?.arrayValue?.first?["request"], "refresh_token", "named as in scenario files")
        XCTAssertEqual(try h.call("POST", "meet", "refresh_token", token: a.token).status, 502)
        let (_, participants) = try control("GET", "/participants?alias=meet")
        XCTAssertEqual(participants?.arrayValue?.count, 2)
        XCTAssertEqual(try control("POST", "/participants/\(a.uuid)/eject", #"{"reason":"Kicked"}"#).0, 200)
        h.passCutDelay()
        XCTAssertEqual(JSONValue.parse(try XCTUnwrap(events.drain().last).data)?["reason"], "Kicked")
        let (_, journal) = try control("GET", "/journal?after=0")
        XCTAssertGreaterThan(journal?["entries"]?.arrayValue?.count ?? 0, 5)
        XCTAssertEqual(try control("POST", "/clock/advance", #"{"seconds":5}"#).0, 200)
        XCTAssertEqual(try control("POST", "/participants/nobody/expire").0, 404)
        XCTAssertEqual(try control("GET", "/nonsense").0, 404)
        XCTAssertEqual(try control("POST", "/reset").0, 200)
        XCTAssertEqual(h.node.conferences().map(\.alias), ["meet"])
        XCTAssertEqual(h.node.journal().count, 0)
    }

    /// Nonsense the control API once took with 200 (or turned into something else) gets 400/409
    /// with a reason, and changes nothing.
    func testControlAPIRefusesNonsense() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        /// "STATUS error-text"
        func control(_ method: String, _ path: String, _ body: String) throws -> String {
            let r = try LoopbackClient.request(port: h.port, method: method, target: "/_mock" + path, body: Array(body.utf8))
            return "\(r.status) " + (JSONValue.parse(r.body)?["error"]?.stringValue ?? "")
        }
        let a = try h.join("meet", name: "Alice")
        let events = try h.listen("meet", token: a.token)
        XCTAssertEqual(try control("POST", "/events", #"{"event":"stage\ndata: injected","alias":"meet"}"#),
                       "400 an event name must be 1 to 100 printable ASCII characters, no spaces or line breaks (got 'stage\\u{a}data: injected')")
        XCTAssertEqual(try control("POST", "/events", #"{"event":"stage","alias":7}"#), "400 alias must be text (got 7)")
        XCTAssertEqual(try control("POST", "/maintenance", #"{"on":"false"}"#), #"400 on must be true or false (got "false")"#)
        XCTAssertEqual(try control("POST", "/maintenance", #"{"on":0}"#), "400 on must be true or false (got 0)")
        XCTAssertEqual(try control("POST", "/participants/\(a.uuid)/update", #"{"muted":"yes"}"#), #"400 muted must be true or false (got "yes")"#)
        XCTAssertEqual(try control("POST", "/participants/\(a.uuid)/update", #"{"display_name":5}"#), "400 display_name must be text (got 5)")
        XCTAssertEqual(try control("POST", "/participants/\(a.uuid)/update", #"{"mute":true}"#).hasPrefix("400 "), true)
        XCTAssertEqual(try control("POST", "/conferences/meet/participants", #"{"display_name":"Twin","uuid":"\#(a.uuid)"}"#),
                       "409 a participant with uuid '\(a.uuid)' is already on the node; give another uuid or none")
        XCTAssertEqual(try control("POST", "/faults", #"{"path":"refresh_token","status":101}"#), "400 fault rule: a status fault needs status 200-599",
                       "'path', the earlier name of 'request', still works")
        XCTAssertEqual(try control("POST", "/faults", #"{"status":503}"#), "400 missing field 'request'")
        XCTAssertEqual(try control("POST", "/faults", #"{"path":"events","delay":1e300}"#), "400 fault rule: delay must be 0 to 3600 seconds (got 1e+300)")
        XCTAssertEqual(try control("POST", "/faults", #"{"path":"events","status":503,"count":-1}"#).hasPrefix("400 "), true)
        XCTAssertEqual(try control("POST", "/faults", "[1]"), "400 body must be a JSON object")
        XCTAssertEqual(try control("PUT", "/conferences/slow", #"{"keepalive_interval":1e-9}"#).hasPrefix("400 "), true)
        XCTAssertFalse(h.node.journal().contains { $0.action == "maintenance_on" })
        XCTAssertEqual(h.node.participants(in: "meet").map(\.displayName), ["Alice"])
        XCTAssertTrue(h.node.faults().isEmpty)
        XCTAssertEqual(try h.call("POST", "meet", "refresh_token", token: a.token).status, 200)
        XCTAssertEqual(try h.node.inject(event: "marker", to: .participant(a.uuid)), 1)
        XCTAssertEqual(try events.read(until: "marker").map(\.event), ["marker"], "nothing was injected before it")

        let manual = try NodeHarness([ConferenceConfig(alias: "meet")]) { $0.clock = ManualClock() }
        let r = try LoopbackClient.request(port: manual.port, method: "POST", target: "/_mock/clock/advance", body: Array(#"{"seconds":1e999}"#.utf8))
        XCTAssertEqual(r.status, 400, String(decoding: r.body, as: UTF8.self))
        XCTAssertThrowsError(try manual.node.advanceClock(by: -1))
    }

    func testNotesJoinTheJournalInOrderWithTheirData() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let first = try h.node.note("client", data: #"{"type":"joined"}"#)
        _ = try h.join("meet", name: "A")
        let r = try LoopbackClient.request(port: h.port, method: "POST", target: "/_mock/journal/note",
                                           body: Array(#"{"label":"step","data":[1]}"#.utf8))
        XCTAssertEqual(r.status, 200)
        let entries = h.node.journal()
        XCTAssertEqual(entries.first, first)
        XCTAssertEqual(first.kind, .note)
        XCTAssertEqual(entries.last?.kind, .note)
        XCTAssertEqual(entries.last?.action, "step")
        XCTAssertEqual(entries.last?.data, "[1]")
        XCTAssertThrowsError(try h.node.note("bad", data: "{nope"))
    }

    func testExpireTokenNowAndReferAndRefreshRequest() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet"), ConferenceConfig(alias: "other")])
        let a = try h.join("meet", name: "A")
        let events = try h.listen("meet", token: a.token)
        let grant = try h.node.refer(a.uuid, to: "other")
        let refer = try XCTUnwrap(events.next())
        XCTAssertEqual(refer.event, "refer")
        XCTAssertEqual(JSONValue.parse(refer.data), ["alias": "other", "token": .string(grant)])
        try h.node.expireToken(of: a.uuid)
        h.passCutDelay()
        XCTAssertEqual(JSONValue.parse(try XCTUnwrap(events.drain().last).data)?["reason"], "Token expired")
        XCTAssertEqual(try h.call("POST", "meet", "refresh_token", token: a.token).status, 403)
    }

    func testSimulatedParticipantsFromConfigAppearInRoster() throws {
        var c = ConferenceConfig(alias: "meet")
        c.participants = [.init(displayName: "Room A", role: .chair), .init(displayName: "Bob")]
        let h = try NodeHarness([c])
        let a = try h.join("meet", name: "Me")
        let burst = try h.openEvents("meet", token: a.token).read(until: "participant_sync_end")
        XCTAssertEqual(burst.filter { $0.event == "participant_create" }.compactMap { JSONValue.parse($0.data)?["display_name"]?.stringValue },
                       ["Room A", "Bob", "Me"])
        let r = try h.call("GET", "meet", "participants", token: a.token)
        XCTAssertEqual(r.json?["result"]?.arrayValue?.count, 3)
    }

    func testInvalidConfigurationIsRefused() {
        XCTAssertThrowsError(try MockNode(conferences: [ConferenceConfig(alias: "a"), ConferenceConfig(alias: "A")]))
        XCTAssertThrowsError(try MockNode(conferences: [ConferenceConfig(alias: "g", guestPIN: "1234")])) {
            XCTAssertTrue("\($0)".contains("host PIN"), "\($0)")
        }
    }

    func testManyClientsInManyConferencesConcurrently() throws {
        let conferences = (0..<8).map { ConferenceConfig(alias: "room\($0)") }
        let h = try NodeHarness(conferences)
        let port = h.port
        DispatchQueue.concurrentPerform(iterations: 8) { room in
            for i in 0..<10 {
                let body = Array(#"{"display_name":"p\#(i)"}"#.utf8)
                let r = try? LoopbackClient.request(port: port, method: "POST",
                                                    target: APIPath.conference("room\(room)", "request_token"), body: body)
                XCTAssertEqual(r?.status, 200)
            }
        }
        for room in 0..<8 { XCTAssertEqual(h.node.participants(in: "room\(room)").count, 10) }
        let j = h.node.journal()
        XCTAssertEqual(j.map(\.seq), Array(1...j.count))
        // Every participant_create event went to a member of the same conference.
        let roomOf = Dictionary(uniqueKeysWithValues: h.node.participants().map { ($0.uuid, $0.alias) })
        for e in j where e.event == "participant_create" {
            let subject = JSONValue.parse(e.data ?? "")?["uuid"]?.stringValue ?? ""
            XCTAssertEqual(roomOf[e.participant ?? ""], roomOf[subject])
        }
    }
}

final class JournalLimitTests: XCTestCase {
    func testLimitKeepsTheNewestEntriesInOrderAndCountsTheDropped() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")]) { $0.journalLimit = 5 }
        for _ in 0..<12 { _ = try h.call("GET", "meet", "conference_status", token: "x") }
        let j = h.node.journal()
        XCTAssertEqual(j.map(\.seq), [8, 9, 10, 11, 12])
        XCTAssertEqual(h.node.journalDropped, 7)
        XCTAssertEqual(h.node.journal(after: 10).map(\.seq), [11, 12])
        XCTAssertEqual(h.node.journal(after: 2).map(\.seq), [8, 9, 10, 11, 12])
        XCTAssertTrue(j.allSatisfy { $0.status == 403 }, "entries updated after append keep their answers")
    }

    /// A large body is cut and marked; once the journal kept every byte of every body.
    func testLargeBodiesAreCutAndMarked() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "A")
        let text = "a" + String(repeating: "é", count: 30_000)  // 60,001 bytes; 16384 falls inside an é
        let body = #"{"type":"text/plain","payload":"\#(text)"}"#
        XCTAssertEqual(try h.call("POST", "meet", "message", token: a.token, body: body).status, 200)
        let entry = try XCTUnwrap(h.node.journal().last { $0.request == "message" })
        XCTAssertEqual(entry.cut, ["body": body.utf8.count])
        XCTAssertEqual(entry.body?.utf8.count ?? 0, JournalEntry.fieldLimit - 1, "cut at a character boundary")
        XCTAssertTrue(body.hasPrefix(try XCTUnwrap(entry.body)))
        let json = try XCTUnwrap(JSONValue.parse(JSONValue.from(entry).jsonText))
        XCTAssertEqual(json["cut"]?["body"], .number(Double(body.utf8.count)))
    }

    /// The journal is bounded in bytes as well as entries (once only entries: 100,000 large
    /// requests could keep gigabytes).
    func testByteLimitKeepsTheNewestEntries() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")]) { $0.journalByteLimit = 256 << 10 }
        let a = try h.join("meet", name: "A")
        let body = #"{"type":"text/plain","payload":"\#(String(repeating: "x", count: 60_000))"}"#
        for _ in 0..<100 { XCTAssertEqual(try h.call("POST", "meet", "message", token: a.token, body: body).status, 200) }
        let j = h.node.journal()
        XCTAssertLessThanOrEqual(h.node.journalBytes, 256 << 10)
        XCTAssertGreaterThan(h.node.journalDropped, 0)
        XCTAssertEqual(j.map(\.seq), Array(j[0].seq...j[j.count - 1].seq), "the newest, without gaps")
        XCTAssertEqual(j.last?.request, "message")
        XCTAssertEqual(h.node.journalDropped + j.count, j[j.count - 1].seq)
    }

    /// `GET /_mock/journal` answers a page at a time (once everything at once: 88 MB).
    func testJournalEndpointIsPaged() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        for i in 0..<2_500 { try h.node.note("n", data: "\(i)") }
        func page(_ query: String) throws -> (status: Int, json: JSONValue?) {
            let r = try LoopbackClient.request(port: h.port, target: "/_mock/journal" + query)
            return (r.status, JSONValue.parse(r.body))
        }
        var seen: [Int] = []
        var after = 0
        var pages = 0
        while true {
            let (status, json) = try page("?after=\(after)")
            XCTAssertEqual(status, 200)
            let entries = try XCTUnwrap(json?["entries"]?.arrayValue)
            XCTAssertLessThanOrEqual(entries.count, 1_000)
            seen += entries.compactMap { $0["seq"]?.numberValue.map(Int.init) }
            after = Int(try XCTUnwrap(json?["next"]?.numberValue))
            pages += 1
            if json?["more"] != .bool(true) { break }
            XCTAssertLessThan(pages, 10)
        }
        XCTAssertEqual(seen, Array(1...2_500))
        XCTAssertEqual(pages, 3)
        XCTAssertEqual(try page("?after=10&limit=5").json?["entries"]?.arrayValue?.count, 5)
        XCTAssertEqual(try page("?limit=0").status, 400)
        XCTAssertEqual(try page("?after=soon").status, 400)
        XCTAssertEqual(try page("?after=2500").json?["entries"]?.arrayValue?.count, 0)
        XCTAssertEqual(try page("?after=2500").json?["more"], .bool(false))
    }
}
