import Foundation
import MockNode
import MockNodeTesting
import PexipWire
import XCTest

/// MockNodeTesting as a user embedding the node in their tests meets it.
final class TestingProductTests: XCTestCase {
    func testWithRunningNodeJoinsRefreshesReadsEventsAndStops() throws {
        var kept: MockNode?
        try withRunningNode(conferences: [ConferenceConfig(alias: "meet")]) { node in
            kept = node.node
            let alice = try node.client.join("meet", name: "Alice")
            let events = try node.client.events("meet", token: alice.token)
            XCTAssertEqual(events.status, 200)
            let burst = try events.read(until: "participant_sync_end")
            XCTAssertEqual(burst.filter { $0.event == "participant_create" }.count, 1)
            let newer = try node.client.refresh("meet", token: alice.token)
            XCTAssertNotEqual(newer, alice.token)
            try node.waitForRequest("refresh_token")
            _ = try node.client.join("meet", name: "Bob")
            let created = try events.read(until: "participant_create").last
            XCTAssertEqual(JSONValue.parse(created?.data ?? "")?["display_name"], "Bob")
            XCTAssertEqual(try node.client.release("meet", token: newer), 200)
        }
        XCTAssertEqual(kept?.phase, .stopped, "the node stops when the closure returns")
    }

    func testTheNodeStopsWhenTheBodyThrowsAndFailuresSayWhat() throws {
        var kept: MockNode?
        XCTAssertThrowsError(try withRunningNode(conferences: [ConferenceConfig(alias: "meet")]) { node in
            kept = node.node
            _ = try node.client.join("nosuch", name: "Alice")
        }) { error in
            XCTAssertTrue("\(error)".hasPrefix("request_token to 'nosuch' answered 404"), "\(error)")
        }
        XCTAssertEqual(kept?.phase, .stopped)
        try withRunningNode(conferences: [ConferenceConfig(alias: "meet")]) { node in
            XCTAssertThrowsError(try node.waitForRequest("refresh_token", timeout: 0.1)) { error in
                XCTAssertTrue("\(error)".hasPrefix("no matching journal entry within 0.1 s"), "\(error)")
            }
        }
    }

    /// The README's example, as written there.
    func testTheReadmeExample() throws {
        try withRunningNode(conferences: [ConferenceConfig(alias: "meet", expires: 30)], manualClock: true) { node in
            let alice = try node.client.join("meet", name: "Alice")
            let events = try node.client.events("meet", token: alice.token)
            _ = try events.read(until: "participant_sync_end")
            node.clock?.advance(by: 31)
            try node.waitForJournal { $0.event == "disconnect" }
        }
    }

    func testAsyncScopeManualClockAndEventsAsASequence() async throws {
        try await withRunningNode(conferences: [ConferenceConfig(alias: "meet", expires: 10)], manualClock: true) { node in
            let alice = try node.client.join("meet", name: "Alice")
            let events = try node.client.events("meet", token: alice.token)
            _ = try events.read(until: "presentation_stop")
            node.clock?.advance(by: 11)   // past the token's life: the node ejects Alice
            var names: [String] = []
            for try await e in events.stream { names.append(e.event) }
            XCTAssertEqual(names, ["disconnect"])
            XCTAssertEqual(events.ending, .cut, "ended with an error, never cleanly")
        }
    }
}
