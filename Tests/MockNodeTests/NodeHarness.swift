import Foundation
import MicroHTTP
import MockNode
import PexipWire
import XCTest

/// A live node on an ephemeral loopback port with a manual clock, and a
/// plain wire client for it.
final class NodeHarness {
    let node: MockNode
    let clock = ManualClock()

    init(_ conferences: [ConferenceConfig], configure: (inout MockNode.Configuration) -> Void = { _ in }) throws {
        var config = MockNode.Configuration(conferences: conferences)
        config.clock = clock
        configure(&config)
        node = try MockNode(config)
        try node.start()
    }

    deinit { node.stop() }

    var port: UInt16 { node.port }

    func path(_ alias: String, _ request: String) -> String { APIPath.conference(alias, request) }

    /// POST/GET with optional token/pin headers; returns status and parsed JSON.
    @discardableResult
    func call(_ method: String, _ alias: String, _ request: String, token: String? = nil, pin: String? = nil,
              body: String? = nil, headers: [(String, String)] = []) throws -> (status: Int, json: JSONValue?, raw: LoopbackResponse) {
        var h = headers
        if let token { h.append(("token", token)) }
        if let pin { h.append(("pin", pin)) }
        if body != nil { h.append(("Content-Type", "application/json")) }
        let r = try LoopbackClient.request(port: port, method: method, target: path(alias, request), headers: h,
                                           body: Array((body ?? "").utf8))
        return (r.status, JSONValue.parse(r.body), r)
    }

    /// request_token that must succeed; returns (token, participant uuid, result).
    func join(_ alias: String, name: String, pin: String? = nil, body extra: [String: JSONValue] = [:]) throws
        -> (token: String, uuid: String, result: JSONValue) {
        var o = extra
        o["display_name"] = .string(name)
        let r = try call("POST", alias, "request_token", pin: pin, body: JSONValue.object(o).jsonText)
        XCTAssertEqual(r.status, 200, "request_token failed: \(r.raw.text)")
        let result = try XCTUnwrap(r.json?["result"])
        return (try XCTUnwrap(result["token"]?.stringValue), try XCTUnwrap(result["participant_uuid"]?.stringValue), result)
    }

    /// Opens the event stream and reads past the initial burst.
    func listen(_ alias: String, token: String) throws -> EventReader {
        let events = try openEvents(alias, token: token)
        _ = try events.read(until: "presentation_stop")
        return events
    }

    func openEvents(_ alias: String, token: String, viaQuery: Bool = false) throws -> EventReader {
        let client = try LoopbackClient(port: port, timeout: 5)
        if viaQuery {
            try client.sendRequest(method: "GET", target: path(alias, "events") + "?token=" + token)
        } else {
            try client.sendRequest(method: "GET", target: path(alias, "events"), headers: [("token", token)])
        }
        let head = try client.readHead()
        return EventReader(client: client, status: head.status, headers: head.headers)
    }
}

/// Reads SSE events from a chunked stream with the W3C parser.
final class EventReader {
    let client: LoopbackClient
    let status: Int
    let headers: HTTPHeaders
    private var parser = SSEParser()
    private var queued: [SSEEvent] = []
    /// How the stream ended, once it has.
    private(set) var ending: ChunkRead?
    private(set) var rawText = ""

    init(client: LoopbackClient, status: Int, headers: HTTPHeaders) {
        self.client = client
        self.status = status
        self.headers = headers
    }

    var commentCount: Int { parser.commentCount }

    /// The next event, or nil if the stream ended.
    func next() throws -> SSEEvent? {
        while queued.isEmpty {
            guard ending == nil else { return nil }
            let chunk = try client.readChunk()
            switch chunk {
            case .data(let bytes):
                rawText += String(decoding: bytes, as: UTF8.self)
                queued += parser.feed(bytes)
            case .end, .cut:
                parser.finish()
                ending = chunk
            }
        }
        return queued.removeFirst()
    }

    /// Events up to and including the first named `name`.
    func read(until name: String) throws -> [SSEEvent] {
        var out: [SSEEvent] = []
        while let e = try next() {
            out.append(e)
            if e.event == name { return out }
        }
        XCTFail("stream ended before \(name); got \(out.map(\.event))")
        return out
    }

    /// Reads until the stream ends; returns the remaining events.
    func drain() throws -> [SSEEvent] {
        var out: [SSEEvent] = []
        while let e = try next() { out.append(e) }
        return out
    }

    /// Reads one more raw chunk (for heartbeats).
    func nextChunk() throws -> ChunkRead {
        let c = try client.readChunk()
        if case .data(let bytes) = c {
            rawText += String(decoding: bytes, as: UTF8.self)
            queued += parser.feed(bytes)
        }
        return c
    }
}
