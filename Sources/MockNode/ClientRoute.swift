import Foundation
import MicroHTTP
import PexipWire

/// A request under `/conferences/<alias>/` that needs a token.
struct ClientRoute: Sendable {
    enum Kind: Equatable, Sendable {
        case refreshToken, releaseToken, events, participants, conferenceStatus, message
        case lock, unlock, muteGuests, unmuteGuests, disconnectAll, setGuestsCanUnmute, startConference
        case clearAllBuzz, clearSpotlights, theme, dial
        case availableLayouts, layoutSvgs, transformLayout
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
        "available_layouts": (.availableLayouts, "GET"), "layout_svgs": (.layoutSvgs, "GET"),
        "transform_layout": (.transformLayout, "POST"),
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
             .clearAllBuzz, .clearSpotlights, .transformLayout:
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
        case .availableLayouts:
            return Reply.ok(c.layouts)
        case .layoutSvgs:
            return Reply.ok(LayoutSVG.Pictures(ids: c.layouts))
        case .transformLayout:
            return transformLayout(req, conf: conf)
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

    /// `transform_layout {"transforms": {"layout", "guest_layout", "enable_overlay_text"}}`: a layout
    /// id the conference does not offer answers 400 "Illegal value" (as the SDKs' fixture shows),
    /// changing nothing; otherwise everyone gets a `layout` event.
    private mutating func transformLayout(_ req: HTTPRequest, conf: ConferenceState) -> NodeReply {
        let c = conf.config
        guard let transforms = JSONValue.parse(req.body)?["transforms"], transforms.objectValue != nil else {
            return Reply.error(400, "Invalid request body: expected {\"transforms\": {...}}", c)
        }
        var layout = conf.layout
        for (key, value) in transforms.objectValue ?? [:] {
            switch (key, value) {
            case ("layout", .string(let id)) where c.layouts.contains(id): layout.view = id; layout.hostLayout = id
            case ("guest_layout", .string(let id)) where c.layouts.contains(id): layout.guestLayout = id
            case ("enable_overlay_text", .bool(let on)): layout.overlayText = on
            case ("layout", .null), ("guest_layout", .null), ("enable_overlay_text", .null): break
            default: return Reply.lazy(400, "Illegal value", word: c.errorStatusWord)
            }
        }
        conferences[conf.key]?.layout = layout
        broadcast(conf.key, event: EventName.layout, data: layout.eventJSON)
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

/// The pictures `layout_svgs` answers: one small SVG per layout id, drawn by MockMCU (a main
/// tile and, for "<big>:<small>" ids, a row of small ones), for pickers to show.
enum LayoutSVG {
    /// The `layout_svgs` result: id → picture, in the order of `available_layouts`.
    struct Pictures: Codable, Sendable, WireEncodable {
        let ids: [String]

        init(ids: [String]) { self.ids = ids }

        init(from decoder: Decoder) throws {
            ids = try decoder.singleValueContainer().decode([String: String].self).keys.sorted()
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(Dictionary(ids.map { ($0, LayoutSVG.picture(of: $0)) }, uniquingKeysWith: { a, _ in a }))
        }

        func write(to w: inout JSONWriter) {
            var seen = Set<String>()
            w.object { w in
                for id in ids where seen.insert(id).inserted { w.field(id, LayoutSVG.picture(of: id)) }
            }
        }
    }

    static func picture(of id: String) -> String {
        let parts = id.split(separator: ":").compactMap { Int($0) }
        let big = parts.count == 2 ? max(1, min(parts[0], 25)) : 1
        let small = parts.count == 2 ? min(parts[1], 33) : 0
        var rects = ["<rect x='0.5' y='0.5' width='139' height='87' rx='3.5' fill='currentColor' stroke='#BBBFC3'></rect>"]
        let columns = Int(Double(big).squareRoot().rounded(.up))
        let rows = (big + columns - 1) / columns
        let height = small > 0 ? 54.0 : 80.0
        for i in 0..<big {
            let w = 132.0 / Double(columns), h = height / Double(rows)
            let x = 4 + Double(i % columns) * w, y = 4 + Double(i / columns) * h
            rects.append("<rect x='\(x)' y='\(y)' width='\(w - 2)' height='\(h - 2)' rx='2' fill='#BBBFC3'></rect>")
        }
        for i in 0..<min(small, 7) {
            rects.append("<rect x='\(4 + Double(i) * 19)' y='62' width='18' height='14' rx='2' fill='#BBBFC3'></rect>")
        }
        return "<svg width='140' height='88' viewBox='0 0 140 88' fill='none' xmlns='http://www.w3.org/2000/svg'>\n"
            + rects.joined(separator: "\n") + "\n</svg>"
    }
}
