import Foundation
import MicroHTTP
import PexipWire

/// What a node can be told to do: the one vocabulary behind the Swift API
/// (`MockNode.perform`, and the typed methods that wrap it), the control API's
/// `/_mock` routes and the actions of scenario timelines.
///
/// Each command has a spec (`NodeCommand.specs`): its name, its control
/// routes, the fields it takes and a line of help. The control API and
/// `GET /_mock` are generated from the specs; a timeline action named as a
/// command takes the same fields, with the participant (and conference) it
/// names defaulting to the client under test. Adding a command is a case
/// here, its spec, and its arm in `MockNode.perform`.
public enum NodeCommand: Sendable, Equatable {
    case defineConference(ConferenceConfig)
    case removeConference(String)
    case lock(conference: String, locked: Bool)
    case addParticipant(conference: String, displayName: String, role: ParticipantRole, uuid: String?)
    case removeParticipant(String, reason: String)
    case updateParticipant(String, displayName: String?, role: ParticipantRole?, muted: Bool?, handRaised: Bool?)
    case message(from: String, text: String, to: String?)
    case inject(event: String, data: String, to: EventTarget)
    case note(label: String, data: String?)
    case eject(String, reason: String)
    case expireToken(String)
    case dropStreams(String, how: EventStream.Ending)
    case stallStreams(String, stalled: Bool)
    case paceStreams(String, EventStream.Pacing)
    case cutInEvent(String, event: String, data: String, keep: Int?)
    case comment(String, text: String, blankLine: Bool?)
    case refer(String, to: String, role: TokenRole?)
    case transfer(String, to: String, role: TokenRole?)
    case ssoLogin(conference: String, idp: String)
    case caption(conference: String, text: String, isFinal: Bool)
    case createBreakout(conference: String, name: String, participants: [String], guestsAllowedToLeave: Bool)
    case moveToBreakout(String, room: String)
    case endBreakout(conference: String, room: String)
    case maintenance(Bool)
    case fail(FaultRule)
    case clearFaults
    case reset
    case advanceClock(Double)

    /// How timelines and reports name the command.
    public var label: String {
        switch self {
        case .defineConference(let c): return "define conference \(c.alias)"
        case .removeConference(let a): return "remove conference \(a)"
        case .lock(_, let on): return on ? "lock" : "unlock"
        case .addParticipant(_, let name, _, _): return "add participant \(name)"
        case .removeParticipant(let who, _): return "remove participant \(who)"
        case .updateParticipant(let who, _, _, _, _): return "update participant \(who)"
        case .message(let from, _, _): return "chat from \(from)"
        case .inject(let event, _, _): return "emit \(event)"
        case .note(let label, _): return "note \(label)"
        case .eject(_, let reason): return "eject (\(reason))"
        case .expireToken: return "expire the token"
        case .dropStreams(_, let how):
            switch how {
            case .cut: return "drop the stream"
            case .reset: return "reset the stream"
            case .clean: return "end the stream cleanly"
            }
        case .stallStreams(_, let on): return on ? "stall the stream" : "thaw the stream"
        case .paceStreams(_, let p): return p == .none ? "pace the stream normally" : "pace the stream"
        case .cutInEvent(_, let event, _, _): return "cut the stream inside \(event)"
        case .comment(_, _, let blank): return blank == false ? "comment (no blank line)" : "comment"
        case .refer(_, let alias, _): return "refer to \(alias)"
        case .transfer(_, let alias, _): return "transfer to \(alias)"
        case .ssoLogin(_, let idp): return "sign in at \(idp)"
        case .caption(_, let text, _): return "caption \(text)"
        case .createBreakout(_, let name, _, _): return "open breakout room \(name)"
        case .moveToBreakout(_, let room): return room == "main" ? "back to the main room" : "move to breakout room \(room)"
        case .endBreakout(_, let room): return "close breakout room \(room)"
        case .maintenance(let on): return on ? "maintenance on" : "maintenance off"
        case .fail(let rule): return "fault: \(rule.label) ×\(rule.count)"
        case .clearFaults: return "clear faults"
        case .reset: return "reset"
        case .advanceClock(let s): return "advance the clock \(s) s"
        }
    }
}

/// How a command is named, reached and given its fields.
public struct CommandSpec: Sendable {
    /// A control route: `POST` and a path under `/_mock/` in which `<uuid>`
    /// stands for the field `participant` and `<alias>` for `conference`.
    public struct Route: Sendable, Hashable {
        public let method: String
        public let path: String
        /// `path` split at its slashes, once (every control request is matched against every route).
        let segments: [String]

