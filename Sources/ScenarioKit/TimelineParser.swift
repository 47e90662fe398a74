import MockNode
import PexipWire
import Yams

/// Reads `timeline:` steps.
///
/// ```yaml
/// - when: {refresh: 2}          # or at: 1.5 | client: joined | stream: 2 | request: release_token | event: stage
///   delay: 0.2                  # optional, seconds after the trigger
///   do:
///     - expire_token
///     - emit: {event: stage, data: [], to: client}
/// ```
enum TimelineParser {
    static func step(_ n: Node, _ r: YAMLReader) throws -> TimelineStep {
        let entries = try r.mapping(n, what: "a timeline step", allowed: ["when", "delay", "do", "optional"])
        func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
        guard let when = value("when") else { throw r.error("a timeline step needs 'when' (\(Trigger.keys.joined(separator: ", ")))", at: n) }
        guard let actionsNode = value("do") else { throw r.error("a timeline step needs 'do': the actions to take", at: n) }
        let actions = try r.list(actionsNode, what: "'do'").map { try action($0, r) }
        guard !actions.isEmpty else { throw r.error("'do' is empty", at: actionsNode) }
        return TimelineStep(try trigger(when, r),
                            delay: try value("delay").map { try r.number($0, what: "'delay'", limit: Limits.delay) } ?? 0,
                            optional: try value("optional").map { try r.bool($0, what: "'optional'") } ?? false,
                            line: n.mark?.line ?? 0, actions)
    }

    static func trigger(_ n: Node, _ r: YAMLReader) throws -> Trigger {
        let entries = try r.mapping(n, what: "'when'", allowed: Trigger.keys + ["count"])
        let count = try entries.first { $0.key == "count" }.map { try r.integer($0.value, what: "'count'", minimum: 1) } ?? 1
        let kinds = entries.filter { $0.key != "count" }
        guard kinds.count == 1, let (key, _, v) = kinds.first else {
            throw r.error("'when' needs exactly one of \(Trigger.keys.joined(separator: ", ")) (plus 'count')", at: n)
        }
        switch key {
        case "at": return .at(try r.number(v, what: "'at'"))
        case "client": return .client(try r.string(v, what: "'client'"), count: count)
        case "refresh": return .refresh(try r.integer(v, what: "'refresh'", minimum: 1))
        case "stream": return .stream(try r.integer(v, what: "'stream'", minimum: 1))
        case "request": return .request(try r.string(v, what: "'request'"), count: count)
        default: return .event(try r.string(v, what: "'event'"), count: count)
        }
    }

