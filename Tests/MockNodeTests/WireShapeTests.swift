import Foundation
import MicroHTTP
import MockNode
import PexipWire
import XCTest

/// The node's live answers against the golden fixtures in PexipWireTests.
final class WireShapeTests: XCTestCase {
    private func fixture(_ name: String) throws -> JSONValue {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../PexipWireTests/Fixtures/\(name).json").standardized
        return try XCTUnwrap(JSONValue.parse(Array(try Data(contentsOf: url))))
    }

    private func assertShape(_ value: JSONValue?, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let v = try XCTUnwrap(value, name, file: file, line: line)
        XCTAssertEqual(v.shapeDifferences(from: try fixture(name)), [], name, file: file, line: line)
    }

    func testLiveAnswersMatchFixtures() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet"), ConferenceConfig(alias: "secure", hostPIN: "1234", guestPIN: "5678"),
                                 ConferenceConfig(alias: "vr", type: .reception)])
        try assertShape(try h.call("POST", "meet", "request_token", body: #"{"display_name":"A"}"#).json, "request_token")
        XCTAssertEqual(try h.call("POST", "secure", "request_token", body: "{}").json, try fixture("pin_required"))
        // The fixture is Swift's ("success"); the node answers "failure" there, for PexRTC (docs/client-api.md).
        XCTAssertEqual(try h.call("POST", "secure", "request_token", pin: "0000", body: "{}").json?["result"], try fixture("invalid_pin")["result"])
        XCTAssertEqual(try h.call("POST", "vr", "request_token", body: "{}").json, try fixture("extension_required"))
        XCTAssertEqual(try h.call("POST", "nope", "request_token", body: "{}").json, try fixture("conference_not_found"))
        XCTAssertEqual(try h.call("POST", "meet", "refresh_token", token: "bad").json, try fixture("invalid_token"))
        let a = try h.join("meet", name: "Alice")
        try assertShape(try h.call("POST", "meet", "refresh_token", token: a.token).json, "refresh_token")

        let events = try h.openEvents("meet", token: a.token)
        let burst = try events.read(until: "presentation_stop")
        func payload(_ name: String) -> JSONValue? { burst.first { $0.event == name }.flatMap { JSONValue.parse($0.data) } }
        try assertShape(payload("conference_update"), "conference_update")
        try assertShape(payload("participant_create"), "participant_create")
        try assertShape(payload("stage"), "stage")
        let b = try h.join("meet", name: "Bob")
        try assertShape(JSONValue.parse(try XCTUnwrap(events.read(until: "participant_create").last).data), "participant_create")
        _ = try h.call("POST", "meet", "message", token: b.token, body: #"{"type":"text/plain","payload":"x"}"#)
        try assertShape(JSONValue.parse(try XCTUnwrap(events.read(until: "message_received").last).data), "message_received")
        let participants = try h.call("GET", "meet", "participants", token: a.token).json?["result"]?.arrayValue
        try assertShape(participants?.first, "participant_create")
        XCTAssertEqual(try h.call("POST", "meet", "release_token", token: b.token).json, try fixture("release_token"))
        try assertShape(JSONValue.parse(try XCTUnwrap(events.read(until: "participant_delete").last).data), "participant_delete")
        try h.node.eject(a.uuid)
        h.passCutDelay()
        try assertShape(JSONValue.parse(try XCTUnwrap(events.drain().last).data), "disconnect")
    }
}
