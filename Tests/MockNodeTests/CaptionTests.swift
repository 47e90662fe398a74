import Foundation
import MockNode
import MockNodeTesting
import PexipWire
import XCTest

final class CaptionTests: XCTestCase {
    func testCaptionsReachOnlyThoseWhoAskedForThem() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "A")
        let b = try h.join("meet", name: "B")
        let aEvents = try h.listen("meet", token: a.token)
        let bEvents = try h.listen("meet", token: b.token)
        XCTAssertEqual(try h.call("POST", "meet", "participants/\(a.uuid)/show_live_captions", token: a.token).status, 200)
        _ = try aEvents.read(until: "participant_update")
        _ = try bEvents.read(until: "participant_update")
        XCTAssertEqual(try h.node.perform(.caption(conference: "meet", text: "hello there", isFinal: false))["recipients"], .number(1))
        let caption = try XCTUnwrap(try aEvents.next())
        XCTAssertEqual(caption.event, "live_captions")
        let data = try XCTUnwrap(JSONValue.parse(caption.data))
        XCTAssertEqual(data["data"], "hello there")
        XCTAssertEqual(data["is_final"], .bool(false))
        XCTAssertNotNil(data["sent_time"]?.numberValue)
        bEvents.client.timeout = 0.3
        XCTAssertThrowsError(try bEvents.next(), "B did not ask for captions")
    }
}
