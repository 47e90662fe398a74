import Foundation
import MicroHTTP
import PexipWire

/// Who and what a client request concerned, for its journal entry.
struct RequestNote {
    var alias: String?
    var participant: String?
}

/// A client API answer whose JSON body is encoded after the state lock is
/// released.
enum NodeReply {
    case result(HTTPResult)
    case json(status: Int, body: any WireEncodable & Sendable, headers: HTTPHeaders)

    /// The answer as the server sends it.
    func encoded() -> HTTPResult {
        switch self {
        case .result(let r): return r
        case .json(let status, let body, var headers):
            headers.set("Content-Type", "application/json")
            var w = JSONWriter()
            body.write(to: &w)
            return .response(HTTPResponse(status: status, headers: headers, body: w.bytes))
        }
    }
}

/// Answers in the client API's envelope.
enum Reply {
    /// An envelope answer, encoded later.
    static func lazy<T: Codable & Sendable & WireEncodable>(_ status: Int, _ result: T, word: String = "success",
                                                            headers: HTTPHeaders = HTTPHeaders()) -> NodeReply {
        .json(status: status, body: Envelope(status: word, result: result), headers: headers)
    }

    static func json<T: Codable & Sendable>(_ status: Int, _ result: T, word: String = "success") -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: headers, body: WireJSON.bytes(Envelope(status: word, result: result)))
    }

    static func ok<T: Codable & Sendable & WireEncodable>(_ result: T) -> NodeReply { lazy(200, result) }

    static func error(_ status: Int, _ message: String, _ conf: ConferenceConfig?) -> NodeReply {
        lazy(status, message, word: conf?.errorStatusWord ?? "success")
    }

    static func invalidToken(_ conf: ConferenceConfig?) -> NodeReply { error(403, WireMessage.invalidToken, conf) }
    static func notFound(_ conf: ConferenceConfig?) -> NodeReply { error(404, WireMessage.conferenceNotFound, conf) }
}

extension NodeState {
    /// Routes a request under `/api/client/v2/`.
    mutating func handleClient(_ r: ClientRequest, note: inout RequestNote) -> NodeReply {
        let req = r.http, bodies = r.bodies
        let alias: String
        switch r.target {
        case .status:
            guard req.method == "GET" else { return methodNotAllowed("GET", nil) }
            return maintenance ? Reply.lazy(503, "Maintenance mode") : Reply.ok(true)
        case .outside:
            return .result(.response(HTTPResponse(status: 404, contentType: "text/html",
                                                  text: "<html><body><h1>404 Not Found</h1></body></html>\n")))
        case .requestToken(let a), .routed(let a, _), .unknown(let a, _):
            alias = a
        }
        note.alias = alias
        guard let conf = conferences[alias.lowercased()], conf.breakout == nil else { return Reply.notFound(nil) }
        let c = conf.config
        let route: ClientRoute
        switch r.target {
        case .requestToken:
            guard req.method == "POST" else { return methodNotAllowed("POST", c) }
            return requestToken(req, bodies: bodies, conf: conf, dialled: alias, note: &note)
        case .routed(_, let routed):
            route = routed
        default:
            return Reply.error(404, WireMessage.unknownRequest, c)
        }
        guard req.method == route.method else { return methodNotAllowed(route.method, c) }
        // A token is valid under its conference's alias and the reception it came through.
        let token = r.token
        if route.kind == .releaseToken, let token, let record = tokens[token], ejected.contains(record.participantUUID) {
            note.participant = record.participantUUID
            return Reply.ok(true)
        }
        guard let token, let record = tokens[token], record.state == .active, clock.now() < record.expiresAt,
              let p = participants[record.participantUUID],
              p.conferenceKey == conf.key || p.receptionKey == conf.key else {
            return Reply.invalidToken(c)
        }
        note.participant = p.uuid
        guard let home = conference(of: p) else { return Reply.invalidToken(c) }
        if let id = route.room, !route.managesRooms, !route.isSessionLevel {
            // `breakouts/<uuid>/…`: the request of the client's identity in that room.
            guard let room = rooms(of: home.key).first(where: { $0.breakout?.uuid == id }) else {
                return id == "main" ? perform(route.unprefixed, req, bodies: bodies, p: p, conf: home)
                    : Reply.error(404, WireMessage.breakoutNotFound, c)
            }
            guard let me = identity(of: p.uuid, in: room).flatMap({ participants[$0] }) else {
                return Reply.error(403, WireMessage.permissionDenied, c)
            }
            return perform(route.unprefixed, req, bodies: bodies, p: me, conf: room)
        }
        return perform(route, req, bodies: bodies, p: p, conf: home)
    }

