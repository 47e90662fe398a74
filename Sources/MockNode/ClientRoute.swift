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
        /// `theme/<path>`: a file of the conference's theme.
        case themeFile
        /// Breakout rooms: `breakouts` (open), `breakouts/<from>/participants/breakout` (move),
        /// `breakouts/<uuid>/disconnect` (close), `leavebreakout`, `breakoutbuzz`, `clearbreakoutbuzz`.
        case openBreakout, moveBreakoutParticipants, closeBreakout, leaveBreakout, breakoutBuzz, clearBreakoutBuzz
        case participant(String, ParticipantAction)
    }

    /// Requests on `participants/<uuid>/…`.
    enum ParticipantAction: String, Sendable {
        case message, disconnect, mute, unmute, role, spotlighton, spotlightoff, buzz, clearbuzz, unlock, transfer
        case clientMute = "client_mute", clientUnmute = "client_unmute"
        case videoMuted = "video_muted", videoUnmuted = "video_unmuted"
        case dtmf, overlaytext, preferredAspectRatio = "preferred_aspect_ratio"
        case showLiveCaptions = "show_live_captions", hideLiveCaptions = "hide_live_captions"
        case takeFloor = "take_floor", releaseFloor = "release_floor"
        case avatar = "avatar.jpg"
        /// `calls` and `calls/<call_uuid>/<verb>`: media signalling, not simulated.
        case calls

        var method: String { self == .avatar ? "GET" : "POST" }
    }

    let kind: Kind
    let method: String
    /// The room of a `breakouts/<uuid>/…` request.
    private(set) var room: String?

    /// Whether the request concerns the session itself (token, stream), which a room prefix does not change.
    var isSessionLevel: Bool { kind == .refreshToken || kind == .releaseToken || kind == .events }

    /// Whether the request manages rooms (its `room` names the room it acts on, not one the caller is in).
    var managesRooms: Bool { kind == .moveBreakoutParticipants || kind == .closeBreakout }

    /// The same request without its `breakouts/<uuid>/` prefix.
    var unprefixed: ClientRoute {
        var r = self
        r.room = nil
        return r
    }

    private static let breakoutsPrefix = Array("breakouts/".utf8)

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
        "breakouts": (.openBreakout, "POST"), "leavebreakout": (.leaveBreakout, "POST"),
        "breakoutbuzz": (.breakoutBuzz, "POST"), "clearbreakoutbuzz": (.clearBreakoutBuzz, "POST"),
    ]

    init?(_ request: String) {
        if request.utf8.starts(with: Self.breakoutsPrefix),
           case let prefix = request.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false),
           prefix.count == 3, !prefix[1].isEmpty {
            let rest = String(prefix[2])
            switch rest {
            case "participants/breakout": (kind, method) = (.moveBreakoutParticipants, "POST")
            case "disconnect": (kind, method) = (.closeBreakout, "POST")
            default:
                guard let inner = ClientRoute(rest), inner.room == nil, inner.kind != .openBreakout else { return nil }
                (kind, method) = (inner.kind, inner.method)
            }
            room = String(prefix[1])
            return
        }
        if let (kind, method) = Self.simple[request] {
            self.kind = kind
            self.method = method
            return
        }
        if request.hasPrefix("theme/") {
            kind = .themeFile
            method = "GET"
            return
        }
        let parts = request.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 3, parts[0] == "participants", !parts[1].isEmpty,
           let action = ParticipantAction(rawValue: String(parts[2])) {
            kind = .participant(String(parts[1]), action)
            method = action.method
            return
        }
        if parts.count == 5, parts[0] == "participants", !parts[1].isEmpty, parts[2] == "calls", !parts[3].isEmpty,
           ["ack", "update", "new_candidate", "dtmf", "disconnect"].contains(parts[4]) {
            kind = .participant(String(parts[1]), .calls)
            method = "POST"
            return
        }
        return nil
    }

    /// Requests a GUEST token may not make (§10), given who the target is.
    func isHostOnly(caller: String) -> Bool {
        switch kind {
        case .lock, .unlock, .muteGuests, .unmuteGuests, .disconnectAll, .setGuestsCanUnmute, .dial,
             .clearAllBuzz, .clearSpotlights, .transformLayout, .openBreakout, .moveBreakoutParticipants, .closeBreakout:
            return true
        case .participant(let target, let action):
            switch action {
            case .role, .transfer, .unlock: return true
            case .disconnect, .mute, .unmute, .dtmf, .overlaytext, .preferredAspectRatio, .showLiveCaptions,
                 .hideLiveCaptions, .takeFloor, .releaseFloor:
                return target != caller
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
        case .themeFile:
            // MockMCU's conferences have no theme (`theme/` answers 204), so no theme file exists.
            return Reply.error(404, "Theme file not found", c)
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
        case .openBreakout, .moveBreakoutParticipants, .closeBreakout, .leaveBreakout:
            return breakoutRequest(route, req, p: p, conf: conf)
        case .breakoutBuzz, .clearBreakoutBuzz:
            return Reply.ok(true)
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
            return transfer(target, req, conf: conf)
        case .calls:
            return Reply.error(501, "Media calls are not simulated by MockMCU (an API-only participant has none)", c)
        case .avatar:
            var headers = HTTPHeaders()
            headers.set("Content-Type", "image/jpeg")
            return .result(.response(HTTPResponse(status: 200, headers: headers, body: LayoutSVG.avatarJPEG)))
        case .dtmf:
            let digits = JSONValue.parse(req.body)?["digits"]?.stringValue ?? ""
            guard !digits.isEmpty, digits.allSatisfy({ "0123456789*#ABCD".contains($0) }) else {
                return Reply.error(400, "Invalid request body: digits must be one or more of 0-9 * # A-D", c)
            }
            recordAction("dtmf", participant: target.uuid, alias: c.alias, detail: digits)
            return Reply.ok(true)
        case .preferredAspectRatio:
            guard let ratio = JSONValue.parse(req.body)?["aspect_ratio"]?.numberValue, (0...2).contains(ratio) else {
                return Reply.error(400, "Invalid request body: aspect_ratio must be a number from 0 to 2", c)
            }
            return Reply.ok(true)
        case .overlaytext:
            guard let text = JSONValue.parse(req.body)?["text"]?.stringValue else {
                return Reply.error(400, "Invalid request body: expected {\"text\": \"...\"}", c)
            }
            participants[target.uuid]?.overlayText = text
        case .takeFloor, .releaseFloor:
            let taking = action == .takeFloor
            guard participants[target.uuid]?.presenting != taking else { return Reply.ok(true) }
            participants[target.uuid]?.presenting = taking
            if taking {
                let who = PresentationStart(presenterName: target.displayName, presenterURI: target.wireObject.uri ?? "",
                                            presenterUUID: target.uuid)
                broadcast(conf.key, except: target.uuid, event: EventName.presentationStart, data: WireJSON.text(who))
            } else {
                broadcast(conf.key, except: target.uuid, event: EventName.presentationStop, data: "{}")
            }
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

    /// `participants/<uuid>/transfer {"conference_alias", "role"?, "pin"?}` (hosts): the target gets
    /// a `refer` to the alias with a one-time token, and leaves its conference when it re-joins.
    private mutating func transfer(_ target: ParticipantState, _ req: HTTPRequest, conf: ConferenceState) -> NodeReply {
        let c = conf.config
        guard let body = JSONValue.parse(req.body), let alias = body["conference_alias"]?.stringValue, !alias.isEmpty else {
            return Reply.error(400, "Invalid request body: expected {\"conference_alias\": \"...\"}", c)
        }
        guard let destination = conferences[alias.lowercased()], destination.config.type != .reception else {
            return Reply.notFound(c)
        }
        let role: TokenRole
        switch body["role"]?.stringValue?.lowercased() {
        case nil: role = target.role
        case "chair", "host": role = .host
        case "guest": role = .guest
        default: return Reply.error(400, "Invalid request body: role must be chair or guest", c)
        }
        _ = refer(target.uuid, to: destination, role: role, moving: true)
        return Reply.ok(true)
    }

    /// `message` (to everyone else, `direct: false`) or
    /// `participants/<uuid>/message` (to `recipient` only, `direct: true`).
    private mutating func chat(from p: ParticipantState, to recipient: ParticipantState?, conf: ConferenceState,
                               _ req: HTTPRequest, bodies: PreparedRequest) -> NodeReply {
        let c = conf.config
        guard c.chatEnabled else { return Reply.error(403, "Chat is disabled", c) }
        let text: String
        if let body = JSONValue.parse(req.body), body["type"]?.stringValue == "application/json" {
            // An application message: its payload is a JSON object, passed on as it came.
            guard let payload = body["payload"], payload.objectValue != nil else {
                return Reply.error(400, "Invalid request body: an application/json message's payload must be a JSON object", c)
            }
            let msg: JSONValue = ["origin": .string(p.displayName), "uuid": .string(p.uuid), "type": "application/json",
                                  "payload": payload, "direct": .bool(recipient != nil)]
            text = msg.jsonText
        } else {
            switch bodies.message ?? PreparedRequest.decode(MessageRequest.self, req.body) {
            case .failure(let problem):
                return Reply.error(400, problem.message, c)
            case .success(let m):
                text = WireJSON.text(ChatMessage(origin: p.displayName, uuid: p.uuid, type: m.type ?? "text/plain",
                                                 payload: m.payload, direct: recipient != nil))
            }
        }
        if let recipient {
            deliver(to: recipient.uuid, event: EventName.messageReceived, data: text)
        } else {
            broadcast(conf.key, except: c.chatEcho ? nil : p.uuid, event: EventName.messageReceived, data: text)
        }
        return Reply.ok(true)
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
        case .showLiveCaptions: showLiveCaptions = true
        case .hideLiveCaptions: showLiveCaptions = false
        case .message, .disconnect, .role, .transfer, .dtmf, .overlaytext, .preferredAspectRatio, .takeFloor,
             .releaseFloor, .avatar, .calls:
            break
        }
    }
}

extension NodeState {
    /// A host's requests on breakout rooms, and a guest's `leavebreakout`.
    mutating func breakoutRequest(_ route: ClientRoute, _ req: HTTPRequest, p: ParticipantState, conf: ConferenceState) -> NodeReply {
        let c = conf.config
        let body = JSONValue.parse(req.body)?.objectValue ?? [:]
        func uuids(_ v: JSONValue?) -> [String]? {
            guard let v else { return [] }
            if let list = v.arrayValue { return list.allSatisfy { $0.stringValue != nil } ? list.compactMap(\.stringValue) : nil }
            // `{"<from room or main>": [uuids]}`
            guard let o = v.objectValue else { return nil }
            var all: [String] = []
            for (_, list) in o.sorted(by: { $0.key < $1.key }) {
                guard let items = list.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else { return nil }
                all += items.compactMap(\.stringValue)
            }
            return all
        }
        switch route.kind {
        case .openBreakout:
            guard let name = body["name"]?.stringValue, !name.isEmpty else {
                return Reply.error(400, "Invalid request body: name is required", c)
            }
            guard let who = uuids(body["participants"]) else {
                return Reply.error(400, "Invalid request body: participants must be a list of participant uuids", c)
            }
            let room = openRoom(conf, name: name, guestsAllowedToLeave: body["guests_allowed_to_leave"]?.boolValue ?? true)
            for uuid in who where participants[uuid] != nil { move(uuid, parent: conf, to: room) }
            return Reply.ok(room.breakout?.uuid ?? "")
        case .moveBreakoutParticipants:
            guard let to = body["breakout_uuid"]?.stringValue, let who = uuids(body["participants"]) else {
                return Reply.error(400, "Invalid request body: expected {\"breakout_uuid\": \"<uuid>|main\", \"participants\": [uuid, …]}", c)
            }
            let target = to == "main" ? nil : rooms(of: conf.key).first { $0.breakout?.uuid == to }
            if to != "main" && target == nil { return Reply.error(404, WireMessage.breakoutNotFound, c) }
            for uuid in who where participants[uuid] != nil { move(uuid, parent: conf, to: target) }
            return Reply.ok(true)
        case .closeBreakout:
            guard let room = rooms(of: conf.key).first(where: { $0.breakout?.uuid == route.room }) else {
                return Reply.error(404, WireMessage.breakoutNotFound, c)
            }
            closeRoom(room)
            return Reply.ok(true)
        default:  // leavebreakout
            guard let room = rooms(of: conf.key).first(where: { identity(of: p.uuid, in: $0) != nil }) else {
                return Reply.error(400, "Not in a breakout room", c)
            }
            if p.role == .guest && room.breakout?.guestsAllowedToLeave == false {
                return Reply.error(403, WireMessage.permissionDenied, c)
            }
            move(p.uuid, parent: conf, to: nil)
            return Reply.ok(true)
        }
    }
}
