import Foundation
import MicroHTTP
import PexipWire

/// A plain client of the node's client API, for tests: each call is one HTTP
/// exchange on a fresh loopback connection, answered as status and JSON.
public struct TestClient: Sendable {
    public let port: UInt16

    public init(port: UInt16) { self.port = port }

    /// An answer: the status, the body parsed as JSON (nil if it is not), and the raw response.
    public struct Answer: Sendable {
        public let status: Int
        public let json: JSONValue?
        public let raw: LoopbackResponse
        /// The envelope's `result`.
        public var result: JSONValue? { json?["result"] }
    }

    /// A participant that joined: its token, uuid and the whole `request_token` result.
    public struct Joined: Sendable {
        public let token: String
        public let uuid: String
        public let result: JSONValue
    }

    /// Any request under a conference, with optional `token` and `pin` headers.
    @discardableResult
    public func call(_ method: String, _ alias: String, _ request: String, token: String? = nil, pin: String? = nil,
                     body: String? = nil, headers: [(String, String)] = []) throws -> Answer {
        var h = headers
        if let token { h.append(("token", token)) }
        if let pin { h.append(("pin", pin)) }
        if body != nil { h.append(("Content-Type", "application/json")) }
        let r = try LoopbackClient.request(port: port, method: method, target: APIPath.conference(alias, request),
                                           headers: h, body: Array((body ?? "").utf8))
        return Answer(status: r.status, json: JSONValue.parse(r.body), raw: r)
    }

    /// `request_token` that must be answered 200 (throws with the answer otherwise).
    public func join(_ alias: String, name: String, pin: String? = nil, body extra: [String: JSONValue] = [:]) throws -> Joined {
        var o = extra
        o["display_name"] = .string(name)
        let a = try call("POST", alias, "request_token", pin: pin, body: JSONValue.object(o).jsonText)
        guard a.status == 200, let result = a.result, let token = result["token"]?.stringValue,
              let uuid = result["participant_uuid"]?.stringValue else {
            throw TestNodeError("request_token to '\(alias)' answered \(a.status): \(a.raw.text)")
        }
        return Joined(token: token, uuid: uuid, result: result)
    }

    /// `refresh_token` that must be answered 200; returns the new token.
    public func refresh(_ alias: String, token: String) throws -> String {
        let a = try call("POST", alias, "refresh_token", token: token)
        guard a.status == 200, let new = a.result?["token"]?.stringValue else {
            throw TestNodeError("refresh_token answered \(a.status): \(a.raw.text)")
        }
        return new
    }

    /// `release_token`; returns the status.
    @discardableResult
    public func release(_ alias: String, token: String) throws -> Int {
        try call("POST", alias, "release_token", token: token).status
    }

    /// Opens the event stream (token in the header, or in the query as browsers send it).
    public func events(_ alias: String, token: String, viaQuery: Bool = false, timeout: Double = 5) throws -> EventReader {
        let client = try LoopbackClient(port: port, timeout: timeout)
        if viaQuery {
            try client.sendRequest(method: "GET", target: APIPath.conference(alias, "events") + "?token=" + token)
        } else {
            try client.sendRequest(method: "GET", target: APIPath.conference(alias, "events"), headers: [("token", token)])
        }
        let head = try client.readHead()
        return EventReader(client: client, status: head.status, headers: head.headers)
    }
}
