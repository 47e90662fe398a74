import Foundation
import MicroHTTP
@testable import MockNode
import PexipWire
import XCTest

/// The node's rules with no sockets: requests go straight into `MockNode.handle` of a node
/// that was never started, time is a `ManualClock`, and what the node wrote to streams is
/// read from its journal. The socket tests stay as the end-to-end ones.
final class RuleTests: XCTestCase {
    private struct Rig {
        let node: MockNode
        let clock = ManualClock()

        init(_ conferences: [ConferenceConfig]) throws {
            var c = MockNode.Configuration(conferences: conferences)
            c.clock = clock
            node = try MockNode(c)
        }

        /// A client request as the server would hand it over; the status and the envelope's result.
        func call(_ alias: String, _ request: String, method: String = "POST", body: String = "{}",
                  token: String? = nil, headers: [(String, String)] = []) -> (status: Int, result: JSONValue?) {
            var h = HTTPHeaders(headers.map { (name: $0.0, value: $0.1) })
            if let token { h.set("token", token) }
            let req = HTTPRequest(method: method, path: APIPath.conference(alias, request), headers: h,
                                  body: method == "GET" ? [] : Array(body.utf8))
            switch node.handle(req) {
            case .response(let r): return (r.status, JSONValue.parse(r.body)?["result"])
            case .stream: return (200, nil)
            case .drop: return (-1, nil)
            case .deferred: return (-2, nil)
            }
        }

        /// `GET events`: the stream the node hands the server.
        func openStream(_ alias: String, token: String) -> EventStream? {
            var h = HTTPHeaders()
            h.set("token", token)
            guard case .stream(let stream, _) = node.handle(HTTPRequest(method: "GET", path: APIPath.conference(alias, "events"),
                                                                       headers: h)) else { return nil }
            return stream
        }

        func join(_ alias: String, pin: String? = nil) -> (status: Int, token: String, uuid: String, role: String) {
            let (status, result) = call(alias, "request_token", body: #"{"display_name":"A"}"#,
                                        headers: pin.map { [("pin", $0)] } ?? [])
            return (status, result?["token"]?.stringValue ?? "", result?["participant_uuid"]?.stringValue ?? "",
                    result?["role"]?.stringValue ?? "")
        }
    }

    func testPINRules() throws {
        let rig = try Rig([ConferenceConfig(alias: "secure", hostPIN: "1234", guestPIN: "5678"),
                           ConferenceConfig(alias: "hostpin", hostPIN: "1234", allowGuests: true)])
        let prompt = rig.call("secure", "request_token")
        XCTAssertEqual(prompt.status, 403)
        XCTAssertEqual(prompt.result?["pin"], "required")
        XCTAssertEqual(prompt.result?["guest_pin"], "required")
        XCTAssertEqual(rig.join("secure", pin: "0000").status, 403)
        XCTAssertEqual(rig.join("secure", pin: "1234").role, "HOST")
        XCTAssertEqual(rig.join("secure", pin: "5678").role, "GUEST")
        XCTAssertEqual(rig.join("secure", pin: "none").status, 403, "a guest PIN is required here")
        XCTAssertEqual(rig.call("hostpin", "request_token").result?["guest_pin"], "none")
        XCTAssertEqual(rig.join("hostpin", pin: "none").role, "GUEST", "no guest PIN: 'none' joins as a guest")
    }

    func testTokenRules() throws {
        let rig = try Rig([ConferenceConfig(alias: "meet")])
        let a = rig.join("meet")
        XCTAssertEqual(a.status, 200)
        let refreshed = rig.call("meet", "refresh_token", token: a.token)
        XCTAssertEqual(refreshed.status, 200)
        let newer = try XCTUnwrap(refreshed.result?["token"]?.stringValue)
        XCTAssertNotEqual(newer, a.token)
        XCTAssertEqual(rig.call("meet", "refresh_token", token: "not-a-token").status, 403)
        XCTAssertEqual(rig.call("meet", "release_token", token: newer).status, 200)
        XCTAssertEqual(rig.call("meet", "refresh_token", token: newer).status, 403, "a released token is dead")
        XCTAssertTrue(rig.node.participants(in: "meet").isEmpty)
    }

