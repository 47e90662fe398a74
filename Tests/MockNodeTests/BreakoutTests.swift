import Foundation
import MockNode
import MockNodeTesting
import PexipWire
import XCTest

/// Breakout rooms as a client's event stream and requests meet them.
final class BreakoutTests: XCTestCase {
    private func wrapped(_ e: SSEEvent) -> (room: String, event: String, data: JSONValue)? {
        guard e.event == "breakout_event", let d = JSONValue.parse(e.data) else { return nil }
        return (d["breakout_uuid"]?.stringValue ?? "", d["event"]?.stringValue ?? "", d["data"] ?? .null)
    }

    func testMovedInGetsBeginSyncReferThenBackGetsReferEnd() throws {
        var c = ConferenceConfig(alias: "meet")
        c.participants = [.init(displayName: "Bob"), .init(displayName: "Carol")]
        let h = try NodeHarness([c])
        let host = try h.join("meet", name: "Alice")
        let events = try h.listen("meet", token: host.token)
        let open = try h.call("POST", "meet", "breakouts", token: host.token, body: #"{"name":"Room 1"}"#)
        XCTAssertEqual(open.status, 200)
        let room = try XCTUnwrap(open.json?["result"]?.stringValue)
        let bob = try XCTUnwrap(h.node.participants().first { $0.displayName == "Bob" }?.uuid)
        let move = try h.call("POST", "meet", "breakouts/main/participants/breakout", token: host.token,
                              body: #"{"breakout_uuid":"\#(room)","participants":["\#(bob)","\#(host.uuid)"]}"#)
        XCTAssertEqual(move.status, 200)
        // Bob (simulated) leaves the main room, Alice gets her identity in the room.
        let got = try events.read(until: "breakout_refer")
        XCTAssertEqual(got.first { $0.event == "participant_delete" }.flatMap { JSONValue.parse($0.data)?["uuid"] }, .string(bob))
        let begin = try XCTUnwrap(got.first { $0.event == "breakout_begin" })
        XCTAssertEqual(JSONValue.parse(begin.data)?["breakout_uuid"], .string(room))
        let me = try XCTUnwrap(JSONValue.parse(begin.data)?["participant_uuid"]?.stringValue)
        XCTAssertNotEqual(me, host.uuid)
        let inner = got.compactMap(wrapped)
        XCTAssertTrue(inner.allSatisfy { $0.room == room })
        let sync = Array(inner.drop { $0.event != "participant_sync_begin" })
        XCTAssertEqual(sync.map(\.event), ["participant_sync_begin", "participant_create", "participant_create", "participant_sync_end"])
        XCTAssertEqual(Set(sync.compactMap { $0.data["display_name"]?.stringValue }), ["Bob", "Alice"])
        XCTAssertEqual(JSONValue.parse(got.last!.data), ["breakout_name": "Room 1", "breakout_uuid": .string(room)])
        // Chat in the room, under the prefix, as the identity there.
        XCTAssertEqual(try h.call("POST", "meet", "breakouts/\(room)/participants", token: host.token).status, 405)
        let members = try h.call("GET", "meet", "breakouts/\(room)/participants", token: host.token)
        XCTAssertEqual(Set(members.json?["result"]?.arrayValue?.compactMap { $0["display_name"]?.stringValue } ?? []), ["Bob", "Alice"])
        XCTAssertEqual(try h.call("POST", "meet", "breakouts/\(room)/message", token: host.token,
                                  body: #"{"type":"text/plain","payload":"hi room"}"#).status, 200)
        try h.node.perform(.message(from: bob, text: "from Bob", to: nil))
        let chat = try XCTUnwrap(try events.next().flatMap(wrapped))
        XCTAssertEqual(chat.event, "message_received")
        XCTAssertEqual(chat.data["payload"], "from Bob")
        // Closed: back to main, then the room's end.
        XCTAssertEqual(try h.call("POST", "meet", "breakouts/\(room)/disconnect", token: host.token).status, 200)
        let back = try events.read(until: "breakout_end")
        XCTAssertEqual(back.filter { ["breakout_refer", "breakout_end"].contains($0.event) }.map(\.event), ["breakout_refer", "breakout_end"])
        XCTAssertEqual(JSONValue.parse(back.first { $0.event == "breakout_refer" }!.data)?["breakout_uuid"], "main")
        XCTAssertEqual(JSONValue.parse(back.last!.data), ["breakout_uuid": .string(room), "participant_uuid": .string(me)])
        XCTAssertEqual(Set(h.node.participants(in: "meet").map(\.displayName)), ["Alice", "Bob", "Carol"])
        XCTAssertEqual(try h.call("GET", "meet", "breakouts/\(room)/participants", token: host.token).status, 404)
    }

    func testGuestsAreRefusedAndLeaveBreakoutComesBack() throws {
        var c = ConferenceConfig(alias: "meet", hostPIN: "1234")
        c.allowGuests = true
        let h = try NodeHarness([c])
        let guest = try h.join("meet", name: "G", pin: "none")
        XCTAssertEqual(try h.call("POST", "meet", "breakouts", token: guest.token, body: #"{"name":"x"}"#).json?["result"], "Permission denied")
        let events = try h.listen("meet", token: guest.token)
        let room = try h.node.perform(.createBreakout(conference: "meet", name: "Side", participants: ["G"], guestsAllowedToLeave: true))
        _ = try events.read(until: "breakout_refer")
        XCTAssertEqual(try h.call("POST", "meet", "leavebreakout", token: guest.token).status, 200)
        XCTAssertEqual(try events.read(until: "breakout_end").filter { $0.event.hasPrefix("breakout_") && $0.event != "breakout_event" }.map(\.event),
                       ["breakout_refer", "breakout_end"])
        XCTAssertEqual(try h.call("POST", "meet", "leavebreakout", token: guest.token).status, 400)
        XCTAssertThrowsError(try h.node.perform(.moveToBreakout(guest.uuid, room: "Nope"))) {
            XCTAssertEqual("\($0)", "no breakout room 'Nope' in 'meet'; it has: Side (\(room["breakout_uuid"]?.stringValue ?? ""))")
        }
    }
}
