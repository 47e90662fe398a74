import Foundation
import MicroHTTP
import PexipWire

/// A request under `/conferences/<alias>/` that needs a token.
struct ClientRoute: Sendable {
    enum Kind: Equatable, Sendable {
        case refreshToken, releaseToken, events, participants, conferenceStatus, message
        case lock, unlock, muteGuests, unmuteGuests, disconnectAll, setGuestsCanUnmute, startConference
        case clearAllBuzz, clearSpotlights, theme, dial
        case participant(String, ParticipantAction)
    }

    /// Requests on `participants/<uuid>/…`.
    enum ParticipantAction: String, Sendable {
        case message, disconnect, mute, unmute, role, spotlighton, spotlightoff, buzz, clearbuzz, unlock, transfer
        case clientMute = "client_mute", clientUnmute = "client_unmute"
        case videoMuted = "video_muted", videoUnmuted = "video_unmuted"
    }

    let kind: Kind
    let method: String

    private static let simple: [String: (Kind, String)] = [
        "refresh_token": (.refreshToken, "POST"), "release_token": (.releaseToken, "POST"),
        "events": (.events, "GET"), "participants": (.participants, "GET"),
        "conference_status": (.conferenceStatus, "GET"), "message": (.message, "POST"),
        "lock": (.lock, "POST"), "unlock": (.unlock, "POST"), "muteguests": (.muteGuests, "POST"),
        "unmuteguests": (.unmuteGuests, "POST"), "disconnect": (.disconnectAll, "POST"),
        "set_guests_can_unmute": (.setGuestsCanUnmute, "POST"), "start_conference": (.startConference, "POST"),
        "clearallbuzz": (.clearAllBuzz, "POST"), "clearspotlights": (.clearSpotlights, "POST"),
        "dial": (.dial, "POST"), "theme": (.theme, "GET"), "theme/": (.theme, "GET"),
    ]

    init?(_ request: String) {
        if let (kind, method) = Self.simple[request] {
            self.kind = kind
            self.method = method
            return
        }
        let parts = request.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 3, parts[0] == "participants", !parts[1].isEmpty,
           let action = ParticipantAction(rawValue: String(parts[2])) {
            kind = .participant(String(parts[1]), action)
            method = "POST"
            return
        }
        return nil
    }

    /// Requests a GUEST token may not make (§10), given who the target is.
    func isHostOnly(caller: String) -> Bool {
        switch kind {
        case .lock, .unlock, .muteGuests, .unmuteGuests, .disconnectAll, .setGuestsCanUnmute, .dial,
             .clearAllBuzz, .clearSpotlights:
            return true
        case .participant(let target, let action):
            switch action {
            case .role, .transfer, .unlock: return true
            case .disconnect, .mute, .unmute: return target != caller
            default: return false
            }
        default:
            return false
        }
    }
}

extension NodeState {
    /// Performs a tokened request for participant `p` of `conf`.
    mutating func perform(_ route: ClientRoute, _ req: HTTPRequest, bodies: PreparedRequest, p: ParticipantState,
                          conf: ConferenceState) -> NodeReply {
        let c = conf.config
        if p.role == .guest && route.isHostOnly(caller: p.uuid) {
            return Reply.error(403, WireMessage.permissionDenied, c)
        }
        switch route.kind {
        case .refreshToken:
            if c.revokeOnRefresh, let used = req.headers["token"] ?? req.queryValue("token") {
                tokens[used]?.state = .revoked
            }
            let token = issueToken(for: p.uuid, lifetime: c.expires, grace: c.expiryGrace, token: bodies.freshToken,
                                   refresh: true)
            return Reply.ok(RefreshTokenResult(token: token, expires: String(c.expires), role: p.role))
        case .releaseToken:
            closeStreams(of: p.uuid, error: false)
            leave(p.uuid)
            return Reply.ok(true)
        case .events:
            return .result(.stream(openStream(for: p.uuid, conf: conf), headers: HTTPHeaders()))
        case .participants:
            return Reply.ok(members(conf).map(\.wireObject))
        case .conferenceStatus:
            return Reply.ok(conf.status)
        case .message:
            return chat(from: p, to: nil, conf: conf, req, bodies: bodies)
        case .lock, .unlock:
            conferences[conf.key]?.status.locked = route.kind == .lock
            announceStatus(conf.key)
            return Reply.ok(true)
        case .muteGuests, .unmuteGuests:
            let mute = route.kind == .muteGuests
            conferences[conf.key]?.status.guestsMuted = mute
            for member in members(conf) where member.role == .guest && member.isMuted != mute {
                participants[member.uuid]?.isMuted = mute
                announceUpdate(member.uuid)
            }
            announceStatus(conf.key)
            return Reply.ok(true)
        case .disconnectAll:
            for member in members(conf) where !member.simulated {
                eject(member.uuid, reason: WireMessage.disconnectedByRemoteHost, cause: "disconnect_all")
            }
            return Reply.ok(true)
        case .setGuestsCanUnmute:
            guard let setting = JSONValue.parse(req.body)?["setting"]?.boolValue else {
                return Reply.error(400, "Invalid request body: expected {\"setting\": true|false}", c)
            }
            conferences[conf.key]?.status.guestsCanUnmute = setting
            announceStatus(conf.key)
            return Reply.ok(true)
        case .startConference:
            return Reply.ok(true)
        case .clearAllBuzz, .clearSpotlights:
            for member in members(conf) {
                if route.kind == .clearAllBuzz, member.buzzTime != 0 {
                    participants[member.uuid]?.buzzTime = 0
                    announceUpdate(member.uuid)
                } else if route.kind == .clearSpotlights, member.spotlight != 0 {
                    participants[member.uuid]?.spotlight = 0
                    announceUpdate(member.uuid)
                }
            }
            return Reply.ok(true)
        case .theme:
            return .result(.response(HTTPResponse(status: 204)))
        case .dial:
            return Reply.error(501, "Not supported by MockMCU", c)
        case .participant(let targetID, let action):
            guard let target = participants[targetID], target.conferenceKey == conf.key else {
                return Reply.error(404, "Participant not found", c)
            }
            return perform(action, on: target, by: p, conf: conf, req, bodies: bodies)
        }
    }

