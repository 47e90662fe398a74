import MicroHTTP
import MockNode
import PexipWire
import XCTest

final class SessionTests: XCTestCase {
    func testInitialBurstOrderAndPayloads() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "Alice")
        let events = try h.openEvents("meet", token: a.token)
        XCTAssertEqual(events.status, 200)
        XCTAssertEqual(events.headers["Content-Type"], "text/event-stream")
        let burst = try events.read(until: "presentation_stop")
        XCTAssertEqual(burst.map(\.event), ["conference_update", "participant_sync_begin", "participant_create",
                                            "participant_sync_end", "stage", "presentation_stop"])
        XCTAssertEqual(burst[1].data, "null")
        XCTAssertEqual(burst[3].data, "null")
        XCTAssertEqual(burst[5].data, "{}")
        let me = try XCTUnwrap(JSONValue.parse(burst[2].data))
        XCTAssertEqual(me["uuid"]?.stringValue, a.uuid)
        XCTAssertEqual(me["role"], "chair")
        XCTAssertEqual(me["is_muted"], "NO")
        XCTAssertEqual(JSONValue.parse(burst[4].data)?.arrayValue?.first?["participant_uuid"]?.stringValue, a.uuid)
        // ids: base64 of "<stream>_<seq>", increasing.
        let decoded = burst.map { String(decoding: Data(base64Encoded: $0.id) ?? Data(), as: UTF8.self) }
        XCTAssertEqual(decoded.map { $0.split(separator: "_").last.map(String.init) }, ["1", "2", "3", "4", "5", "6"])
    }

    func testEventsAcceptTokenInQueryAndRefuseBadTokens() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "Alice")
        XCTAssertEqual(try h.openEvents("meet", token: a.token, viaQuery: true).status, 200)
        let bad = try h.call("GET", "meet", "events", token: "not-a-token")
        XCTAssertEqual(bad.status, 403)
        XCTAssertEqual(bad.json, ["status": "success", "result": "Invalid token"])
        XCTAssertEqual(try h.call("GET", "meet", "events").status, 403, "missing token")
    }

    func testTwoParticipantsSeeEachOtherChatAndLeave() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "Alice")
        let aEvents = try h.listen("meet", token: a.token)
        let b = try h.join("meet", name: "Bob")
        let created = try aEvents.read(until: "participant_create").last
        XCTAssertEqual(JSONValue.parse(created?.data ?? "")?["display_name"], "Bob")
        let bEvents = try h.openEvents("meet", token: b.token)
        let bBurst = try bEvents.read(until: "participant_sync_end")
        XCTAssertEqual(Set(bBurst.filter { $0.event == "participant_create" }.compactMap { JSONValue.parse($0.data)?["display_name"]?.stringValue }),
                       ["Alice", "Bob"])
        _ = try bEvents.read(until: "presentation_stop")

        XCTAssertEqual(try h.call("POST", "meet", "message", token: b.token, body: #"{"type":"text/plain","payload":"hi all"}"#).status, 200)
        let msg = try XCTUnwrap(aEvents.read(until: "message_received").last)
        XCTAssertEqual(JSONValue.parse(msg.data), ["origin": "Bob", "uuid": .string(b.uuid), "type": "text/plain",
                                                  "payload": "hi all", "direct": false])
        XCTAssertEqual(try h.call("POST", "meet", "participants/\(b.uuid)/message", token: a.token,
                                  body: #"{"type":"text/plain","payload":"psst"}"#).status, 200)
        let direct = try XCTUnwrap(bEvents.read(until: "message_received").last)
        XCTAssertEqual(JSONValue.parse(direct.data)?["direct"], true)
        XCTAssertEqual(JSONValue.parse(direct.data)?["payload"], "psst")

        let release = try h.call("POST", "meet", "release_token", token: b.token)
        XCTAssertEqual(release.status, 200)
        XCTAssertEqual(release.json, ["status": "success", "result": true])
        let deleted = try XCTUnwrap(aEvents.read(until: "participant_delete").last)
        XCTAssertEqual(JSONValue.parse(deleted.data), ["uuid": .string(b.uuid)])
        _ = try bEvents.drain()
        XCTAssertEqual(bEvents.ending, .end, "a released participant's stream ends cleanly")
        XCTAssertEqual(try h.call("GET", "meet", "participants", token: b.token).status, 403, "released token")
        XCTAssertEqual(try h.call("POST", "meet", "release_token", token: b.token).status, 403)
    }

    func testConferenceEndsWhenLastLeaves() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "Alice")
        XCTAssertEqual(try h.call("POST", "meet", "lock", token: a.token).status, 200)
        XCTAssertEqual(try h.node.status(of: "meet").locked, true)
        XCTAssertEqual(try h.call("POST", "meet", "release_token", token: a.token).status, 200)
        XCTAssertEqual(try h.node.status(of: "meet").locked, false, "a new conference instance starts unlocked")
        XCTAssertEqual(try h.node.status(of: "meet").started, false)
        XCTAssertNotNil(h.node.journal().first { $0.action == "conference_ended" })
    }

    func testRefreshGivesNewTokenSameParticipantAndOldStaysValidByDefault() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "Alice")
        let r = try h.call("POST", "meet", "refresh_token", token: a.token)
        XCTAssertEqual(r.status, 200)
        let result = try XCTUnwrap(r.json?["result"])
        XCTAssertEqual(Set(result.objectValue?.keys.map { $0 } ?? []), ["token", "expires", "role"])
        XCTAssertEqual(result["expires"], "120")
        XCTAssertEqual(result["role"], "HOST")
        let newToken = try XCTUnwrap(result["token"]?.stringValue)
        XCTAssertNotEqual(newToken, a.token)
        XCTAssertEqual(h.node.participants().first?.uuid, a.uuid)
        XCTAssertEqual(h.node.participants().first?.refreshCount, 1)
        XCTAssertEqual(try h.call("GET", "meet", "participants", token: a.token).status, 200, "old token valid until its expiry")
        XCTAssertEqual(try h.call("GET", "meet", "participants", token: newToken).status, 200)
    }

    func testRevokeOnRefreshInvalidatesOldTokenAtOnce() throws {
        var c = ConferenceConfig(alias: "strict")
        c.revokeOnRefresh = true
        let h = try NodeHarness([c])
        let a = try h.join("strict", name: "A")
        XCTAssertEqual(try h.call("POST", "strict", "refresh_token", token: a.token).status, 200)
        XCTAssertEqual(try h.call("GET", "strict", "participants", token: a.token).status, 403)
    }

    func testExpiryEjectsWithDisconnectThenCutsStream() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet", expires: 30)])
        let a = try h.join("meet", name: "Alice")
        let b = try h.join("meet", name: "Bob")
        let aEvents = try h.openEvents("meet", token: a.token)
        let bEvents = try h.openEvents("meet", token: b.token)
        _ = try aEvents.read(until: "presentation_stop")
        _ = try bEvents.read(until: "presentation_stop")
        // Bob refreshes at 20s, Alice does not.
        h.clock.advance(by: 20)
        let refreshed = try h.call("POST", "meet", "refresh_token", token: b.token)
        let bobToken = try XCTUnwrap(refreshed.json?["result"]?["token"]?.stringValue)
        h.clock.advance(by: 10)
        h.passCutDelay()
        let last = try XCTUnwrap(aEvents.drain().last)
        XCTAssertEqual(last.event, "disconnect")
        XCTAssertEqual(JSONValue.parse(last.data), ["reason": "Token expired"])
        XCTAssertEqual(aEvents.ending, .cut, "never a clean end for an ejected participant")
        let deleted = try XCTUnwrap(bEvents.read(until: "participant_delete").last)
        XCTAssertEqual(JSONValue.parse(deleted.data)?["uuid"]?.stringValue, a.uuid)
        XCTAssertEqual(try h.call("POST", "meet", "refresh_token", token: a.token).status, 403)
        XCTAssertEqual(try h.call("POST", "meet", "release_token", token: a.token).status, 200,
                       "release after the node disconnected is tolerated")
        // Bob's old token expires at 30s on its own; his new one lives to 50s.
        XCTAssertEqual(try h.call("GET", "meet", "participants", token: b.token).status, 403)
        XCTAssertEqual(try h.call("GET", "meet", "participants", token: bobToken).status, 200)
        h.clock.advance(by: 20)
        XCTAssertEqual(try h.call("GET", "meet", "participants", token: bobToken).status, 403)
        XCTAssertEqual(h.node.participants().count, 0)
    }

    func testExpiryGraceAndReasonSettings() throws {
        var c = ConferenceConfig(alias: "meet", expires: 10)
        c.expiryGrace = 5
        c.expiryReason = "Session timed out"
        let h = try NodeHarness([c])
        let a = try h.join("meet", name: "Alice")
        let events = try h.listen("meet", token: a.token)
        h.clock.advance(by: 10)
        XCTAssertEqual(try h.call("GET", "meet", "participants", token: a.token).status, 403, "token itself expired")
        XCTAssertEqual(h.node.participants().count, 1, "still present during the grace")
        h.clock.advance(by: 5)
        h.passCutDelay()
        XCTAssertEqual(JSONValue.parse(try XCTUnwrap(events.drain().last).data)?["reason"], "Session timed out")
    }

    func testEjectionWithReasonAndHostDisconnect() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "Alice")
        let b = try h.join("meet", name: "Bob")
        let bEvents = try h.listen("meet", token: b.token)
        try h.node.eject(b.uuid, reason: "Removed by test")
        XCTAssertNotNil(h.node.waitForJournal { $0.kind == .event && $0.event == "disconnect" })
        XCTAssertFalse(h.node.journal().contains { $0.kind == .streamClose },
                       "the cut waits for the node's clock to pass disconnect_cut_delay")
        h.passCutDelay()
        XCTAssertNotNil(h.node.waitForJournal { $0.kind == .streamClose && $0.reason == "error" })
        XCTAssertEqual(JSONValue.parse(try XCTUnwrap(bEvents.drain().last).data)?["reason"], "Removed by test")
        XCTAssertEqual(bEvents.ending, .cut)
        let c = try h.join("meet", name: "Carol")
        let cEvents = try h.listen("meet", token: c.token)
        XCTAssertEqual(try h.call("POST", "meet", "participants/\(c.uuid)/disconnect", token: a.token).status, 200)
        h.passCutDelay()
        XCTAssertEqual(JSONValue.parse(try XCTUnwrap(cEvents.drain().last).data)?["reason"], "Disconnected by remote host")
    }

    func testGuestCannotUseHostRequests() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "secure", hostPIN: "1234", guestPIN: "5678")])
        let host = try h.join("secure", name: "H", pin: "1234")
        let guest = try h.join("secure", name: "G", pin: "5678")
        for request in ["lock", "unlock", "muteguests", "unmuteguests", "participants/\(host.uuid)/mute",
                        "participants/\(host.uuid)/disconnect", "dial"] {
            let r = try h.call("POST", "secure", request, token: guest.token, body: "{}")
            XCTAssertEqual(r.status, 403, request)
            XCTAssertEqual(r.json?["result"], "Permission denied", request)
        }
        let role = try h.call("POST", "secure", "participants/\(host.uuid)/role", token: guest.token, body: #"{"role":"guest"}"#)
        XCTAssertEqual(role.status, 403)
        XCTAssertEqual(try h.call("POST", "secure", "participants/\(guest.uuid)/mute", token: guest.token).status, 200,
                       "muting yourself is allowed")
        XCTAssertEqual(try h.call("POST", "secure", "lock", token: host.token).status, 200)
    }

    func testHostControlsEmitMatchingEvents() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "secure", hostPIN: "1234", guestPIN: "5678")])
        let host = try h.join("secure", name: "H", pin: "1234")
        let guest = try h.join("secure", name: "G", pin: "5678")
        let events = try h.listen("secure", token: host.token)
        func expect(_ request: String, body: String? = nil, event: String, _ check: (JSONValue) -> Void) throws {
            XCTAssertEqual(try h.call("POST", "secure", request, token: host.token, body: body).status, 200, request)
            let e = try XCTUnwrap(events.read(until: event).last)
            check(try XCTUnwrap(JSONValue.parse(e.data)))
        }
        try expect("lock", event: "conference_update") { XCTAssertEqual($0["locked"], true) }
        try expect("unlock", event: "conference_update") { XCTAssertEqual($0["locked"], false) }
        try expect("muteguests", event: "participant_update") { XCTAssertEqual($0["is_muted"], "YES") }
        _ = try events.read(until: "conference_update")
        try expect("participants/\(guest.uuid)/unmute", event: "participant_update") { XCTAssertEqual($0["is_muted"], "NO") }
        try expect("participants/\(guest.uuid)/role", body: #"{"role":"chair"}"#, event: "participant_update") {
            XCTAssertEqual($0["role"], "chair")
        }
        try expect("participants/\(guest.uuid)/spotlighton", event: "participant_update") {
            XCTAssertGreaterThan($0["spotlight"]?.numberValue ?? 0, 0)
        }
        try expect("participants/\(guest.uuid)/buzz", event: "participant_update") {
            XCTAssertGreaterThan($0["buzz_time"]?.numberValue ?? 0, 0)
        }
        try expect("participants/\(guest.uuid)/clearbuzz", event: "participant_update") { XCTAssertEqual($0["buzz_time"], .number(0)) }
        // The promoted guest's refresh reports its new role.
        XCTAssertEqual(try h.call("POST", "secure", "refresh_token", token: guest.token).json?["result"]?["role"], "HOST")
        let status = try h.call("GET", "secure", "conference_status", token: host.token)
        XCTAssertEqual(status.json?["result"]?["guests_muted"], true)
    }
}
