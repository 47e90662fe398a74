/// Names of the events on the `/events` stream.
public enum EventName {
    public static let participantSyncBegin = "participant_sync_begin"
    public static let participantSyncEnd = "participant_sync_end"
    public static let participantCreate = "participant_create"
    public static let participantUpdate = "participant_update"
    public static let participantDelete = "participant_delete"
    public static let conferenceUpdate = "conference_update"
    public static let stage = "stage"
    public static let layout = "layout"
    public static let presentationStart = "presentation_start"
    public static let presentationStop = "presentation_stop"
    public static let messageReceived = "message_received"
    public static let disconnect = "disconnect"
    public static let refer = "refer"
    public static let refreshToken = "refresh_token"
    public static let splashScreen = "splash_screen"
    public static let onHold = "on_hold"
    public static let callDisconnected = "call_disconnected"
    public static let liveCaptions = "live_captions"
    public static let breakoutBegin = "breakout_begin"
    public static let breakoutEnd = "breakout_end"
    public static let breakoutEvent = "breakout_event"
    public static let breakoutRefer = "breakout_refer"

    /// Why `name` cannot be an event's name on the wire, if it cannot: it goes on an
    /// SSE `event:` line, so a line break would start other fields, and a space
    /// at its start would be lost.
    public static func problem(_ name: String) -> String? {
        let ok = !name.isEmpty && name.utf8.count <= 100 && name.utf8.allSatisfy { (0x21...0x7E).contains($0) }
        return ok ? nil : "an event name must be 1 to 100 printable ASCII characters, no spaces or line breaks (got \(Self.quoted(name)))"
    }

    /// `name` in quotes, with control characters escaped (safe to print).
    static func quoted(_ name: String) -> String {
        var out = "'"
        for scalar in name.prefix(100).unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out + (name.count > 100 ? "…'" : "'")
    }

    /// The initial burst the node sends on every (re)connect, in order.
    public static let defaultInitialBurst = [conferenceUpdate, participantSyncBegin, participantCreate,
                                             participantSyncEnd, stage, presentationStop]
}

/// `conference_update` payload, also the result of `GET conference_status`.
public struct ConferenceStatus: Codable, Sendable, Equatable {
    public var locked: Bool
    public var started: Bool
    public var guestsMuted: Bool
    public var allMuted: Bool
    public var presentationAllowed: Bool
    public var directMedia: Bool
    public var guestsCanUnmute: Bool
    public var liveCaptionsAvailable: Bool
    public var breakoutRooms: Bool
    public var classification: Classification?

    /// `classification` as the node sends it when no levels are set.
    public struct Classification: Codable, Sendable, Equatable {
        public var levels: [String: String]
        public var current: String?
        public init() { levels = [:]; current = nil }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(levels, forKey: .levels)
            try c.encode(current, forKey: .current)
        }
        enum CodingKeys: String, CodingKey { case levels, current }
    }

    public init(locked: Bool = false, started: Bool = true, guestsMuted: Bool = false, allMuted: Bool = false,
                presentationAllowed: Bool = true, directMedia: Bool = false, guestsCanUnmute: Bool = true,
                liveCaptionsAvailable: Bool = false, breakoutRooms: Bool = false) {
        self.locked = locked
        self.started = started
        self.guestsMuted = guestsMuted
        self.allMuted = allMuted
        self.presentationAllowed = presentationAllowed
        self.directMedia = directMedia
        self.guestsCanUnmute = guestsCanUnmute
        self.liveCaptionsAvailable = liveCaptionsAvailable
        self.breakoutRooms = breakoutRooms
        self.classification = Classification()
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        locked = try c.decodeIfPresent(Bool.self, forKey: .locked) ?? false
        started = try c.decodeIfPresent(Bool.self, forKey: .started) ?? false
        guestsMuted = try c.decodeIfPresent(Bool.self, forKey: .guestsMuted) ?? false
        allMuted = try c.decodeIfPresent(Bool.self, forKey: .allMuted) ?? false
        presentationAllowed = try c.decodeIfPresent(Bool.self, forKey: .presentationAllowed) ?? false
        directMedia = try c.decodeIfPresent(Bool.self, forKey: .directMedia) ?? false
        guestsCanUnmute = try c.decodeIfPresent(Bool.self, forKey: .guestsCanUnmute) ?? false
        liveCaptionsAvailable = try c.decodeIfPresent(Bool.self, forKey: .liveCaptionsAvailable) ?? false
        breakoutRooms = try c.decodeIfPresent(Bool.self, forKey: .breakoutRooms) ?? false
        classification = try c.decodeIfPresent(Classification.self, forKey: .classification)
    }

    enum CodingKeys: String, CodingKey {
        case locked, started, classification
        case guestsMuted = "guests_muted", allMuted = "all_muted", presentationAllowed = "presentation_allowed"
        case directMedia = "direct_media", guestsCanUnmute = "guests_can_unmute"
        case liveCaptionsAvailable = "live_captions_available", breakoutRooms = "breakout_rooms"
    }
}

/// One entry of a `stage` event (an array of these).
public struct StageEntry: Codable, Sendable, Equatable {
    public var participantUUID: String
    public var stageIndex: Int
    /// Voice activity 0–100; speaking when not 0.
    public var vad: Int

    public init(participantUUID: String, stageIndex: Int, vad: Int = 0) {
        self.participantUUID = participantUUID
        self.stageIndex = stageIndex
        self.vad = vad
    }

    enum CodingKeys: String, CodingKey { case participantUUID = "participant_uuid", stageIndex = "stage_index", vad }
}

/// `participant_delete` payload.
public struct ParticipantDeleted: Codable, Sendable, Equatable {
    public var uuid: String
    public init(uuid: String) { self.uuid = uuid }
}

/// `message_received` payload.
public struct ChatMessage: Codable, Sendable, Equatable {
    /// The sender's display name.
    public var origin: String
    /// The sender's participant UUID.
    public var uuid: String
    public var type: String
    public var payload: String
    /// True for a message sent to this participant only.
    public var direct: Bool?

    public init(origin: String, uuid: String, type: String = "text/plain", payload: String, direct: Bool) {
        self.origin = origin
        self.uuid = uuid
        self.type = type
        self.payload = payload
        self.direct = direct
    }
}

/// Body of `POST message` and `POST participants/<uuid>/message`.
public struct MessageRequest: Codable, Sendable, Equatable {
    public var type: String?
    public var payload: String
    public init(type: String = "text/plain", payload: String) {
        self.type = type
        self.payload = payload
    }
}

/// `disconnect` payload.
public struct DisconnectReason: Codable, Sendable, Equatable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

/// `presentation_start` payload (all three keys, as both SDKs need).
public struct PresentationStart: Codable, Sendable, Equatable {
    public var presenterName: String
    public var presenterURI: String
    public var presenterUUID: String

    public init(presenterName: String, presenterURI: String, presenterUUID: String) {
        self.presenterName = presenterName
        self.presenterURI = presenterURI
        self.presenterUUID = presenterUUID
    }

    enum CodingKeys: String, CodingKey {
        case presenterName = "presenter_name", presenterURI = "presenter_uri", presenterUUID = "presenter_uuid"
    }
}

/// `refer` payload: re-join `alias` with the one-time `token`.
public struct Refer: Codable, Sendable, Equatable {
    public var alias: String
    public var token: String
    public init(alias: String, token: String) { self.alias = alias; self.token = token }
}

/// Body of `POST participants/<uuid>/role`.
public struct RoleRequest: Codable, Sendable, Equatable {
    public var role: ParticipantRole
    public init(role: ParticipantRole) { self.role = role }
}
