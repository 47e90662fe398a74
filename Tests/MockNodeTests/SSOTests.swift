import Foundation
import MockNode
import MockNodeTesting
import PexipWire
import XCTest

/// Single sign-on on `request_token`: the provider list, the redirect, the login page and
/// the `sso_token`, in the shapes Pexip's SDKs decode.
final class SSOTests: XCTestCase {
    private func node(redirectFirst: Bool = false, providers: [IdentityProvider]? = nil) throws -> NodeHarness {
        var c = ConferenceConfig(alias: "meet")
        c.ssoIDPs = providers ?? [IdentityProvider(uuid: "idp-1", name: "Northwind"), IdentityProvider(uuid: "idp-2", name: "Contoso")]
        c.ssoRedirectFirst = redirectFirst
        return try NodeHarness([c])
    }

    func testListThenRedirectThenLoginPageThenToken() throws {
        let h = try node()
        let first = try h.call("POST", "meet", "request_token", body: #"{"display_name":"A"}"#)
        XCTAssertEqual(first.status, 403)
        XCTAssertEqual(String(decoding: first.raw.body, as: UTF8.self),
                       #"{"result":{"idp":[{"name":"Northwind","uuid":"idp-1"},{"name":"Contoso","uuid":"idp-2"}]},"status":"success"}"#)
        // PexRTC sends "none" for both fields when it has nothing: the same as leaving them out.
        let none = try h.call("POST", "meet", "request_token", body: #"{"display_name":"A","chosen_idp":"none","sso_token":"none"}"#)
        XCTAssertNotNil(none.json?["result"]?["idp"])
        let second = try h.call("POST", "meet", "request_token", body: #"{"display_name":"A","chosen_idp":"idp-2"}"#)
        XCTAssertEqual(second.status, 403)
        let url = try XCTUnwrap(second.json?["result"]?["redirect_url"]?.stringValue)
        XCTAssertEqual(url, "http://127.0.0.1:\(h.port)/_mock/sso/idp-2?conference=meet")
        XCTAssertEqual(second.json?["result"]?["redirect_idp"], ["name": "Contoso", "uuid": "idp-2"])
        XCTAssertEqual(second.json?["result"]?["idp_uuid"], "idp-2")
        // The login page, as a browser opens it.
        let page = try LoopbackClient.request(port: h.port, method: "GET", target: "/_mock/sso/idp-2?conference=meet")
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.headers["Content-Type"], "text/html; charset=utf-8")
        let html = String(decoding: page.body, as: UTF8.self)
        let token = try XCTUnwrap(html.range(of: #"(?<=<code id="sso_token">)[^<]+"#, options: .regularExpression).map { String(html[$0]) })
        XCTAssertTrue(html.contains("window.opener.postMessage({result: \"success\", token: \"\(token)\"}"))
        let joined = try h.call("POST", "meet", "request_token", body: #"{"display_name":"A","chosen_idp":"idp-2","sso_token":"\#(token)"}"#)
        XCTAssertEqual(joined.status, 200)
        let uuid = try XCTUnwrap(joined.json?["result"]?["participant_uuid"]?.stringValue)
        let listed = try h.call("GET", "meet", "participants", token: joined.json?["result"]?["token"]?.stringValue)
        XCTAssertEqual(listed.json?["result"]?.arrayValue?.first { $0["uuid"]?.stringValue == uuid }?["is_idp_authenticated"], .bool(true))
        // Good once.
        let again = try h.call("POST", "meet", "request_token", body: #"{"display_name":"B","chosen_idp":"idp-2","sso_token":"\#(token)"}"#)
        XCTAssertEqual(again.status, 403)
        XCTAssertEqual(String(decoding: again.raw.body, as: UTF8.self), #"{"result":"SSO authentication failed","status":"failure"}"#)
        XCTAssertEqual(h.node.journal().filter { $0.kind == .action && $0.action == "sso_login" }.count, 1)
    }

    func testWrongProviderTokenOrConferenceIsRefused() throws {
        let h = try node()
        let unknown = try h.call("POST", "meet", "request_token", body: #"{"chosen_idp":"idp-9"}"#)
        XCTAssertEqual(unknown.json?["result"], "Unknown identity provider")
        let token = try h.node.ssoLogin(conference: "meet", idp: "Northwind")
        let mismatched = try h.call("POST", "meet", "request_token", body: #"{"chosen_idp":"idp-2","sso_token":"\#(token)"}"#)
        XCTAssertEqual(mismatched.status, 403)
        XCTAssertEqual(mismatched.json?["result"], "SSO authentication failed")
        XCTAssertThrowsError(try h.node.ssoLogin(conference: "meet", idp: "Fabrikam")) {
            XCTAssertEqual("\($0)", "no identity provider 'Fabrikam' in 'meet'; it has: Northwind (idp-1), Contoso (idp-2)")
        }
    }

    func testRedirectFirstAndJSONLoginAnswer() throws {
        let h = try node(redirectFirst: true, providers: [IdentityProvider(uuid: "only", name: "Northwind")])
        let first = try h.call("POST", "meet", "request_token", body: #"{"display_name":"A"}"#)
        XCTAssertEqual(first.json?["result"]?["redirect_idp"]?["uuid"], "only")
        let login = try LoopbackClient.request(port: h.port, method: "GET", target: "/_mock/sso/only?conference=meet",
                                               headers: [("Accept", "application/json")])
        let token = try XCTUnwrap(JSONValue.parse(login.body)?["token"]?.stringValue)
        XCTAssertEqual(JSONValue.parse(login.body)?["result"], "success")
        XCTAssertEqual(try h.call("POST", "meet", "request_token", body: #"{"chosen_idp":"only","sso_token":"\#(token)"}"#).status, 200)
    }

    func testConferenceFileProblems() throws {
        var c = ConferenceConfig(alias: "meet")
        c.ssoRedirectFirst = true
        XCTAssertEqual(c.problems().map(\.message), ["sso_redirect_first needs exactly one entry in sso_idps"])
        c.ssoIDPs = [IdentityProvider(uuid: "a", name: "One"), IdentityProvider(uuid: "a", name: "Two")]
        XCTAssertTrue(c.problems().map(\.message).contains("sso_idps must each have a name and a uuid of their own"))
        let decoded = try JSONValue.parse(#"{"alias":"x","sso_idps":[{"name":"One"},{"name":"Two","uuid":"u2"}]}"#)!.decode(ConferenceConfig.self)
        XCTAssertEqual(decoded.ssoIDPs.map(\.uuid), ["5a5a0000-0000-4000-8000-000000000001", "u2"])
    }

    func testTheSSOTokenSurvivesAPINPromptAndIsUsedUpByTheJoin() throws {
        var c = ConferenceConfig(alias: "meet", hostPIN: "1234")
        c.ssoIDPs = [IdentityProvider(uuid: "only", name: "Northwind")]
        let h = try NodeHarness([c])
        let token = try h.node.ssoLogin(conference: "meet")
        let body = #"{"chosen_idp":"only","sso_token":"\#(token)"}"#
        XCTAssertNotNil(try h.call("POST", "meet", "request_token", body: body).json?["result"]?["pin"])
        XCTAssertEqual(try h.call("POST", "meet", "request_token", pin: "1234", body: body).status, 200)
        XCTAssertEqual(try h.call("POST", "meet", "request_token", pin: "1234", body: body).json?["result"], "SSO authentication failed")
    }
}
