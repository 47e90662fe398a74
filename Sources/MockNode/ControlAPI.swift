import Foundation
import MicroHTTP
import PexipWire

/// The control API under `/_mock/`: the Swift control surface over HTTP, JSON
/// in and out. `GET /_mock` lists it. Errors answer `{"error": "..."}`.
extension MockNode {
    static let controlIndex: [String: String] = [
        "GET /_mock": "this list",
        "GET /_mock/conferences": "conference settings",
        "PUT /_mock/conferences/<alias>": "define or replace a conference (body: settings; alias optional)",
        "DELETE /_mock/conferences/<alias>": "remove a conference, disconnecting its participants",
        "POST /_mock/conferences/<alias>/lock | unlock": "lock or unlock as a host would",
        "GET /_mock/participants[?alias=A]": "participants with uuid, role, token, open streams",
        "POST /_mock/conferences/<alias>/participants": "add a simulated participant {display_name, role: chair|guest}",
        "DELETE /_mock/participants/<uuid>": "remove a participant (a real one is ejected)",
        "POST /_mock/participants/<uuid>/update": "{display_name?, role?, muted?, hand_raised?} → participant_update",
        "POST /_mock/participants/<uuid>/message": "a simulated participant chats {text, to?: uuid}",
        "POST /_mock/participants/<uuid>/eject": "disconnect with {reason?}, then cut the stream",
        "POST /_mock/participants/<uuid>/expire": "expire the token now",
        "POST /_mock/participants/<uuid>/drop_stream": "cut the event stream(s); the participant stays",
        "POST /_mock/participants/<uuid>/stall_stream | unstall_stream": "freeze or thaw the event stream(s)",
        "POST /_mock/participants/<uuid>/refer": "send refer {alias, role?: HOST|GUEST} → {token}",
        "POST /_mock/events": "inject {event, data (JSON), participant? | alias?} (neither: everyone)",
        "GET /_mock/faults": "armed fault rules",
        "POST /_mock/faults": "add {path, method?, action: status|delay|drop, status?, body?, delay?, count?}",
        "DELETE /_mock/faults": "clear fault rules",
        "GET /_mock/journal?after=N&limit=M": "journal entries after seq N, a page at a time (1000, or M up to 10000; 4 MiB) {entries, head, dropped, next, more}",
        "POST /_mock/journal/note": "add a note {label, data? (JSON)} to the journal → the entry",
        "POST /_mock/maintenance": "{on: true|false}: GET status answers 503 while on",
        "POST /_mock/clock/advance": "{seconds}: advance a manual clock",
        "POST /_mock/reset": "back to the starting conferences, journal emptied",
    ]

    func handleControl(_ req: HTTPRequest) -> HTTPResult {
        let parts = req.path.split(separator: "/").map(String.init).dropFirst()  // drop "_mock"
        let segs = Array(parts)
        do {
            return try routeControl(req, segs)
        } catch let error as MockNodeError {
            return controlReply(error.httpStatus, ["error": .string(error.description)])
        } catch {
            return controlReply(400, ["error": .string(describe(error))])
        }
    }