    func methodNotAllowed(_ allowed: String, _ conf: ConferenceConfig?) -> NodeReply {
        var headers = HTTPHeaders()
        headers.set("Allow", allowed)
        return Reply.lazy(405, "Method not allowed", word: conf?.errorStatusWord ?? "success", headers: headers)
    }

    // MARK: - request_token

    private mutating func requestToken(_ req: HTTPRequest, bodies: PreparedRequest,
                                       conf dialledConf: ConferenceState, dialled: String,
                                       note: inout RequestNote) -> NodeReply {
        let body: RequestTokenRequest
        switch bodies.token ?? PreparedRequest.decode(RequestTokenRequest.self, req.body) {
        case .success(let b): body = b
        case .failure(let problem): return Reply.error(400, problem.message, dialledConf.config)
        }
        var conf = dialledConf
        var receptionKey: String?
        if dialledConf.config.type == .reception {
            guard let ext = body.conferenceExtension?.trimmingCharacters(in: .whitespaces), !ext.isEmpty else {
                return Reply.lazy(403, ExtensionChallenge(type: dialledConf.config.extensionType))
            }
            let allowed = dialledConf.config.targets.map { $0.lowercased() }
            guard let target = conferences[ext.lowercased()], target.config.type != .reception,
                  allowed.isEmpty || allowed.contains(ext.lowercased()) else {
                return Reply.notFound(dialledConf.config)
            }
            receptionKey = dialledConf.key
            conf = target
        }
        let c = conf.config
        let role: TokenRole
        var signedIn = false
        // A one-time token comes in the body (Android, PexRTC) or the `token`
        // header (Swift). An unknown one in the body is refused; an unknown
        // header is ignored, since some clients send their old session token
        // on every request.
        let headerGrant = req.headers["token"].flatMap { oneTime[$0] != nil ? $0 : nil }
        if let oneTimeToken = body.token ?? headerGrant {
            guard let grant = oneTime.removeValue(forKey: oneTimeToken), grant.conferenceKey == conf.key,
                  grant.expiresAt > clock.now() else {
                return Reply.invalidToken(c)
            }
            role = grant.role
            if let old = grant.movedFrom { moved(old) }
        } else {
            if !c.ssoIDPs.isEmpty {
                if let prompt = ssoGate(c, conf, body, host: req.headers["Host"]) { return prompt }
                signedIn = true
            }
            switch decideRole(c, pinHeader: req.headers["pin"]) {
            case .role(let r): role = r
            case .challenge(let challenge): return Reply.lazy(403, challenge)
            case .invalidPIN: return Reply.lazy(403, WireMessage.invalidPIN, word: c.invalidPINStatusWord)
            }
            if signedIn, let used = body.ssoToken { ssoGrants.removeValue(forKey: used.trimmingCharacters(in: .whitespaces)) }
        }
        let serviceType: ServiceType = conf.status.locked && role == .guest ? .waitingRoom
            : c.type == .lecture ? .lecture : .conference
        var p = ParticipantState(
            uuid: bodies.freshUUID ?? TokenGenerator.uuid(), displayName: body.displayName ?? "", role: role,
            conferenceKey: conf.key, receptionKey: receptionKey, dialledAlias: dialled, simulated: false,
            callTag: body.callTag ?? "", vendor: req.headers["User-Agent"] ?? "", serviceType: serviceType)
        p.idpAuthenticated = signedIn
        note.participant = p.uuid
        join(p)
        let token = issueToken(for: p.uuid, lifetime: c.expires, grace: c.expiryGrace, token: bodies.freshToken)
        var result = RequestTokenResult(token: token, expires: String(c.expires), participantUUID: p.uuid,
                                        displayName: p.displayName, role: role)
        result.serviceType = serviceType
        result.currentServiceType = serviceType
        result.callTag = p.callTag
        result.version = ServerVersion(versionID: c.versionID, pseudoVersion: "\(c.versionID).0.0.mockmcu")
        result.conferenceName = c.name
        result.serviceName = c.name
        result.callType = "video"
        result.chatEnabled = c.chatEnabled
        result.guestsCanPresent = c.guestsCanPresent
        result.directMedia = c.directMedia
        result.routeViaRegistrar = false
        result.idpUUID = ""
        result.feccEnabled = false
        result.trickleICEEnabled = false
        result.pexDatachannelID = 0
        result.clientStatsUpdateInterval = 5000
        result.useRelayCandidatesOnly = false
        result.analyticsEnabled = false
        result.stun = []
        result.turn = []
        result.vp9Enabled = false
        result.breakoutRooms = false
        result.liveCaptionsAvailable = false
        result.allow1080p = false
        return Reply.ok(result)
    }

