import PexipClient
import PexipWire
import XCTest

final class RosterTests: XCTestCase {
    private func create(_ uuid: String, _ name: String, _ event: String = EventName.participantCreate) -> SSEEvent {
        SSEEvent(event: event, data: WireJSON.text(Participant(uuid: uuid, displayName: name, localAlias: "m", role: .guest)))
    }

    func testSyncBracketReplacesRosterOnlyWhenItEnds() {
        var r = Roster()
        XCTAssertFalse(r.apply(SSEEvent(event: EventName.participantSyncBegin, data: "null")))
        XCTAssertFalse(r.apply(create("a", "A")))
        XCTAssertFalse(r.apply(create("b", "B")))
        XCTAssertEqual(r.participants, [], "nothing shows mid-sync")
        XCTAssertTrue(r.apply(SSEEvent(event: EventName.participantSyncEnd, data: "null")))
        XCTAssertEqual(r.participants.map(\.uuid), ["a", "b"])
        // A re-sync after reconnect drops whoever is gone.
        _ = r.apply(SSEEvent(event: EventName.participantSyncBegin, data: "null"))
        _ = r.apply(create("b", "B"))
        XCTAssertTrue(r.apply(SSEEvent(event: EventName.participantSyncEnd, data: "null")))
        XCTAssertEqual(r.participants.map(\.uuid), ["b"])
    }

    func testLiveCreateUpdateDelete() {
        var r = Roster()
        XCTAssertTrue(r.apply(create("a", "A")))
        XCTAssertTrue(r.apply(create("a", "A2", EventName.participantUpdate)))
        XCTAssertEqual(r.participants.map(\.displayName), ["A2"])
        XCTAssertTrue(r.apply(SSEEvent(event: EventName.participantDelete, data: #"{"uuid":"a"}"#)))
        XCTAssertFalse(r.apply(SSEEvent(event: EventName.participantDelete, data: #"{"uuid":"a"}"#)), "unknown uuid: no change")
        XCTAssertFalse(r.apply(SSEEvent(event: EventName.participantCreate, data: "{not json")))
        XCTAssertEqual(r.participants, [])
    }
}
