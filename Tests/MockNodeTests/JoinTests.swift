import Foundation
import MicroHTTP
import MockNode
import MockNodeTesting
import PexipWire
import XCTest

final class JoinTests: XCTestCase {
    static let conferences: [ConferenceConfig] = [
        ConferenceConfig(alias: "meet"),
        ConferenceConfig(alias: "secure", hostPIN: "1234", guestPIN: "5678"),
        ConferenceConfig(alias: "hostpin", hostPIN: "1234", allowGuests: true),
        ConferenceConfig(alias: "onepin", hostPIN: "4321"),
        ConferenceConfig(alias: "reception", type: .reception),
    ]

    func testStatusEndpoint() throws {
        let h = try NodeHarness(Self.conferences)
        let r = try LoopbackClient.request(port: h.port, target: APIPath.status)
        XCTAssertEqual(r.status, 200)
        h.node.setMaintenance(true)
        XCTAssertEqual(try LoopbackClient.request(port: h.port, target: APIPath.status).status, 503)
    }

    func testNoPinConferenceGivesHostTokenWithWireTypes() throws {
        let h = try NodeHarness(Self.conferences)
        let r = try h.call("POST", "meet", "request_token", body: #"{"display_name":"Alice"}"#)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.raw.headers["Content-Type"], "application/json")
        XCTAssertEqual(r.json?["status"], .string("success"))
        let result = try XCTUnwrap(r.json?["result"])
        XCTAssertEqual(result["role"], .string("HOST"))
        XCTAssertEqual(result["expires"], .string("120"), "expires must be a JSON string")
        XCTAssertEqual(result["display_name"], .string("Alice"))
        XCTAssertEqual(result["version"]?["version_id"], .string("36"))
        XCTAssertEqual(result["direct_media"], .bool(false))
        let token = try XCTUnwrap(result["token"]?.stringValue)
        XCTAssertGreaterThanOrEqual(token.count, 22, "at least 128 bits")
        XCTAssertTrue(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }, token)
        XCTAssertNotNil(result["participant_uuid"]?.stringValue)
    }

    func testUnknownAliasIs404WithPexipText() throws {
        let h = try NodeHarness(Self.conferences)
        let r = try h.call("POST", "nosuch", "request_token", body: "{}")
        XCTAssertEqual(r.status, 404)
        XCTAssertEqual(r.json, ["status": "success", "result": "Neither conference nor gateway found"])
    }