    /// Single sign-on before the PIN: without `chosen_idp` the list of providers (or, with
    /// `sso_redirect_first`, the redirect to the only one); with it, the redirect to that
    /// provider; with an `sso_token` from a sign-in there, nil: go on (the token is used up when the
    /// participant joins, after any PIN prompt). PexRTC sends the
    /// literal `none` for both fields when it has nothing.
    mutating func ssoGate(_ c: ConferenceConfig, _ conf: ConferenceState, _ body: RequestTokenRequest,
                          host: String?) -> NodeReply? {
        func given(_ v: String?) -> String? {
            guard let t = v?.trimmingCharacters(in: .whitespaces), !t.isEmpty, t.lowercased() != "none" else { return nil }
            return t
        }
        let chosen = given(body.chosenIDP)
        if let ssoToken = given(body.ssoToken) {
            guard let grant = ssoGrants[ssoToken], grant.conferenceKey == conf.key, grant.expiresAt > clock.now(),
                  chosen == nil || chosen == grant.idp else {
                return Reply.lazy(403, WireMessage.ssoFailed, word: c.invalidPINStatusWord)
            }
            return nil  // used up once the participant joins (a PIN prompt may come first)
        }
        let idp: IdentityProvider
        if let chosen {
            guard let match = c.ssoIDPs.first(where: { $0.uuid == chosen }) else {
                return Reply.lazy(403, WireMessage.unknownIDP, word: c.invalidPINStatusWord)
            }
            idp = match
        } else if c.ssoRedirectFirst, let only = c.ssoIDPs.first {
            idp = only
        } else {
            return Reply.lazy(403, SSOChallenge(idp: c.ssoIDPs))
        }
        let authority = host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        let alias = c.alias.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "=", "+"])) ?? c.alias
        let segment = idp.uuid.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? idp.uuid
        let url = "\(scheme)://\(authority)/_mock/sso/\(segment)?conference=\(alias)"
        return Reply.lazy(403, SSORedirect(redirectURL: url, redirectIDP: idp))
    }

    enum RoleDecision { case role(TokenRole), challenge(PinChallenge), invalidPIN }

    /// The PIN rules: no host PIN → everyone is a host; a host PIN alone makes
    /// everyone enter it (or `none` as a guest when guests are allowed); with a
    /// guest PIN too, each PIN gives its role.
    func decideRole(_ c: ConferenceConfig, pinHeader: String?) -> RoleDecision {
        guard let hostPIN = c.hostPIN else { return .role(.host) }
        let guestsWithoutPIN = c.guestPIN == nil && c.allowGuests
        let pin = pinHeader?.trimmingCharacters(in: .whitespaces) ?? ""
        if pin.isEmpty { return .challenge(PinChallenge(guestPINRequired: !guestsWithoutPIN)) }
        if pin.lowercased() == "none" { return guestsWithoutPIN ? .role(.guest) : .invalidPIN }
        let given = ConferenceConfig.normalisePIN(pin)
        if given == ConferenceConfig.normalisePIN(hostPIN) { return .role(.host) }
        if let g = c.guestPIN, given == ConferenceConfig.normalisePIN(g) { return .role(.guest) }
        return .invalidPIN
    }

}