    private func routeControl(_ req: HTTPRequest, _ p: [String]) throws -> HTTPResult {
        let m = req.method
        switch (m, p.count, p.first) {
        case ("GET", 0, _):
            return controlReply(200, .object(MockNode.controlIndex.mapValues { .string($0) }))
        case ("GET", 1, "conferences"):
            return controlReply(200, JSONValue.from(conferences()))
        case ("PUT", 2, "conferences"), ("POST", 1, "conferences"):
            var body = try controlBody(req)
            if p.count == 2 {
                if var o = body.objectValue {
                    if let given = o["alias"]?.stringValue, given.lowercased() != p[1].lowercased() {
                        throw MockNodeError.badRequest("alias in the body ('\(given)') differs from the path ('\(p[1])')")
                    }
                    o["alias"] = .string(p[1])
                    body = .object(o)
                }
            }
            let config = try body.decode(ConferenceConfig.self)
            try defineConference(config)
            return controlReply(200, JSONValue.from(config))
        case ("DELETE", 2, "conferences"):
            try removeConference(p[1])
            return controlReply(200, ["removed": .string(p[1])])
        case ("POST", 3, "conferences") where p[2] == "lock" || p[2] == "unlock":
            try setLocked(p[1], p[2] == "lock")
            return controlReply(200, JSONValue.from(try status(of: p[1])))
        case ("POST", 3, "conferences") where p[2] == "participants":
            let body = try controlBody(req)
            guard let name = body["display_name"]?.stringValue else {
                throw MockNodeError.badRequest("display_name is required")
            }
            let role = try body["role"].map { try $0.decode(ParticipantRole.self) } ?? .guest
            let uuid = try addParticipant(to: p[1], displayName: name, role: role, uuid: try Self.string(body, "uuid"))
            return controlReply(200, ["uuid": .string(uuid)])
        case ("GET", 1, "participants"):
            return controlReply(200, JSONValue.from(participants(in: req.queryValue("alias"))))
        case ("DELETE", 2, "participants"):
            try removeParticipant(p[1])
            return controlReply(200, ["removed": .string(p[1])])
        case ("POST", 3, "participants"):
            return try participantAction(p[1], p[2], req)
        case ("POST", 1, "events"):
            let body = try controlBody(req)
            guard let event = body["event"]?.stringValue, !event.isEmpty else {
                throw MockNodeError.badRequest("event (the event name) is required")
            }
            let data = body["data"]?.jsonText ?? "null"
            let target: EventTarget = try Self.string(body, "participant").map { .participant($0) }
                ?? Self.string(body, "alias").map { .conference($0) } ?? .everyone
            let started = DispatchTime.now().uptimeNanoseconds
            let n = try inject(event: event, data: data, to: target)
            let queued = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            return controlReply(200, ["recipients": .number(Double(n)), "queued_ms": .number((queued * 100).rounded() / 100)])
        case ("GET", 1, "faults"):
            let rules = faults().map { rule, remaining -> JSONValue in
                var o = JSONValue.from(rule).objectValue ?? [:]
                o["remaining"] = .number(Double(remaining))
                return .object(o)
            }
            return controlReply(200, .array(rules))
        case ("POST", 1, "faults"):
            let rule = try controlBody(req).decode(FaultRule.self)
            try addFault(rule)
            return controlReply(200, JSONValue.from(rule))
        case ("DELETE", 1, "faults"):
            clearFaults()
            return controlReply(200, ["cleared": .bool(true)])
        case ("GET", 1, "journal"):
            let after = try Self.queryInt(req, "after", default: Int(req.queryValue("since") ?? "0") ?? 0, 0...Int.max)
            let limit = try Self.queryInt(req, "limit", default: Self.journalPage, 1...Self.journalPage * 10)
            let entries = journal(after: after, limit: limit, byteLimit: Self.journalPageBytes)
            let next = entries.last?.seq ?? after  // the `after` of the next page
            let more = !journal(after: next, limit: 1).isEmpty
            return controlReply(200, ["entries": JSONValue.from(entries), "head": .number(Double(journalHead)),
                                      "dropped": .number(Double(journalDropped)), "next": .number(Double(next)),
                                      "more": .bool(more)])
        case ("POST", 2, "journal") where p[1] == "note":
            let body = try controlBody(req)
            guard let label = body["label"]?.stringValue, !label.isEmpty else {
                throw MockNodeError.badRequest("label is required")
            }
            return controlReply(200, JSONValue.from(try note(label, data: body["data"]?.jsonText)))
        case ("POST", 1, "maintenance"):
            let on = try Self.bool(try controlBody(req), "on") ?? true
            setMaintenance(on)
            return controlReply(200, ["maintenance": .bool(on)])
        case ("POST", 2, "clock") where p[1] == "advance":
            guard let seconds = try controlBody(req)["seconds"]?.numberValue else {
                throw MockNodeError.badRequest("seconds (\(Limits.clockAdvance.rangeText)) is required")
            }
            try advanceClock(by: seconds)
            return controlReply(200, ["advanced": .number(seconds)])
        case ("POST", 1, "reset"):
            reset()
            return controlReply(200, ["reset": .bool(true)])
        default:
            return controlReply(404, ["error": .string("no control request \(m) \(req.path); GET /_mock lists them")])
        }
    }

