import PexipWire
import Yams

/// Reads `checks:` items: a bare name (`- left`) or `name: parameters`
/// (`- released: {within: 1}`; a check with one main parameter also takes it
/// directly: `- failed: invalid_pin`).
enum CheckParser {
    static func check(_ n: Node, _ r: YAMLReader) throws -> CheckSpec {
        let (key, keyNode, value) = try r.single(n, what: "check", allowed: CheckKind.keys)
        let line = keyNode.mark?.line ?? 0

        var level: CheckLevel?
        /// Parameters given as a mapping (`level` allowed in every one); a scalar or list counts as `main`.
        func params(_ allowed: [String], main: String? = nil) throws -> [String: Node] {
            guard let value else { return [:] }
            if value.mapping == nil {
                guard let main else { throw r.error("'\(key)' takes parameters {\(allowed.joined(separator: ", "))}", at: value) }
                return [main: value]
            }
            var p = Dictionary(try r.mapping(value, what: "check '\(key)'", allowed: allowed + ["level"]).map { ($0.key, $0.value) },
                               uniquingKeysWith: { a, _ in a })
            if let node = p.removeValue(forKey: "level") {
                let word = try r.string(node, what: "'level'")
                guard let l = CheckLevel(rawValue: word) else {
                    throw r.error("'level' should be one of \(CheckLevel.allCases.map(\.rawValue).joined(separator: ", ")), not '\(word)'", at: node)
                }
                level = l
            }
            return p
        }
        func need(_ p: [String: Node], _ k: String) throws -> Node {
            guard let v = p[k] else { throw r.error("check '\(key)' needs '\(k)'", at: value ?? n) }
            return v
        }
        func text(_ p: [String: Node], _ k: String) throws -> String? { try p[k].map { try r.string($0, what: "'\(k)'") } }
        func seconds(_ p: [String: Node], _ k: String, _ d: Double) throws -> Double {
            try p[k].map { try r.number($0, what: "'\(k)'") } ?? d
        }
        func count(_ p: [String: Node], _ k: String) throws -> Int? { try p[k].map { try r.integer($0, what: "'\(k)'") } }

        let kind: CheckKind
        switch key {
        case "joined":
            let p = try params(["role", "service_type", "display_name"], main: "role")
            kind = .joined(role: try text(p, "role"), serviceType: try text(p, "service_type"),
                           displayName: try text(p, "display_name"))
        case "asked_for_pin":
            kind = .askedForPIN(guestPIN: try text(try params(["guest_pin"], main: "guest_pin"), "guest_pin"))
        case "pin_header":
            kind = .pinHeader(pin: try r.string(need(try params(["pin"], main: "pin"), "pin"), what: "'pin'"))
        case "asked_for_extension":
            _ = try params([])
            kind = .askedForExtension
        case "asked_for_sso":
            _ = try params([])
            kind = .askedForSSO
        case "signed_in":
            kind = .signedIn(idp: try text(try params(["idp"], main: "idp"), "idp"))
        case "extension_sent":
            kind = .extensionSent(try r.string(need(try params(["extension"], main: "extension"), "extension"), what: "'extension'"))
        case "token_kept_alive":
            let p = try params(["minimum", "max_per_lifetime"], main: "minimum")
            kind = .tokenKeptAlive(minimum: try count(p, "minimum") ?? 1, maxPerLifetime: try count(p, "max_per_lifetime") ?? 6)
        case "refresh_cadence":
            let p = try params(["early", "late", "tolerance"])
            let early = try seconds(p, "early", 0.25), late = try seconds(p, "late", 0.75)
            guard early >= 0, early < late, late < 1 else {
                throw r.error("'early' and 'late' are fractions of the token lifetime, 0 ≤ early < late < 1", at: p["early"] ?? p["late"])
            }
            kind = .refreshCadence(early: early, late: late, tolerance: try seconds(p, "tolerance", 0.2))
        case "refresh_failure_handled":
            _ = try params([])
            kind = .refreshFailureHandled
        case "reconnect_pacing":
            let p = try params(["max_per_second"], main: "max_per_second")
            kind = .reconnectPacing(maxPerSecond: try count(p, "max_per_second") ?? 5)
        case "reconnect_backoff":
            _ = try params([])
            kind = .reconnectBackoff
        case "released":
            let p = try params(["within", "if_told"], main: "within")
            kind = .released(within: try seconds(p, "within", 1), ifTold: try p["if_told"].map { try r.bool($0, what: "'if_told'") } ?? false)
        case "no_request_after":
            let p = try params(["anchor", "except", "grace"], main: "anchor")
            let anchor = try r.string(need(p, "anchor"), what: "'anchor'")
            let anchors = ["disconnected", "failed", "ended", "left", "disconnect_event"]
            guard anchors.contains(anchor) else {
                throw r.error("'anchor' should be one of \(anchors.joined(separator: ", "))", at: p["anchor"])
            }
            kind = .noRequestAfter(anchor: anchor, except: try p["except"].map { try r.strings($0, what: "'except'") } ?? [],
                                   grace: try seconds(p, "grace", 0.2))
        case "reconnected":
            let p = try params(["within", "resync"], main: "within")
            kind = .reconnected(within: try seconds(p, "within", 5),
                                resync: try p["resync"].map { try r.bool($0, what: "'resync'") } ?? true)
        case "roster":
            kind = .roster(try r.strings(need(try params(["names"], main: "names"), "names"), what: "'names'"))
        case "failed":
            kind = .failed(reason: try r.string(need(try params(["reason"], main: "reason"), "reason"), what: "'reason'"))
        case "disconnected":
            kind = .disconnected(reason: try text(try params(["reason"], main: "reason"), "reason"))
        case "left":
            _ = try params([])
            kind = .left
        case "ended":
            _ = try params([])
            kind = .ended
        case "message":
            let p = try params(["origin", "text"])
            kind = .message(origin: try text(p, "origin"), text: try r.string(need(p, "text"), what: "'text'"))
        case "messages":
            kind = .messages(try r.strings(need(try params(["texts"], main: "texts"), "texts"), what: "'texts'"))
        case "sent_message":
            kind = .sentMessage(text: try r.string(need(try params(["text"], main: "text"), "text"), what: "'text'"))
        case "breakout_roster":
            let p = try params(["room", "names"])
            kind = .breakoutRoster(room: try r.string(need(p, "room"), what: "'room'"),
                                   names: try r.list(need(p, "names"), what: "'names'").map { try r.string($0, what: "a name") })
        case "dropped_old_session":
            kind = .droppedOldSession(grace: try seconds(try params(["grace"], main: "grace"), "grace", 0.2))
        case "followed_refer":
            kind = .followedRefer(within: try seconds(try params(["within"], main: "within"), "within", 5))
        case "requests":
            let p = try params(["request", "status", "min", "max", "count"])
            let exactly = try count(p, "count")
            kind = .requests(try r.string(need(p, "request"), what: "'request'"), status: try count(p, "status"),
                             min: try count(p, "min") ?? exactly, max: try count(p, "max") ?? exactly)
        default:  // reported, not_reported
            let p = try params(["type", "fields", "min", "max", "count"], main: "type")
            let fields = try p["fields"].map { try r.json($0).objectValue ?? [:] } ?? [:]
            let exactly = try count(p, "count")
            let type = try r.string(need(p, "type"), what: "'type'")
            kind = key == "not_reported"
                ? .reported(type, fields: fields, min: nil, max: 0)
                : .reported(type, fields: fields, min: try count(p, "min") ?? exactly ?? 1, max: try count(p, "max") ?? exactly)
        }
        return CheckSpec(kind, line: line, level: level)
    }
}
