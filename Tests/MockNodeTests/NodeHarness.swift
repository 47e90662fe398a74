import Foundation
import MicroHTTP
import MockNode
import MockNodeTesting
import PexipWire

/// These tests' node: MockNodeTesting's `TestNode` on a manual clock, with the
/// short names the tests use.
final class NodeHarness {
    let test: TestNode
    var node: MockNode { test.node }
    var clock: ManualClock { test.clock! }

    init(_ conferences: [ConferenceConfig], configure: (inout MockNode.Configuration) -> Void = { _ in }) throws {
        test = try TestNode(conferences: conferences, manualClock: true, configure: configure)
    }

    deinit { test.stop() }

    /// Moves the clock past the delay between a `disconnect` event and the cut of the stream
    /// (`disconnect_cut_delay`, 0.1 s by default), which runs on the node's clock.
    func passCutDelay() { clock.advance(by: 0.1) }

    var port: UInt16 { test.port }

    func path(_ alias: String, _ request: String) -> String { APIPath.conference(alias, request) }

    /// POST/GET with optional token/pin headers; returns status and parsed JSON.
    @discardableResult
    func call(_ method: String, _ alias: String, _ request: String, token: String? = nil, pin: String? = nil,
              body: String? = nil, headers: [(String, String)] = []) throws -> (status: Int, json: JSONValue?, raw: LoopbackResponse) {
        let a = try test.client.call(method, alias, request, token: token, pin: pin, body: body, headers: headers)
        return (a.status, a.json, a.raw)
    }

    /// request_token that must succeed; returns (token, participant uuid, result).
    func join(_ alias: String, name: String, pin: String? = nil, body extra: [String: JSONValue] = [:]) throws
        -> (token: String, uuid: String, result: JSONValue) {
        let j = try test.client.join(alias, name: name, pin: pin, body: extra)
        return (j.token, j.uuid, j.result)
    }

    /// Opens the event stream and reads past the initial burst.
    func listen(_ alias: String, token: String) throws -> EventReader {
        let events = try openEvents(alias, token: token)
        _ = try events.read(until: "presentation_stop")
        return events
    }

    func openEvents(_ alias: String, token: String, viaQuery: Bool = false) throws -> EventReader {
        try test.client.events(alias, token: token, viaQuery: viaQuery)
    }
}