/// A short human reading of a decoding error.
func describe(_ error: Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
    case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx):
        let path = ctx.codingPath.map(\.stringValue).joined(separator: ".")
        return "field '\(path)' has the wrong type"
    case DecodingError.dataCorrupted(let ctx):
        let path = ctx.codingPath.map(\.stringValue).joined(separator: ".")
        return path.isEmpty ? ctx.debugDescription : "field '\(path)': \(ctx.debugDescription)"
    default: return "\(error)"
    }
}

/// Why a request body was refused (answered 400 with `message`).
struct BodyProblem: Error {
    let message: String
}

/// Work done before the state lock is taken, so that it never holds up
/// other requests: request bodies decoded (chosen by the request name), and
/// the random token and uuid a request may need drawn.
struct PreparedRequest: Sendable {
    var token: Result<RequestTokenRequest, BodyProblem>?
    var message: Result<MessageRequest, BodyProblem>?
    var role: Result<RoleRequest, BodyProblem>?
    var freshToken: String?
    var freshUUID: String?

    init(_ target: ClientRequest.Target, _ req: HTTPRequest) {
        guard req.method == "POST" else { return }
        switch target {
        case .requestToken:
            freshToken = TokenGenerator.make()
            freshUUID = TokenGenerator.uuid()
            token = Self.tokenRequest(req.body)
        case .routed(_, let route):
            switch route.kind {
            case .refreshToken: freshToken = TokenGenerator.make()
            case .message, .participant(_, .message): message = Self.decode(MessageRequest.self, req.body)
            case .participant(_, .role): role = Self.decode(RoleRequest.self, req.body)
            default: break
            }
        case .status, .unknown, .outside:
            break
        }
    }

    /// The request_token body, read by hand from the fast parser's result
    /// (the hottest body the node reads); same rules as `decode`.
    static func tokenRequest(_ body: [UInt8]) -> Result<RequestTokenRequest, BodyProblem> {
        let blank = body.allSatisfy { $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }
        guard let json = blank ? JSONValue.object([:]) : JSONValue.parse(body) else {
            return .failure(BodyProblem(message: "Invalid JSON in request body"))
        }
        guard let o = json.objectValue else {
            return .failure(BodyProblem(message: "Request body must be a JSON object"))
        }
        func text(_ key: String) throws -> String? {
            switch o[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            default: throw BodyProblem(message: "Invalid request body: field '\(key)' has the wrong type")
            }
        }
        func flag(_ key: String) throws -> Bool? {
            switch o[key] {
            case nil, .null?: return nil
            case .bool(let b)?: return b
            default: throw BodyProblem(message: "Invalid request body: field '\(key)' has the wrong type")
            }
        }
        do {
            var r = RequestTokenRequest(displayName: try text("display_name"), callTag: try text("call_tag"),
                                        conferenceExtension: try text("conference_extension"),
                                        directMedia: try flag("direct_media"), token: try text("token"))
            r.chosenIDP = try text("chosen_idp")
            r.ssoToken = try text("sso_token")
            r.registrationToken = try text("registration_token")
            r.breakoutCapable = try flag("breakout_capable")
            r.clientID = try text("client_id")
            r.node = try text("node")
            return .success(r)
        } catch let problem as BodyProblem {
            return .failure(problem)
        } catch {
            return .failure(BodyProblem(message: "Invalid request body"))
        }
    }

    /// Decodes a JSON body in one pass; an empty body counts as `{}`.
    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) -> Result<T, BodyProblem> {
        let blank = body.allSatisfy { $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }
        do {
            return .success(try WireJSON.decoder.decode(T.self, from: Data(blank ? Array("{}".utf8) : body)))
        } catch DecodingError.dataCorrupted(let ctx) where ctx.codingPath.isEmpty {
            return .failure(BodyProblem(message: "Invalid JSON in request body"))
        } catch DecodingError.typeMismatch(_, let ctx) where ctx.codingPath.isEmpty {
            return .failure(BodyProblem(message: "Request body must be a JSON object"))
        } catch {
            return .failure(BodyProblem(message: "Invalid request body: \(describe(error))"))
        }
    }
}