        init(method: String, path: String) {
            self.method = method
            self.path = path
            segments = path.split(separator: "/").map(String.init)
        }
    }

    /// A field the command takes (from the body, the path or a timeline step).
    public struct Field: Sendable {
        /// What a timeline step that leaves the field out means.
        public enum Default: Sendable, Equatable {
            case none
            /// The client under test (its participant uuid).
            case client
            /// The client's conference.
            case clientConference
        }

        public let name: String
        /// Its type and meaning in a few words, for `GET /_mock`.
        public let about: String
        public let required: Bool
        public let timelineDefault: Default
        /// A participant's uuid (a timeline may name a simulated participant by display name).
        public var namesParticipant: Bool { about.hasPrefix("uuid") }
    }

    /// The command's name: its timeline action and its name in the journal.
    public let name: String
    public let routes: [Route]
    public let summary: String
    public let fields: [Field]
    /// What the control request answers, for `GET /_mock`.
    public let reply: String
    /// The field a timeline's scalar form sets (`eject: Removed by the host`).
    public let shorthand: String?
    /// Whether scenarios may use it (`reset` would empty the journal they are judged from).
    public let inTimeline: Bool
    /// Whether fields other than `fields` are passed on (a conference's settings).
    let openFields: Bool
    let make: @Sendable (CommandArguments) throws -> NodeCommand

    /// The command these arguments describe, or a `badRequest` saying what is wrong.
    public func command(_ arguments: CommandArguments) throws -> NodeCommand {
        if !openFields {
            let known = Set(fields.map(\.name))
            if let unknown = arguments.values.keys.filter({ !known.contains($0) }).sorted().first {
                let allowed = known.isEmpty ? "it takes none" : "allowed: \(known.sorted().joined(separator: ", "))"
                throw MockNodeError.badRequest("unknown field '\(unknown)' for \(name); \(allowed)")
            }
        }
        return try make(arguments)
    }

    /// `{display_name: text, role?: chair|guest}`: the fields a request on
    /// `path` takes in its body, as `GET /_mock` shows them.
    package func fieldsText(inPath path: String) -> String {
        let body = fields.filter {
            !($0.name == "participant" && path.contains("<uuid>")) && !($0.name == "conference" && path.contains("<alias>"))
        }
        guard !body.isEmpty else { return "" }
        return "{" + body.map { "\($0.name)\($0.required ? "" : "?"): \($0.about)" }.joined(separator: ", ") + "}"
    }
}

/// A command's fields by name: a control request's JSON body with its path's
/// `participant` and `conference`, or a timeline step's mapping.
public struct CommandArguments: Sendable, Equatable {
    public var values: [String: JSONValue]

    public init(_ values: [String: JSONValue] = [:]) { self.values = values }

    public subscript(_ key: String) -> JSONValue? {
        get { values[key].flatMap { $0 == .null ? nil : $0 } }
        set { values[key] = newValue }
    }

    /// A field that must be text when given.
    public func text(_ key: String) throws -> String? {
        guard let v = self[key] else { return nil }
        guard let s = v.stringValue else { throw MockNodeError.badRequest("\(key) must be text (got \(v.jsonText))") }
        return s
    }

    /// A text field that must be given (and, unless `allowEmpty`, not be empty).
    public func required(_ key: String, _ what: String? = nil, allowEmpty: Bool = false) throws -> String {
        guard let s = try text(key), allowEmpty || !s.isEmpty else {
            throw MockNodeError.badRequest("\(what ?? key) is required")
        }
        return s
    }

    /// A field that must be true or false when given (not "false", not 0).
    public func bool(_ key: String) throws -> Bool? {
        guard let v = self[key] else { return nil }
        guard let b = v.boolValue else { throw MockNodeError.badRequest("\(key) must be true or false (got \(v.jsonText))") }
        return b
    }

    public func number(_ key: String) throws -> Double? {
        guard let v = self[key] else { return nil }
        guard let n = v.numberValue else { throw MockNodeError.badRequest("\(key) must be a number (got \(v.jsonText))") }
        return n
    }

