import Foundation
import MicroHTTP
import MockNode
import MockNodeTesting
import PexipWire
import XCTest

/// The one vocabulary of node commands: specs, routes and `perform`, mostly without sockets.
final class CommandTests: XCTestCase {
    /// A value that passes for each field, to build every command from its required fields.
    private func sample(_ field: CommandSpec.Field) -> JSONValue {
        switch field.name {
        case "participant", "to": return "p1"
        case "conference", "alias": return "meet"
        case "seconds": return .number(1)
        case "request": return "refresh_token"
        case "status": return .number(503)
        default: return "x"
        }
    }

    func testEverySpecIsNamedOnceRoutedBackAndBuiltFromItsRequiredFields() throws {
        let names = NodeCommand.specs.map(\.name)
        XCTAssertEqual(names.count, Set(names).count, "names are unique")
        var routes = Set<String>()
        for spec in NodeCommand.specs {
            XCTAssertFalse(spec.routes.isEmpty, spec.name)
            XCTAssertTrue(spec.shorthand.map { s in spec.fields.contains { $0.name == s } } ?? true, "\(spec.name)'s shorthand is a field")
            for route in spec.routes {
                XCTAssertTrue(routes.insert("\(route.method) \(route.path)").inserted, "one command per route: \(route.path)")
            }
            var args = CommandArguments()
            for field in spec.fields where field.required { args[field.name] = sample(field) }
            if spec.name == "fail" { args["status"] = .number(503) }
            XCTAssertNoThrow(try spec.command(args), spec.name)
            if spec.fields.contains(where: \.required) {
                XCTAssertThrowsError(try spec.command(CommandArguments()), "\(spec.name) without its required fields")
            }
            XCTAssertThrowsError(try spec.command(CommandArguments(["no_such_field": .number(1)]))) { error in
                guard spec.name != "define_conference" else { return }
                XCTAssertTrue("\(error)".hasPrefix("unknown field 'no_such_field' for \(spec.name)"), "\(error)")
            }
        }
    }

    func testReferThroughPerformHandsOutAOneTimeTokenForTheTarget() throws {
        let node = try MockNode(conferences: [ConferenceConfig(alias: "meet"), ConferenceConfig(alias: "other", hostPIN: "1234")])
        let uuid = try node.addParticipant(to: "meet", displayName: "Sim")
        let args = CommandArguments(["participant": .string(uuid), "alias": "other", "role": "guest"])
        let reply = try node.perform(try XCTUnwrap(NodeCommand.spec(named: "refer")).command(args))
        XCTAssertEqual(reply["token"]?.stringValue?.isEmpty, false)
        let action = try XCTUnwrap(node.journal().last)
        XCTAssertEqual(action.action, "refer")
        XCTAssertEqual(action.alias, "other")
        XCTAssertThrowsError(try node.perform(.refer(uuid, to: "nowhere", role: nil))) { error in
            XCTAssertEqual(error as? MockNodeError, .unknownConference("nowhere"))
        }
        XCTAssertEqual(node.journal().filter { $0.action == "refer" }.count, 1, "a refused command records nothing")
    }

    func testTheIndexIsGeneratedFromTheSpecs() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let r = try LoopbackClient.request(port: h.port, method: "GET", target: "/_mock")
        let index = try XCTUnwrap(JSONValue.parse(r.body)?.objectValue)
        for spec in NodeCommand.specs {
            for route in spec.routes {
                XCTAssertNotNil(index["\(route.method) /_mock/\(route.path)"], "\(route.method) \(route.path) is listed")
            }
        }
        XCTAssertEqual(index["POST /_mock/participants/<uuid>/refer"]?.stringValue,
                       "send refer: the participant should re-join alias with the one-time token in it"
                           + " {alias: conference alias, role?: HOST|GUEST (default: as now)} → {token} (timeline: refer)")
        XCTAssertNotNil(index["GET /_mock/journal?after=N&limit=M"])
    }

    func testControlRoutesSayWhatIsWrong() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "Alice")
        func control(_ method: String, _ path: String, _ body: String = "") throws -> String {
            let r = try LoopbackClient.request(port: h.port, method: method, target: "/_mock" + path, body: Array(body.utf8))
            return "\(r.status) " + (JSONValue.parse(r.body)?["error"]?.stringValue ?? "")
        }
        XCTAssertEqual(try control("GET", "/participants/\(a.uuid)/eject"),
                       "405 /_mock/participants/\(a.uuid)/eject takes POST, not GET")
        XCTAssertEqual(try control("POST", "/participants/\(a.uuid)/eject", #"{"reson":"x"}"#),
                       "400 unknown field 'reson' for eject; allowed: participant, reason")
        XCTAssertEqual(try control("POST", "/participants/\(a.uuid)/eject", #"{"participant":"someone-else"}"#),
                       "400 participant in the body (\"someone-else\") differs from the path ('\(a.uuid)')")
        XCTAssertEqual(try control("POST", "/participants/\(a.uuid)/dance"),
                       "404 no control request POST /_mock/participants/\(a.uuid)/dance; GET /_mock lists them")
        XCTAssertEqual(try control("POST", "/participants/\(a.uuid)/refer", #"{"alias":"meet","role":"boss"}"#),
                       "400 role must be HOST or GUEST (got 'boss')")
        XCTAssertEqual(h.node.participants().count, 1, "nothing happened")
        XCTAssertEqual(try control("POST", "/participants/\(a.uuid)/stall_stream", #"{"stalled":false}"#), "200 ")
    }
}