    func testExpiryOnTheNodeClock() throws {
        let rig = try Rig([ConferenceConfig(alias: "meet", expires: 10)])
        let a = rig.join("meet")
        XCTAssertEqual(rig.node.outbox.armedTimers, 1, "the join armed its expiry")
        rig.clock.advance(by: 9)
        XCTAssertEqual(rig.node.participants(in: "meet").count, 1, "alive before its lifetime is up")
        rig.clock.advance(by: 2)
        XCTAssertTrue(rig.node.participants(in: "meet").isEmpty)
        XCTAssertNotNil(rig.node.journal().first { $0.kind == .action && $0.action == "token_expired" && $0.participant == a.uuid })
        XCTAssertEqual(rig.node.outbox.armedTimers, 0, "the expired participant's timer is gone")
        XCTAssertEqual(rig.call("meet", "refresh_token", token: a.token).status, 403)
    }

    func testRefreshPushesExpiryBack() throws {
        let rig = try Rig([ConferenceConfig(alias: "meet", expires: 10)])
        let a = rig.join("meet")
        rig.clock.advance(by: 6)
        XCTAssertEqual(rig.call("meet", "refresh_token", token: a.token).status, 200)
        rig.clock.advance(by: 6)
        XCTAssertEqual(rig.node.participants(in: "meet").count, 1, "12 s after the join, 6 s after the refresh")
    }

    func testGuestsMayNotDoWhatHostsDo() throws {
        let rig = try Rig([ConferenceConfig(alias: "hostpin", hostPIN: "1234", allowGuests: true)])
        let guest = rig.join("hostpin", pin: "none")
        let host = rig.join("hostpin", pin: "1234")
        XCTAssertEqual(rig.call("hostpin", "lock", token: guest.token).status, 403)
        XCTAssertEqual(rig.call("hostpin", "lock", token: host.token).status, 200)
        XCTAssertEqual(try rig.node.status(of: "hostpin").locked, true)
        XCTAssertEqual(rig.call("hostpin", "participants/\(host.uuid)/disconnect", token: guest.token).status, 403)
        XCTAssertEqual(rig.node.participants(in: "hostpin").count, 2)
    }