    static func action(_ n: Node, _ r: YAMLReader) throws -> Action {
        let (key, _, value) = try r.single(n, what: "action", allowed: Action.keys)
        func params(_ allowed: [String]) throws -> [String: Node] {
            guard let value, value.mapping != nil else { return [:] }
            return Dictionary(try r.mapping(value, what: "'\(key)'", allowed: allowed).map { ($0.key, $0.value) },
                              uniquingKeysWith: { a, _ in a })
        }
        func need(_ p: [String: Node], _ k: String) throws -> Node {
            guard let v = p[k] else { throw r.error("'\(key)' needs '\(k)'", at: value ?? n) }
            return v
        }
        /// A flag action: bare (`- drop_stream`), or `name: true|false`.
        func flag() throws -> Bool { try value.map { try r.bool($0, what: "'\(key)'") } ?? true }
        /// The node command `name` with these fields, checked now.
        func command(_ name: String, _ fields: [String: JSONValue]) throws -> Action {
            do {
                return .node(try CommandStep(name, CommandArguments(fields)))
            } catch {
                throw r.error("'\(key)': \(error)", at: value ?? n)
            }
        }
        func text(_ node: Node?, _ what: String) throws -> JSONValue? {
            try node.map { .string(try r.string($0, what: "'\(what)'")) }
        }
        switch key {
        case "emit":
            let p = try params(["event", "data", "to"])
            return .emit([try emitted(p, need(p, "event"), r)], to: try target(p["to"], r))
        case "burst":
            guard let value else { throw r.error("'burst' needs a list of {event, data}, or {events: [...], to: ...}", at: n) }
            var to = EmitTarget.client
            var list = value
            if value.mapping != nil {
                let p = try params(["events", "to"])
                to = try target(p["to"], r)
                list = try need(p, "events")
            }
            let events = try r.list(list, what: "'burst'").map { item -> EmittedEvent in
                let p = Dictionary(try r.mapping(item, what: "a burst event", allowed: ["event", "data"]).map { ($0.key, $0.value) },
                                   uniquingKeysWith: { a, _ in a })
                guard let e = p["event"] else { throw r.error("a burst event needs 'event'", at: item) }
                return try emitted(p, e, r)
            }
            guard !events.isEmpty else { throw r.error("'burst' is empty", at: value) }
            return .emit(events, to: to)
        case "stall_stream":
            return try command(key, ["stalled": .bool(try flag())])
        case "lock":
            return try command(key, ["locked": .bool(try flag())])
        case "fail":
            let rule = try fault(try params(["request", "method", "status", "count", "delay", "drop", "body"]), at: value ?? n, r)
            return try command(key, JSONValue.from(rule).objectValue ?? [:])
        case "add_participant":
            let p = try params(["display_name", "role"])
            return try command(key, ["display_name": .string(try r.string(need(p, "display_name"), what: "'display_name'")),
                                     "role": .string((try role(p["role"], r) ?? .guest).rawValue)])
        case "remove_participant":
            // By display name (a simulated participant), as before commands were one vocabulary.
            if let value, value.scalar != nil { return try command(key, ["participant": try text(value, key)!]) }
            let p = try params(["display_name", "participant", "reason"])
            var fields = ["participant": try text(p["display_name"] ?? p["participant"], "display_name")]
            fields["reason"] = try text(p["reason"], "reason")
            return try command(key, fields.compactMapValues { $0 })
        case "update_participant":
            let p = try params(["display_name", "new_display_name", "role", "muted", "hand_raised"])
            var fields: [String: JSONValue] = ["participant": .string(try r.string(need(p, "display_name"), what: "'display_name'"))]
            fields["display_name"] = try text(p["new_display_name"], "new_display_name")
            fields["role"] = try role(p["role"], r).map { .string($0.rawValue) }
            for flagKey in ["muted", "hand_raised"] { fields[flagKey] = try p[flagKey].map { .bool(try r.bool($0, what: "'\(flagKey)'")) } }
            return try command(key, fields)
        case "chat":
            let p = try params(["from", "text", "to"])
            var fields: [String: JSONValue] = ["participant": .string(try r.string(need(p, "from"), what: "'from'")),
                                               "text": .string(try r.string(need(p, "text"), what: "'text'"))]
            fields["to"] = try text(p["to"], "to")
            return try command("message", fields)
        case "tell":
            guard let value else { throw r.error("'tell' needs a driver message, e.g. {type: leave}", at: n) }
            let message = try r.json(value)
            guard message["type"]?.stringValue != nil else { throw r.error("'tell' needs a message with a 'type'", at: value) }
            return .tell(message)
        default:
            // Any other node command, with the fields of its control request (`GET /_mock` lists them):
            // bare, with its one main field as a scalar (`eject: Removed by the host`), or a mapping.
            let spec = NodeCommand.spec(named: key)!
            guard let value else { return try command(key, [:]) }
            if value.mapping != nil { return try command(key, r.json(value).objectValue ?? [:]) }
            guard let main = spec.shorthand else {
                throw r.error("'\(key)' takes a mapping of its fields: \(spec.fieldsText(inPath: ""))", at: value)
            }
            return try command(key, [main: try r.json(value)])
        }
    }

    private static func emitted(_ p: [String: Node], _ event: Node, _ r: YAMLReader) throws -> EmittedEvent {
        let name = try r.string(event, what: "'event'")
        if let problem = EventName.problem(name) { throw r.error(problem, at: event) }
        return EmittedEvent(event: name, data: try p["data"].map { try r.json($0).jsonText } ?? "null")
    }

    private static func target(_ n: Node?, _ r: YAMLReader) throws -> EmitTarget {
        guard let n else { return .client }
        let word = try r.string(n, what: "'to'")
        guard let t = EmitTarget(rawValue: word) else {
            throw r.error("'to' should be one of \(EmitTarget.allCases.map(\.rawValue).joined(separator: ", "))", at: n)
        }
        return t
    }

    private static func role(_ n: Node?, _ r: YAMLReader) throws -> ParticipantRole? {
        guard let n else { return nil }
        let word = try r.string(n, what: "'role'").lowercased()
        switch word {
        case "chair", "host": return .chair
        case "guest": return .guest
        default: throw r.error("'role' should be chair (host) or guest", at: n)
        }
    }

    /// `fail: {request: refresh_token, status: 503, count: 2}` (or `delay: 3`, or `drop: true`).
    private static func fault(_ p: [String: Node], at n: Node, _ r: YAMLReader) throws -> FaultRule {
        guard let request = p["request"] else { throw r.error("'fail' needs 'request' (e.g. refresh_token, events)", at: n) }
        let status = try p["status"].map { try r.integer($0, what: "'status'", minimum: 200, maximum: 599) }
        let delay = try p["delay"].map { try r.number($0, what: "'delay'", limit: Limits.delay) }
        let drop = try p["drop"].map { try r.bool($0, what: "'drop'") } ?? false
        let chosen = [status != nil, delay != nil, drop].filter { $0 }.count
        guard chosen == 1 else { throw r.error("'fail' needs exactly one of 'status', 'delay' or 'drop: true'", at: n) }
        let body = try p["body"].map { try r.json($0).jsonText }
        let effect: FaultRule.Effect = status.map { .status($0, body: body) } ?? delay.map { .delay($0) } ?? .drop
        let rule = FaultRule(request: try r.string(request, what: "'request'"),
                             method: try p["method"].map { try r.string($0, what: "'method'") }, effect,
                             count: try p["count"].map { try r.integer($0, what: "'count'", minimum: 0) } ?? 1)
        if let problem = rule.problem { throw r.error("'fail': \(problem)", at: n) }
        return rule
    }
}