    private func participantAction(_ uuid: String, _ action: String, _ req: HTTPRequest) throws -> HTTPResult {
        switch action {
        case "eject":
            let reason = try Self.string(try controlBody(req), "reason") ?? WireMessage.disconnectedByRemoteHost
            try eject(uuid, reason: reason)
        case "expire":
            try expireToken(of: uuid)
        case "drop_stream":
            try dropStreams(of: uuid)
        case "stall_stream", "unstall_stream":
            try stallStreams(of: uuid, stalled: action == "stall_stream")
        case "refer":
            let body = try controlBody(req)
            guard let alias = body["alias"]?.stringValue else { throw MockNodeError.badRequest("alias is required") }
            let role = try body["role"].map { try $0.decode(TokenRole.self) }
            let token = try refer(uuid, to: alias, role: role)
            return controlReply(200, ["token": .string(token)])
        case "message":
            let body = try controlBody(req)
            guard let text = body["text"]?.stringValue else { throw MockNodeError.badRequest("text is required") }
            try sendMessage(from: uuid, text: text, to: try Self.string(body, "to"))
        case "update":
            let body = try controlBody(req)
            try Self.allowOnly(body, ["display_name", "role", "muted", "hand_raised"])
            try updateParticipant(uuid, displayName: try Self.string(body, "display_name"),
                                  role: try body["role"].map { try $0.decode(ParticipantRole.self) },
                                  muted: try Self.bool(body, "muted"), handRaised: try Self.bool(body, "hand_raised"))
        default:
            throw MockNodeError.badRequest("unknown participant action '\(action)'; GET /_mock lists them")
        }
        return controlReply(200, ["ok": .bool(true)])
    }

    private func controlBody(_ req: HTTPRequest) throws -> JSONValue {
        if req.body.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 }) { return .object([:]) }
        guard let v = JSONValue.parse(req.body) else { throw MockNodeError.badRequest("body is not valid JSON") }
        guard v.objectValue != nil else { throw MockNodeError.badRequest("body must be a JSON object") }
        return v
    }

    /// Entries in one page of `GET /_mock/journal` unless `limit` says otherwise (at most ten times this).
    static let journalPage = 1_000
    /// A page also stops once its entries pass this many bytes (after the first entry).
    static let journalPageBytes = 4 << 20

    /// A whole-number query argument within `range`.
    static func queryInt(_ req: HTTPRequest, _ name: String, default value: Int, _ range: ClosedRange<Int>) throws -> Int {
        guard let text = req.queryValue(name) else { return value }
        guard let n = Int(text), range.contains(n) else {
            let upper = range.upperBound == Int.max ? "" : " to \(range.upperBound)"
            throw MockNodeError.badRequest("\(name) must be a whole number from \(range.lowerBound)\(upper) (got '\(text)')")
        }
        return n
    }

    /// A field that must be true or false when given (not "false", not 0).
    static func bool(_ body: JSONValue, _ key: String) throws -> Bool? {
        guard let v = body[key], v != .null else { return nil }
        guard let b = v.boolValue else { throw MockNodeError.badRequest("\(key) must be true or false (got \(v.jsonText))") }
        return b
    }

    /// A field that must be text when given.
    static func string(_ body: JSONValue, _ key: String) throws -> String? {
        guard let v = body[key], v != .null else { return nil }
        guard let s = v.stringValue else { throw MockNodeError.badRequest("\(key) must be text (got \(v.jsonText))") }
        return s
    }

    /// Refuses a field the request does not take (a typo would otherwise do nothing, with 200).
    static func allowOnly(_ body: JSONValue, _ keys: Set<String>) throws {
        if let unknown = body.objectValue?.keys.filter({ !keys.contains($0) }).sorted().first {
            throw MockNodeError.badRequest("unknown field '\(unknown)'; allowed: \(keys.sorted().joined(separator: ", "))")
        }
    }

    private func controlReply(_ status: Int, _ value: JSONValue) -> HTTPResult {
        var headers = HTTPHeaders()
        headers.set("Content-Type", "application/json")
        return .response(HTTPResponse(status: status, headers: headers, body: WireJSON.bytes(value)))
    }
}