    /// `chair` or `guest` (also `host`, any case).
    public func participantRole(_ key: String = "role") throws -> ParticipantRole? {
        guard let word = try text(key) else { return nil }
        switch word.lowercased() {
        case "chair", "host": return .chair
        case "guest": return .guest
        default: throw MockNodeError.badRequest("\(key) must be chair (host) or guest (got '\(word)')")
        }
    }

    /// `HOST` or `GUEST` (any case; `chair` for HOST).
    public func tokenRole(_ key: String = "role") throws -> TokenRole? {
        guard let word = try text(key) else { return nil }
        switch word.lowercased() {
        case "host", "chair": return .host
        case "guest": return .guest
        default: throw MockNodeError.badRequest("\(key) must be HOST or GUEST (got '\(word)')")
        }
    }

    /// The whole set decoded as `T` (the fields are `T`'s keys).
    func decode<T: Decodable>(_ type: T.Type, dropping: [String] = []) throws -> T {
        try JSONValue.object(values.filter { !dropping.contains($0.key) }).decode(type)
    }
}

extension NodeCommand {
    /// The spec of a command by name.
    public static func spec(named name: String) -> CommandSpec? { specsByName[name] }

    private static let specsByName = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0) })

    /// The command a control request (`POST`, the path's segments after `_mock`) names,
    /// with the arguments its path gives; nil if no route has that path.
    /// `wrongMethod` is set when the path exists for other methods.
    static func route(_ method: String, _ segments: [String]) -> (CommandSpec, CommandArguments)? {
        for spec in specs {
            for route in spec.routes where route.method == method {
                if let args = match(route.segments, segments) { return (spec, args) }
            }
        }
        return nil
    }

    /// The methods the path is served with, if any.
    static func methods(for segments: [String]) -> [String] {
        specs.flatMap(\.routes).filter { match($0.segments, segments) != nil }.map(\.method)
    }

    static func match(_ parts: [String], _ segments: [String]) -> CommandArguments? {
        guard parts.count == segments.count else { return nil }
        var args = CommandArguments()
        for (t, s) in zip(parts, segments) {
            switch t {
            case "<uuid>": args["participant"] = .string(s)
            case "<alias>": args["conference"] = .string(s)
            default: if t != s { return nil }
            }
        }
        return args
    }

    private typealias F = CommandSpec.Field
    private static func field(_ name: String, _ about: String, required: Bool = false,
                              default timelineDefault: F.Default = .none) -> F {
        F(name: name, about: about, required: required, timelineDefault: timelineDefault)
    }
    private static let participant = field("participant", "uuid", required: true, default: .client)
    private static let conference = field("conference", "alias", required: true, default: .clientConference)
    private static func route(_ method: String, _ path: String) -> CommandSpec.Route {
        CommandSpec.Route(method: method, path: path)
    }

    private static func spec(_ name: String, _ routes: [CommandSpec.Route], _ summary: String, _ fields: [F] = [],
                             reply: String = "{ok: true}", shorthand: String? = nil, inTimeline: Bool = true,
                             openFields: Bool = false,
                             _ make: @escaping @Sendable (CommandArguments) throws -> NodeCommand) -> CommandSpec {
        CommandSpec(name: name, routes: routes, summary: summary, fields: fields, reply: reply, shorthand: shorthand,
                    inTimeline: inTimeline, openFields: openFields, make: make)
    }

    /// Every command, in the order `GET /_mock` lists them.
    public static let specs: [CommandSpec] = [
        spec("define_conference", [route("PUT", "conferences/<alias>"), route("POST", "conferences")],
             "define or replace a conference (its participants stay); the body holds its settings as a conference file does (host_pin, expires, …)",
             [field("alias", "text (PUT: the path's)", required: true)],
             reply: "the settings", openFields: true) { a in
            var body = a
            if let path = try a.text("conference") {
                if let given = try a.text("alias"), given.lowercased() != path.lowercased() {
                    throw MockNodeError.badRequest("alias in the body ('\(given)') differs from the path ('\(path)')")
                }
                body["alias"] = .string(path)
            }
            return .defineConference(try body.decode(ConferenceConfig.self, dropping: ["conference"]))
        },
        spec("remove_conference", [route("DELETE", "conferences/<alias>")],
             "remove a conference, disconnecting its participants", [conference], reply: "{removed: alias}") { a in
            .removeConference(try a.required("conference"))
        },
        spec("lock", [route("POST", "conferences/<alias>/lock")], "lock (or, with locked: false, unlock) as a host would",
             [conference, field("locked", "true|false (default true)")], reply: "the conference status",
             shorthand: "locked") { a in
            .lock(conference: try a.required("conference"), locked: try a.bool("locked") ?? true)
        },
        spec("unlock", [route("POST", "conferences/<alias>/unlock")], "unlock as a host would", [conference],
             reply: "the conference status") { a in
            .lock(conference: try a.required("conference"), locked: false)
        },
        spec("add_participant", [route("POST", "conferences/<alias>/participants")],
             "add a simulated participant (no client behind it)",
             [conference, field("display_name", "text", required: true), field("role", "chair|guest (default guest)"),
              field("uuid", "text (default: a new one)")], reply: "{uuid}") { a in
            .addParticipant(conference: try a.required("conference"), displayName: try a.required("display_name"),
                            role: try a.participantRole() ?? .guest, uuid: try a.text("uuid"))
        },
        spec("remove_participant", [route("DELETE", "participants/<uuid>")],
             "remove a participant (one with a client is ejected)",
             [participant, field("reason", "text (for one with a client)")], reply: "{removed: uuid}",
             shorthand: "participant") { a in
            .removeParticipant(try a.required("participant"),
                               reason: try a.text("reason") ?? WireMessage.disconnectedByRemoteHost)
        },
        spec("update_participant", [route("POST", "participants/<uuid>/update")],
             "change a participant; everyone gets participant_update",
             [participant, field("display_name", "text"), field("role", "chair|guest"), field("muted", "true|false"),
              field("hand_raised", "true|false")]) { a in
            .updateParticipant(try a.required("participant"), displayName: try a.text("display_name"),
                               role: try a.participantRole(), muted: try a.bool("muted"), handRaised: try a.bool("hand_raised"))
        },
        spec("message", [route("POST", "participants/<uuid>/message")],
             "a simulated participant chats, to everyone else or to one",
             [field("participant", "uuid of the simulated sender", required: true), field("text", "text", required: true),
              field("to", "uuid")]) { a in
            .message(from: try a.required("participant"), text: try a.required("text", allowEmpty: true), to: try a.text("to"))
        },
        spec("inject", [route("POST", "events")], "emit any event to a participant, a conference, or (neither) everyone",
             [field("event", "name", required: true), field("data", "JSON (default null)"), field("participant", "uuid"),
              field("alias", "conference alias")], reply: "{recipients, queued_ms}") { a in
            let event = try a.required("event", "event (the event name)")
            let target: EventTarget = try a.text("participant").map { .participant($0) }
                ?? a.text("alias").map { .conference($0) } ?? .everyone
            return .inject(event: event, data: a["data"]?.jsonText ?? "null", to: target)
        },
        spec("note", [route("POST", "journal/note")], "add a note to the journal",
             [field("label", "text", required: true), field("data", "JSON")], reply: "the entry", shorthand: "label") { a in
            .note(label: try a.required("label"), data: a["data"]?.jsonText)
        },
        spec("eject", [route("POST", "participants/<uuid>/eject")], "send disconnect with the reason, then cut the stream",
             [participant, field("reason", "text (default \"\(WireMessage.disconnectedByRemoteHost)\")")],
             shorthand: "reason") { a in
            .eject(try a.required("participant"), reason: try a.text("reason") ?? WireMessage.disconnectedByRemoteHost)
        },
        spec("expire_token", [route("POST", "participants/<uuid>/expire")], "expire the participant's token now",
             [participant]) { a in
            .expireToken(try a.required("participant"))
        },
        spec("drop_stream", [route("POST", "participants/<uuid>/drop_stream")],
             "end the event stream(s); the participant stays. how: cut (the connection closes, FIN, the response unfinished), reset (RST at once), end (a clean end: the response's last chunk)",
             [participant, field("how", "cut|reset|end (default cut)")], shorthand: "how") { a in
            let how: EventStream.Ending
            switch try a.text("how")?.lowercased() {
            case nil, "cut", "fin", "close": how = .cut
            case "reset", "rst": how = .reset
            case "end", "clean": how = .clean
            case let other?: throw MockNodeError.badRequest("how must be cut, reset or end (got '\(other)')")
            }
            return .dropStreams(try a.required("participant"), how: how)
        },
        spec("pace_stream", [route("POST", "participants/<uuid>/pace_stream")],
             "write the open event stream(s) in pieces of at most max_write bytes, pause seconds apart, and hold each write (event or keep-alive) delay ± jitter seconds, order kept; no fields: back to normal",
             [participant, field("max_write", "bytes, 1 or more"), field("pause", "seconds between pieces (0-1)"),
              field("delay", "seconds (0-30)"), field("jitter", "seconds (0-30)")]) { a in
            var p = EventStream.Pacing()
            if let n = try a.number("max_write") {
                guard n >= 1, n <= 1_000_000, n == n.rounded() else {
                    throw MockNodeError.badRequest("max_write must be a whole number of bytes from 1 to 1000000")
                }
                p.maxWrite = Int(n)
            }
            for (key, limit) in [("pause", 1.0), ("delay", 30.0), ("jitter", 30.0)] {
                guard let v = try a.number(key) else { continue }
                guard v >= 0, v <= limit else { throw MockNodeError.badRequest("\(key) must be 0 to \(Int(limit)) seconds") }
                switch key {
                case "pause": p.pause = v
                case "delay": p.delay = v
                default: p.jitter = v
                }
            }
            if p.pause > 0 && p.maxWrite == nil {
                throw MockNodeError.badRequest("pause needs max_write (the pieces it comes between)")
            }
            return .paceStreams(try a.required("participant"), p)
        },
        spec("cut_in_event", [route("POST", "participants/<uuid>/cut_in_event")],
             "write the first keep bytes of an event (default: all but its closing blank line, so the event is never complete), then cut the stream(s)",
             [participant, field("event", "name (default message_received)"), field("data", "JSON (default a chat message)"),
              field("keep", "bytes")]) { a in
            let event = try a.text("event") ?? EventName.messageReceived
            if let problem = EventName.problem(event) { throw MockNodeError.badRequest(problem) }
            let data = a["data"]?.jsonText
                ?? #"{"origin":"Cut Off","uuid":"00000000-0000-4000-8000-00000000c0ff","type":"text/plain","payload":"this event was cut off","direct":false}"#
            var keep: Int?
            if let n = try a.number("keep") {
                guard n >= 1, n == n.rounded() else { throw MockNodeError.badRequest("keep must be a whole number of bytes, 1 or more") }
                keep = Int(n)
            }
            return .cutInEvent(try a.required("participant"), event: event, data: data, keep: keep)
        },
        spec("comment", [route("POST", "participants/<uuid>/comment")],
             "write an SSE comment line (a keep-alive) to the event stream(s) now, with or without the blank line after it (default: the conference's keepalive_blank_line)",
             [participant, field("text", "text (default keepalive)"), field("blank_line", "true|false")],
             shorthand: "text") { a in
            let text = try a.text("text") ?? "keepalive"
            if text.contains(where: { $0 == "\n" || $0 == "\r" }) { throw MockNodeError.badRequest("text must be one line") }
            return .comment(try a.required("participant"), text: text, blankLine: try a.bool("blank_line"))
        },
        spec("stall_stream", [route("POST", "participants/<uuid>/stall_stream")],
             "freeze (or, with stalled: false, thaw) the event stream(s): nothing is written, not even keep-alives",
             [participant, field("stalled", "true|false (default true)")], shorthand: "stalled") { a in
            .stallStreams(try a.required("participant"), stalled: try a.bool("stalled") ?? true)
        },
        spec("unstall_stream", [route("POST", "participants/<uuid>/unstall_stream")], "thaw the event stream(s)",
             [participant]) { a in
            .stallStreams(try a.required("participant"), stalled: false)
        },
        spec("refer", [route("POST", "participants/<uuid>/refer")],
             "send refer: the participant should re-join alias with the one-time token in it",
             [participant, field("alias", "conference alias", required: true), field("role", "HOST|GUEST (default: as now)")],
             reply: "{token}", shorthand: "alias") { a in
            .refer(try a.required("participant"), to: try a.required("alias"), role: try a.tokenRole())
        },
        spec("transfer", [route("POST", "participants/<uuid>/transfer")],
             "move the participant as a host's transfer does: a refer, and it leaves once it re-joins with the token",
             [participant, field("alias", "conference alias", required: true), field("role", "HOST|GUEST (default: as now)")],
             reply: "{token}", shorthand: "alias") { a in
            .transfer(try a.required("participant"), to: try a.required("alias"), role: try a.tokenRole())
        },
        spec("sso_login", [route("POST", "conferences/<alias>/sso_login")],
             "sign in at one of the conference's identity providers, as a user at its login page would (GET /_mock/sso/<idp uuid>?conference=<alias> is that page): the sso_token for request_token, good once within 60 s",
             [conference, field("idp", "the provider's uuid or name (default: the first)")], reply: "{sso_token, idp}",
             shorthand: "idp") { a in
            .ssoLogin(conference: try a.required("conference"), idp: try a.text("idp") ?? "")
        },
        spec("caption", [route("POST", "conferences/<alias>/captions")],
             "a line of live captions: live_captions to every participant that asked for them (show_live_captions)",
             [conference, field("text", "text", required: true), field("is_final", "true|false (default true)")],
             reply: "{recipients}", shorthand: "text") { a in
            .caption(conference: try a.required("conference"), text: try a.required("text"), isFinal: try a.bool("is_final") ?? true)
        },
        spec("create_breakout", [route("POST", "conferences/<alias>/breakouts")],
             "open a breakout room, as a host's POST breakouts does, and move these participants into it",
             [conference, field("name", "text", required: true),
              field("participants", "[uuid or display name] (default none)"),
              field("guests_allowed_to_leave", "true|false (default true)")], reply: "{breakout_uuid}") { a in
            var who: [String] = []
            if let list = a["participants"] {
                guard let items = list.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                    throw MockNodeError.badRequest("participants must be a list of uuids or display names")
                }
                who = items.compactMap(\.stringValue)
            }
            return .createBreakout(conference: try a.required("conference"), name: try a.required("name"), participants: who,
                                   guestsAllowedToLeave: try a.bool("guests_allowed_to_leave") ?? true)
        },
        spec("move_to_breakout", [route("POST", "participants/<uuid>/breakout")],
             "move the participant into a breakout room of its conference (uuid or name), or back with main",
             [participant, field("breakout", "room uuid or name, or main", required: true)], shorthand: "breakout") { a in
            .moveToBreakout(try a.required("participant"), room: try a.required("breakout"))
        },
        spec("end_breakout", [route("POST", "conferences/<alias>/end_breakout")],
             "close a breakout room: everyone in it goes back to the main room",
             [conference, field("breakout", "room uuid or name", required: true)], shorthand: "breakout") { a in
            .endBreakout(conference: try a.required("conference"), room: try a.required("breakout"))
        },
        spec("maintenance", [route("POST", "maintenance")], "GET status answers 503 while on",
             [field("on", "true|false (default true)")], reply: "{maintenance}", shorthand: "on") { a in
            .maintenance(try a.bool("on") ?? true)
        },
        spec("fail", [route("POST", "faults")],
             "arm a fault for the next requests matching request (a path pattern)",
             [field("request", "pattern, e.g. refresh_token", required: true), field("method", "GET|POST"),
              field("status", "200-599"), field("body", "JSON text (with status)"), field("delay", "seconds"),
              field("drop", "true"), field("count", "0 = every one (default 1)"), field("name", "text"),
              field("path", "the earlier name of request"), field("action", "status|delay|drop (implied by the others)")],
             reply: "the rule") { a in
            var a = a
            if let body = a["body"], body.stringValue == nil { a["body"] = .string(body.jsonText) }
            return .fail(try a.decode(FaultRule.self))
        },
        spec("clear_faults", [route("DELETE", "faults")], "disarm every fault", reply: "{cleared: true}") { _ in
            .clearFaults
        },
        spec("advance_clock", [route("POST", "clock/advance")], "advance a manual clock (--manual-clock)",
             [field("seconds", Limits.clockAdvance.rangeText, required: true)], reply: "{advanced}",
             shorthand: "seconds") { a in
            guard let s = try a.number("seconds") else {
                throw MockNodeError.badRequest("seconds (\(Limits.clockAdvance.rangeText)) is required")
            }
            return .advanceClock(s)
        },
        spec("reset", [route("POST", "reset")], "back to the starting conferences, journal emptied",
             reply: "{reset: true}", inTimeline: false) { _ in .reset },
    ]
}

extension EventStream.Pacing {
    /// As the journal and reports name it.
    var label: String {
        var parts: [String] = []
        if let n = maxWrite { parts.append("\(n) byte(s) per write" + (pause > 0 ? ", \(pause) s apart" : "")) }
        if delay > 0 || jitter > 0 { parts.append("each write held \(delay) ± \(jitter) s") }
        return parts.isEmpty ? "as they come" : parts.joined(separator: "; ")
    }
}