    private mutating func perform(_ action: ClientRoute.ParticipantAction, on target: ParticipantState,
                                  by p: ParticipantState, conf: ConferenceState, _ req: HTTPRequest,
                                  bodies: PreparedRequest) -> NodeReply {
        let c = conf.config
        let now = Date().timeIntervalSince1970
        switch action {
        case .message:
            return chat(from: p, to: target, conf: conf, req, bodies: bodies)
        case .disconnect:
            eject(target.uuid, reason: WireMessage.disconnectedByRemoteHost, cause: "participant_disconnect")
            return Reply.ok(true)
        case .transfer:
            return Reply.error(501, "Not supported by MockMCU", c)
        case .role:
            switch bodies.role ?? PreparedRequest.decode(RoleRequest.self, req.body) {
            case .failure(let problem): return Reply.error(400, problem.message, c)
            case .success(let r):
                participants[target.uuid]?.role = r.role.tokenRole
            }
        default:
            participants[target.uuid]?.apply(action, now: now, conference: c)
        }
        announceUpdate(target.uuid)
        return Reply.ok(true)
    }

    /// `message` (to everyone else, `direct: false`) or
    /// `participants/<uuid>/message` (to `recipient` only, `direct: true`).
    private mutating func chat(from p: ParticipantState, to recipient: ParticipantState?, conf: ConferenceState,
                               _ req: HTTPRequest, bodies: PreparedRequest) -> NodeReply {
        let c = conf.config
        guard c.chatEnabled else { return Reply.error(403, "Chat is disabled", c) }
        switch bodies.message ?? PreparedRequest.decode(MessageRequest.self, req.body) {
        case .failure(let problem):
            return Reply.error(400, problem.message, c)
        case .success(let m):
            let msg = ChatMessage(origin: p.displayName, uuid: p.uuid, type: m.type ?? "text/plain",
                                  payload: m.payload, direct: recipient != nil)
            if let recipient {
                deliver(to: recipient.uuid, event: EventName.messageReceived, data: WireJSON.text(msg))
            } else {
                broadcast(conf.key, except: c.chatEcho ? nil : p.uuid, event: EventName.messageReceived,
                          data: WireJSON.text(msg))
            }
            return Reply.ok(true)
        }
    }
}

extension ParticipantState {
    /// The change a `participants/<uuid>/…` request makes to its target (`message`,
    /// `disconnect`, `role` and `transfer` are not changes to the participant's fields).
    mutating func apply(_ action: ClientRoute.ParticipantAction, now: Double, conference c: ConferenceConfig) {
        switch action {
        case .mute: isMuted = true
        case .unmute: isMuted = false
        case .clientMute: isClientMuted = true
        case .clientUnmute: isClientMuted = false
        case .videoMuted: isVideoMuted = true
        case .videoUnmuted: isVideoMuted = false
        case .spotlighton: spotlight = now
        case .spotlightoff: spotlight = 0
        case .buzz: buzzTime = now
        case .clearbuzz: buzzTime = 0
        case .unlock:
            if serviceType == .waitingRoom { serviceType = c.type == .lecture ? .lecture : .conference }
        case .message, .disconnect, .role, .transfer:
            break
        }
    }
}