    func testAliasIsCaseInsensitiveAndPercentDecoded() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "Team Room")])
        let r = try h.call("POST", "team room", "request_token", body: "{}")
        XCTAssertEqual(r.status, 200)
        XCTAssertTrue(APIPath.conference("team room", "x").contains("team%20room"))
    }

    func testHostAndGuestPinFlow() throws {
        let h = try NodeHarness(Self.conferences)
        let first = try h.call("POST", "secure", "request_token", body: #"{"display_name":"A"}"#)
        XCTAssertEqual(first.status, 403)
        XCTAssertEqual(first.json, ["status": "success", "result": ["pin": "required", "guest_pin": "required"]])
        XCTAssertEqual(try h.join("secure", name: "Host", pin: "1234").result["role"], .string("HOST"))
        XCTAssertEqual(try h.join("secure", name: "Guest", pin: "5678").result["role"], .string("GUEST"))
        let wrong = try h.call("POST", "secure", "request_token", pin: "9999", body: "{}")
        XCTAssertEqual(wrong.status, 403)
        XCTAssertEqual(wrong.json, ["status": "failure", "result": "Invalid PIN"],
                       "not 'success': PexRTC reads a 'success' 403 as a prompt object and throws on a string")
        let none = try h.call("POST", "secure", "request_token", pin: "none", body: "{}")
        XCTAssertEqual(none.status, 403, "pin: none is not enough when guests need a PIN")
        XCTAssertEqual(none.json?["result"], "Invalid PIN")
        XCTAssertEqual(try h.join("secure", name: "Hash", pin: "1234#").result["role"], .string("HOST"))
    }

    func testWrongPINWordIsASetting() throws {
        var conf = ConferenceConfig(alias: "secure", hostPIN: "1234")
        conf.invalidPINStatusWord = "success"
        let h = try NodeHarness([conf])
        let wrong = try h.call("POST", "secure", "request_token", pin: "9999", body: "{}")
        XCTAssertEqual(wrong.status, 403)
        XCTAssertEqual(wrong.json, ["status": "success", "result": "Invalid PIN"], "the SDK fixtures' form")
        let decoded = try JSONDecoder().decode(ConferenceConfig.self, from: Data(#"{"alias":"a","invalid_pin_status_word":"failed"}"#.utf8))
        XCTAssertEqual(decoded.invalidPINStatusWord, "failed")
    }

    func testHostPinWithPinlessGuests() throws {
        let h = try NodeHarness(Self.conferences)
        let first = try h.call("POST", "hostpin", "request_token", body: "{}")
        XCTAssertEqual(first.status, 403)
        XCTAssertEqual(first.json?["result"], ["pin": "required", "guest_pin": "none"])
        XCTAssertEqual(try h.join("hostpin", name: "G", pin: "none").result["role"], .string("GUEST"))
        XCTAssertEqual(try h.join("hostpin", name: "H", pin: "1234").result["role"], .string("HOST"))
        XCTAssertEqual(try h.call("POST", "hostpin", "request_token", pin: "1111", body: "{}").status, 403)
    }

    func testSinglePinWithoutGuestsMakesEveryoneHost() throws {
        let h = try NodeHarness(Self.conferences)
        XCTAssertEqual(try h.call("POST", "onepin", "request_token", body: "{}").json?["result"],
                       ["pin": "required", "guest_pin": "required"])
        XCTAssertEqual(try h.join("onepin", name: "A", pin: "4321").result["role"], .string("HOST"))
        XCTAssertEqual(try h.call("POST", "onepin", "request_token", pin: "none", body: "{}").status, 403)
    }

    func testVirtualReceptionFlow() throws {
        let h = try NodeHarness(Self.conferences)
        let prompt = try h.call("POST", "reception", "request_token", body: #"{"display_name":"V"}"#)
        XCTAssertEqual(prompt.status, 403)
        XCTAssertEqual(prompt.json?["result"], ["conference_extension": "standard", "conference_extension_type": "standard"])
        let unknown = try h.call("POST", "reception", "request_token", body: #"{"conference_extension":"nope"}"#)
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(unknown.json?["result"], "Neither conference nor gateway found")
        // The target's PIN applies, asked at the reception alias.
        let pinPrompt = try h.call("POST", "reception", "request_token", body: #"{"conference_extension":"secure"}"#)
        XCTAssertEqual(pinPrompt.status, 403)
        XCTAssertEqual(pinPrompt.json?["result"]?["pin"], "required")
        let joined = try h.join("reception", name: "V", pin: "5678", body: ["conference_extension": "secure"])
        XCTAssertEqual(joined.result["role"], .string("GUEST"))
        // The token works under the reception alias and the target alias, not elsewhere.
        XCTAssertEqual(try h.call("GET", "reception", "participants", token: joined.token).status, 200)
        XCTAssertEqual(try h.call("GET", "secure", "participants", token: joined.token).status, 200)
        XCTAssertEqual(try h.call("GET", "meet", "participants", token: joined.token).status, 403)
        XCTAssertEqual(h.node.participants(in: "secure").map(\.uuid), [joined.uuid])
    }

    func testMsSipReceptionTypeAndTargetsList() throws {
        var r = ConferenceConfig(alias: "vr", type: .reception, targets: ["meet"])
        r.extensionType = "mssip"
        let h = try NodeHarness(Self.conferences + [r])
        XCTAssertEqual(try h.call("POST", "vr", "request_token", body: "{}").json?["result"]?["conference_extension_type"], "mssip")
        XCTAssertEqual(try h.call("POST", "vr", "request_token", body: #"{"conference_extension":"secure"}"#).status, 404)
        XCTAssertEqual(try h.call("POST", "vr", "request_token", body: #"{"conference_extension":"meet"}"#).status, 200)
    }

    func testBadJsonIs400AndNodeKeepsServing() throws {
        let h = try NodeHarness(Self.conferences)
        let bad = try h.call("POST", "meet", "request_token", body: "{not json")
        XCTAssertEqual(bad.status, 400)
        XCTAssertEqual(bad.json?["status"], "success")
        XCTAssertNotNil(bad.json?["result"]?.stringValue)
        XCTAssertEqual(try h.call("POST", "meet", "request_token", body: "[1,2]").status, 400)
        XCTAssertEqual(try h.call("POST", "meet", "request_token", body: #"{"display_name": 5}"#).status, 400)
        XCTAssertEqual(try h.call("POST", "meet", "request_token", body: "").status, 200, "an empty body counts as {}")
    }

    func testOversizedBodyIs413AndNodeKeepsServing() throws {
        let h = try NodeHarness(Self.conferences)
        let huge = "{\"display_name\":\"" + String(repeating: "x", count: 70_000) + "\"}"
        XCTAssertEqual(try h.call("POST", "meet", "request_token", body: huge).status, 413)
        XCTAssertEqual(try h.call("POST", "meet", "request_token", body: "{}").status, 200)
    }

    func testOneTimeTokenInBodyOrHeader() throws {
        let h = try NodeHarness(Self.conferences)
        let a = try h.join("meet", name: "A")
        let grant = try h.node.refer(a.uuid, to: "secure", role: .guest)
        let viaBody = try h.call("POST", "secure", "request_token", body: JSONValue.object(["token": .string(grant)]).jsonText)
        XCTAssertEqual(viaBody.status, 200, "a refer token skips the PIN")
        XCTAssertEqual(viaBody.json?["result"]?["role"], "GUEST")
        XCTAssertEqual(try h.call("POST", "secure", "request_token", body: JSONValue.object(["token": .string(grant)]).jsonText).status,
                       403, "one-time means once")
        let second = try h.node.refer(a.uuid, to: "secure")
        XCTAssertEqual(try h.call("POST", "secure", "request_token", body: "{}", headers: [("token", second)]).status, 200)
        // A stale session token in the header is ignored: the PIN flow applies as usual.
        let stale = try h.call("POST", "secure", "request_token", body: "{}", headers: [("token", a.token)])
        XCTAssertEqual(stale.status, 403)
        XCTAssertEqual(stale.json?["result"]?["pin"], "required")
    }

    func testUnknownRequestAndWrongMethod() throws {
        let h = try NodeHarness(Self.conferences)
        let a = try h.join("meet", name: "A")
        let unknown = try h.call("POST", "meet", "frobnicate", token: a.token)
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(unknown.json?["result"], "Unknown request")
        let wrong = try h.call("GET", "meet", "request_token")
        XCTAssertEqual(wrong.status, 405)
        XCTAssertEqual(wrong.raw.headers["Allow"], "POST")
        let outside = try LoopbackClient.request(port: h.port, target: "/not/pexip")
        XCTAssertEqual(outside.status, 404)
        XCTAssertNil(JSONValue.parse(outside.body), "outside the API the 404 is not JSON, like a non-Pexip server")
    }

    func testCorsPreflightAndHeaders() throws {
        let h = try NodeHarness(Self.conferences)
        let client = try LoopbackClient(port: h.port)
        try client.sendRequest(method: "OPTIONS", target: h.path("meet", "request_token"),
                               headers: [("Origin", "http://app.example"),
                                         ("Access-Control-Request-Method", "POST"),
                                         ("Access-Control-Request-Headers", "content-type, pin, token")])
        let pre = try client.readResponse()
        XCTAssertEqual(pre.status, 204)
        XCTAssertEqual(pre.headers["Access-Control-Allow-Origin"], "http://app.example")
        XCTAssertEqual(pre.headers["Access-Control-Allow-Credentials"], "true")
        XCTAssertEqual(pre.headers["Access-Control-Allow-Headers"], "content-type, pin, token")
        let r = try h.call("POST", "meet", "request_token", body: "{}", headers: [("Origin", "http://app.example")])
        XCTAssertEqual(r.raw.headers["Access-Control-Allow-Origin"], "http://app.example")
        XCTAssertEqual(r.raw.headers["Access-Control-Allow-Credentials"], "true")
        let token = try XCTUnwrap(r.json?["result"]?["token"]?.stringValue)
        let stream = try LoopbackClient(port: h.port)
        try stream.sendRequest(method: "GET", target: h.path("meet", "events") + "?token=\(token)",
                               headers: [("Origin", "http://app.example")])
        XCTAssertEqual(try stream.readHead().headers["Access-Control-Allow-Origin"], "http://app.example")
    }
}