    /// Layouts as Pexip's Android SDK asks for them on every join, and a host's transform.
    func testLayoutsListedDrawnAndTransformedByHostsOnly() throws {
        let rig = try Rig([ConferenceConfig(alias: "secure", hostPIN: "1234", guestPIN: "5678")])
        let host = rig.join("secure", pin: "1234"), guest = rig.join("secure", pin: "5678")
        let listed = rig.call("secure", "available_layouts", method: "GET", token: guest.token)
        XCTAssertEqual(listed.status, 200)
        XCTAssertEqual(listed.result?.arrayValue?.compactMap(\.stringValue), ConferenceConfig.defaultLayouts)
        let drawn = rig.call("secure", "layout_svgs", method: "GET", token: guest.token)
        XCTAssertEqual(drawn.status, 200)
        XCTAssertEqual(drawn.result?.objectValue?.keys.sorted(), ConferenceConfig.defaultLayouts.sorted())
        XCTAssertTrue(drawn.result?["2:21"]?.stringValue?.hasPrefix("<svg") ?? false)

        let change = #"{"transforms":{"layout":"2:21","guest_layout":"1:0","enable_overlay_text":false}}"#
        XCTAssertEqual(rig.call("secure", "transform_layout", body: change, token: guest.token).result, "Permission denied")
        let bad = rig.call("secure", "transform_layout", body: #"{"transforms":{"layout":"7:7"}}"#, token: host.token)
        XCTAssertEqual(bad.status, 400)
        XCTAssertEqual(bad.result, "Illegal value")
        XCTAssertEqual(rig.call("secure", "transform_layout", body: #"{"layout":"1:0"}"#, token: host.token).status, 400,
                       "the fields go inside transforms")
        XCTAssertFalse(rig.node.journal().contains { $0.event == EventName.layout }, "a refused transform tells no one")
        XCTAssertEqual(rig.call("secure", "transform_layout", body: change, token: host.token).status, 200)
        let told = rig.node.journal().filter { $0.event == EventName.layout }
        XCTAssertEqual(Set(told.compactMap(\.participant)), [host.uuid, guest.uuid], "everyone hears of it")
        let data = try XCTUnwrap(told.first?.data.flatMap { JSONValue.parse($0) })
        XCTAssertEqual(data["view"], "2:21")
        XCTAssertEqual(data["overlay_text_enabled"], false)
        XCTAssertEqual(data["requested_layout"]?["primary_screen"]?["chair_layout"], "2:21")
        XCTAssertEqual(data["requested_layout"]?["primary_screen"]?["guest_layout"], "1:0")
    }

    /// The smaller requests API-only clients make, and the media ones MockMCU refuses plainly.
    func testSmallerParticipantRequests() throws {
        let rig = try Rig([ConferenceConfig(alias: "secure", hostPIN: "1234", guestPIN: "5678")])
        let host = rig.join("secure", pin: "1234"), guest = rig.join("secure", pin: "5678")
        func on(_ who: String, _ action: String) -> String { "participants/\(who)/\(action)" }
        XCTAssertEqual(rig.call("secure", on(guest.uuid, "dtmf"), body: #"{"digits":"12#*AD"}"#, token: guest.token).result, true)
        XCTAssertEqual(rig.call("secure", on(guest.uuid, "dtmf"), body: #"{"digits":"12x"}"#, token: guest.token).status, 400)
        XCTAssertEqual(rig.call("secure", on(host.uuid, "dtmf"), body: #"{"digits":"1"}"#, token: guest.token).result,
                       "Permission denied", "not for someone else, as a guest")
        XCTAssertEqual(rig.call("secure", on(guest.uuid, "preferred_aspect_ratio"), body: #"{"aspect_ratio":1.78}"#,
                                token: guest.token).result, true)
        XCTAssertEqual(rig.call("secure", on(guest.uuid, "preferred_aspect_ratio"), body: #"{"aspect_ratio":3}"#,
                                token: guest.token).status, 400)

        XCTAssertEqual(rig.call("secure", on(guest.uuid, "overlaytext"), body: #"{"text":"Room 4"}"#, token: host.token).result, true)
        XCTAssertEqual(rig.call("secure", on(guest.uuid, "show_live_captions"), token: guest.token).result, true)
        let updates = rig.node.journal().filter { $0.event == EventName.participantUpdate && $0.participant == host.uuid }
        let last = try XCTUnwrap(updates.last?.data.flatMap { JSONValue.parse($0) })
        XCTAssertEqual(last["overlay_text"], "Room 4")
        XCTAssertEqual(last["show_live_captions"], true)

        XCTAssertEqual(rig.call("secure", on(host.uuid, "take_floor"), token: host.token).result, true)
        let start = rig.node.journal().filter { $0.event == EventName.presentationStart }
        XCTAssertEqual(start.map(\.participant), [guest.uuid], "the others hear of it")
        let who = try XCTUnwrap(start.first?.data.flatMap { JSONValue.parse($0) })
        XCTAssertEqual(who["presenter_uuid"]?.stringValue, host.uuid)
        XCTAssertEqual(who["presenter_name"], "A")
        XCTAssertNotNil(who["presenter_uri"]?.stringValue, "all three fields: Android needs the name and uuid, Swift the name and uri")
        XCTAssertEqual(rig.call("secure", on(host.uuid, "release_floor"), token: host.token).result, true)
        XCTAssertEqual(rig.node.journal().filter { $0.event == EventName.presentationStop && $0.participant == guest.uuid }.count, 1)

        var h = HTTPHeaders()
        h.set("token", guest.token)
        guard case .response(let avatar) = rig.node.handle(HTTPRequest(method: "GET", path: APIPath.conference("secure", on(host.uuid, "avatar.jpg")),
                                                                       headers: h)) else { return XCTFail("no answer") }
        XCTAssertEqual(avatar.status, 200)
        XCTAssertEqual(avatar.headers["Content-Type"], "image/jpeg")
        XCTAssertEqual(Array(avatar.body.prefix(2)), [0xFF, 0xD8])
        let media = rig.call("secure", on(guest.uuid, "calls"), body: #"{"call_type":"WEBRTC","sdp":"v=0"}"#, token: guest.token)
        XCTAssertEqual(media.status, 501)
        XCTAssertEqual(media.result, "Media calls are not simulated by MockMCU (an API-only participant has none)")
        XCTAssertEqual(rig.call("secure", on(guest.uuid, "calls/c1/new_candidate"), token: guest.token).status, 501)
        XCTAssertEqual(rig.call("secure", "theme/background.jpg", method: "GET", token: guest.token).status, 404)
        XCTAssertEqual(rig.call("secure", "theme/", method: "GET", token: guest.token).status, 204)
    }

    /// A host transfers a guest: the guest gets a `refer` with a one-time token, and using it
    /// moves the guest (it leaves the old roster even if it never released its old token).
    func testTransferRefersAndMovesTheParticipant() throws {
        let rig = try Rig([ConferenceConfig(alias: "secure", hostPIN: "1234", guestPIN: "5678"), ConferenceConfig(alias: "stage")])
        let host = rig.join("secure", pin: "1234"), guest = rig.join("secure", pin: "5678")
        let path = "participants/\(guest.uuid)/transfer"
        XCTAssertEqual(rig.call("secure", path, body: #"{"conference_alias":"stage"}"#, token: guest.token).result,
                       "Permission denied")
        XCTAssertEqual(rig.call("secure", path, body: #"{"conference_alias":"nowhere"}"#, token: host.token).status, 404)
        XCTAssertEqual(rig.call("secure", path, body: #"{"conference_alias":"stage","role":"boss"}"#, token: host.token).status, 400)
        XCTAssertEqual(rig.call("secure", path, body: #"{"conference_alias":"stage","role":"guest"}"#, token: host.token).result, true)
        let refer = try XCTUnwrap(rig.node.journal().last { $0.event == EventName.refer && $0.participant == guest.uuid })
        let grant = try XCTUnwrap(refer.data.flatMap { JSONValue.parse($0) })
        XCTAssertEqual(grant["alias"], "stage")
        XCTAssertEqual(rig.node.participants(in: "secure").count, 2, "still there until it re-joins")

        let token = try XCTUnwrap(grant["token"]?.stringValue)
        let rejoin = rig.call("stage", "request_token", body: #"{"display_name":"A","token":"\#(token)"}"#)
        XCTAssertEqual(rejoin.status, 200)
        XCTAssertEqual(rejoin.result?["role"], "GUEST")
        XCTAssertEqual(rig.node.participants(in: "secure").map(\.uuid), [host.uuid], "moved out of the old roster")
        XCTAssertTrue(rig.node.journal().contains { $0.event == EventName.participantDelete && $0.participant == host.uuid })
        XCTAssertEqual(rig.call("secure", "release_token", token: guest.token).status, 200, "a late release of the old token is fine")
        XCTAssertEqual(rig.call("stage", "request_token", body: #"{"display_name":"A","token":"\#(token)"}"#).status, 403,
                       "the one-time token works once")
    }

    /// Application messages carry a JSON object as their payload, passed on as it came.
    func testApplicationMessagesPassTheirObjectOn() throws {
        let rig = try Rig([ConferenceConfig(alias: "meet")])
        let a = rig.join("meet"), b = rig.join("meet")
        let sent = #"{"type":"application/json","payload":{"kind":"poll","options":["yes","no"],"n":2}}"#
        XCTAssertEqual(rig.call("meet", "message", body: sent, token: a.token).result, true)
        let got = try XCTUnwrap(rig.node.journal().last { $0.event == EventName.messageReceived }?.data.flatMap { JSONValue.parse($0) })
        XCTAssertEqual(got["type"], "application/json")
        XCTAssertEqual(got["payload"], JSONValue.parse(#"{"kind":"poll","options":["yes","no"],"n":2}"#))
        XCTAssertEqual(got["origin"], "A")
        XCTAssertEqual(got["direct"], false)
        XCTAssertEqual(rig.node.journal().last { $0.event == EventName.messageReceived }?.participant, b.uuid)
        let notObject = rig.call("meet", "message", body: #"{"type":"application/json","payload":"text"}"#, token: a.token)
        XCTAssertEqual(notObject.status, 400)
        XCTAssertEqual(notObject.result, "Invalid request body: an application/json message's payload must be a JSON object")
        XCTAssertEqual(rig.call("meet", "message", body: #"{"type":"text/plain","payload":"hi"}"#, token: a.token).result, true)
    }

    func testLayoutSettingsAreChecked() {
        var c = ConferenceConfig(alias: "meet")
        c.layout = "3:3"
        XCTAssertEqual(c.problems().map(\.message), ["layout '3:3' is not among layouts (\(ConferenceConfig.defaultLayouts.joined(separator: ", ")))"])
        c.layouts = []
        XCTAssertEqual(c.problems().map(\.message), ["layouts must list at least one layout id, none empty"])
    }

    func testFaultsApplyInOrderAndCountDown() throws {
        let rig = try Rig([ConferenceConfig(alias: "meet")])
        let a = rig.join("meet")
        try rig.node.perform(.fail(FaultRule(request: "refresh_token", .status(503), count: 2)))
        try rig.node.perform(.fail(FaultRule(request: "conference_status", .drop)))
        try rig.node.perform(.fail(FaultRule(request: "participants", method: "GET", .delay(1))))
        XCTAssertEqual(rig.call("meet", "refresh_token", token: a.token).status, 503)
        XCTAssertEqual(rig.call("meet", "refresh_token", token: a.token).status, 503)
        XCTAssertEqual(rig.call("meet", "refresh_token", token: a.token).status, 200, "count 2 is used up")
        XCTAssertEqual(rig.call("meet", "conference_status", method: "GET", token: a.token).status, -1, "dropped")
        XCTAssertEqual(rig.call("meet", "participants", method: "GET", token: a.token).status, -2, "deferred")
        XCTAssertTrue(rig.node.faults().isEmpty)
        let faulted = rig.node.journal().filter { $0.kind == .request && $0.fault != nil }.map(\.fault)
        XCTAssertEqual(faulted, ["status 503 on refresh_token", "status 503 on refresh_token", "drop on conference_status"])
    }

    func testEjectionWritesDisconnectAndLaterRequestsAreRefused() throws {
        let rig = try Rig([ConferenceConfig(alias: "meet")])
        let a = rig.join("meet")
        XCTAssertEqual(rig.call("meet", "events", method: "GET", token: a.token).status, 200)
        try rig.node.perform(.eject(a.uuid, reason: "Bye"))
        let disconnect = try XCTUnwrap(rig.node.journal().last { $0.kind == .event && $0.event == EventName.disconnect })
        XCTAssertEqual(disconnect.data, #"{"reason":"Bye"}"#)
        XCTAssertEqual(disconnect.delivered, true)
        XCTAssertEqual(rig.call("meet", "refresh_token", token: a.token).status, 403)
        XCTAssertEqual(rig.call("meet", "release_token", token: a.token).status, 200, "a release after ejection is answered 200")
    }

    /// The core decides, the shell acts: under the lock an ejection writes its `disconnect`
    /// event but only records the cut and the timer's end; they happen when the effects are
    /// carried out (the cut on the node's clock).
    func testEjectionDecidesStreamEffectsThatTheShellCarriesOut() throws {
        let rig = try Rig([ConferenceConfig(alias: "meet")])
        let a = rig.join("meet")
        let stream = try XCTUnwrap(rig.openStream("meet", token: a.token))
        let before = stream.bytesQueued
        XCTAssertGreaterThan(before, 0, "the initial burst was written when the request's effects were carried out")
        let decided: [String] = rig.node.state.withLock { s in
            s.eject(a.uuid, reason: "Bye", cause: "eject")
            return s.effects.map { effect in
                switch effect {
                case .close(_, let error): return "close error=\(error)"
                case .cutAfter(_, let seconds): return "cut after \(seconds) s"
                case .armExpiry(_, let who, _, _): return "arm expiry \(who == a.uuid)"
                case .cancelExpiry: return "cancel expiry"
                }
            }
        }
        XCTAssertEqual(decided, ["cut after 0.1 s", "cancel expiry"])
        XCTAssertGreaterThan(stream.bytesQueued, before, "the disconnect event is written at once")
        rig.clock.advance(by: 0.1)
        XCTAssertTrue(stream.isOpen, "the cut is not armed until the effects are carried out")
        rig.node.mutate { s in s.effects.append(.cancelExpiry(ExpirySlot())) }  // the shell drains
        XCTAssertTrue(stream.isOpen, "the cut waits for the node's clock")
        rig.clock.advance(by: 0.1)
        XCTAssertFalse(stream.isOpen)
    }
}
