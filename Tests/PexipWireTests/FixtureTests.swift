import Foundation
import PexipWire
import XCTest

/// Loads a golden fixture from Fixtures/.
func fixture(_ name: String) throws -> JSONValue {
    let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json"))
    return try XCTUnwrap(JSONValue.parse(Array(try Data(contentsOf: url))), "\(name).json is not JSON")
}

final class FixtureTests: XCTestCase {
    private func assertShape<T: Encodable>(_ value: T, matches name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let diffs = JSONValue.from(value).shapeDifferences(from: try fixture(name))
        XCTAssertEqual(diffs, [], "\(name)", file: file, line: line)
    }

    func testRequestTokenResultDecodesReferenceAndExpiresIsAString() throws {
        let env = try fixture("request_token").decode(Envelope<RequestTokenResult>.self)
        XCTAssertEqual(env.result.role, .host)
        XCTAssertEqual(env.result.expires, "120")
        XCTAssertEqual(env.result.expiresSeconds, 120)
        XCTAssertEqual(env.result.version?.versionID, "35")
        XCTAssertThrowsError(try JSONValue.parse(#"{"token":"t","expires":120,"participant_uuid":"u","display_name":"d","role":"HOST"}"#)!
            .decode(RequestTokenResult.self), "a numeric expires is not the wire format")
    }

    func testPromptsAndErrorsDecode() throws {
        XCTAssertEqual(try fixture("pin_required").decode(Envelope<PinChallenge>.self).result.guestPINRequired, true)
        XCTAssertEqual(try fixture("pin_required_guest_none").decode(Envelope<PinChallenge>.self).result.guestPINRequired, false)
        XCTAssertEqual(try fixture("extension_required").decode(Envelope<ExtensionChallenge>.self).result,
                       ExtensionChallenge(type: "standard"))
        XCTAssertEqual(try fixture("invalid_pin").decode(Envelope<String>.self).result, WireMessage.invalidPIN)
        XCTAssertEqual(try fixture("invalid_token").decode(Envelope<String>.self).result, WireMessage.invalidToken)
        XCTAssertEqual(try fixture("conference_not_found").decode(Envelope<String>.self).result, WireMessage.conferenceNotFound)
        XCTAssertEqual(try fixture("release_token").decode(Envelope<Bool>.self).result, true)
        XCTAssertEqual(try fixture("refresh_token").decode(Envelope<RefreshTokenResult>.self).result.role, .host)
    }

    func testEncodedPromptsMatchReferenceExactly() throws {
        XCTAssertEqual(JSONValue.from(Envelope(result: PinChallenge(guestPINRequired: true))), try fixture("pin_required"))
        XCTAssertEqual(JSONValue.from(Envelope(result: PinChallenge(guestPINRequired: false))), try fixture("pin_required_guest_none"))
        XCTAssertEqual(JSONValue.from(Envelope(result: ExtensionChallenge(type: "standard"))), try fixture("extension_required"))
        XCTAssertEqual(JSONValue.from(Envelope(result: WireMessage.invalidToken)), try fixture("invalid_token"))
    }

    func testParticipantHasEveryKeyTheSwiftSDKRequiresWithWireTypes() throws {
        let p = Participant(uuid: "u", displayName: "Alice", localAlias: "meet", role: .chair)
        try assertShape(p, matches: "participant_create")
        let decoded = try fixture("participant_create").decode(Participant.self)
        XCTAssertEqual(decoded.isMuted, .no)
        XCTAssertEqual(decoded.role, .chair)
        XCTAssertEqual(decoded.serviceType, .conference)
        let json = JSONValue.from(p)
        XCTAssertEqual(json["is_muted"], "NO", "YES/NO flags are strings")
        XCTAssertEqual(json["spotlight"], .number(0), "timestamps are numbers")
        XCTAssertEqual(json["api_url"], "/participants/u")
    }

    func testEventPayloadShapes() throws {
        try assertShape(ConferenceStatus(), matches: "conference_update")
        try assertShape([StageEntry(participantUUID: "u", stageIndex: 0)], matches: "stage")
        try assertShape(ChatMessage(origin: "Bob", uuid: "u", payload: "hi", direct: false), matches: "message_received")
        try assertShape(DisconnectReason(reason: "x"), matches: "disconnect")
        try assertShape(ParticipantDeleted(uuid: "u"), matches: "participant_delete")
        try assertShape(PresentationStart(presenterName: "a", presenterURI: "b", presenterUUID: "c"), matches: "presentation_start")
        try assertShape(Refer(alias: "a", token: "t"), matches: "refer")
        XCTAssertEqual(JSONValue.from(ConferenceStatus())["classification"], ["levels": .object([:]), "current": .null])
    }

    func testShapeDifferencesReportsMissingKeysAndWrongTypes() {
        let reference: JSONValue = ["a": "x", "b": ["c": true]]
        XCTAssertEqual(JSONValue.object(["a": .number(1), "b": .object([:])]).shapeDifferences(from: reference),
                       ["$.a: number where the reference has string", "$.b.c: missing"])
    }

    func testAPIPathParsing() {
        XCTAssertEqual(APIPath.parse("/api/client/v2/conferences/meet/participants/u/mute")?.alias, "meet")
        XCTAssertEqual(APIPath.parse("/api/client/v2/conferences/meet/participants/u/mute")?.request, "participants/u/mute")
        XCTAssertNil(APIPath.parse("/api/client/v2/status"))
        XCTAssertNil(APIPath.parse("/api/client/v2/conferences/"))
        XCTAssertEqual(APIPath.parse("/api/client/v2/conferences/café ☕/events")?.alias, "café ☕")
        XCTAssertEqual(APIPath.parse("/api/client/v2/conferences/café ☕/events")?.request, "events")
        XCTAssertEqual(APIPath.parse("/api/client/v2/conferences/only")?.alias, "only")
        XCTAssertEqual(APIPath.parse("/api/client/v2/conferences/only")?.request, "")
        XCTAssertEqual(APIPath.parse("/api/client/v2/conferences/a/")?.request, "")
        XCTAssertEqual(APIPath.conference("a b/c", "events"), "/api/client/v2/conferences/a%20b%2Fc/events")
    }
}
