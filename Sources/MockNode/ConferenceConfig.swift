import MicroHTTP
import PexipWire

/// One conference (or Virtual Reception) the node serves, with every
/// behaviour the sources leave open as a named setting (see docs/node.md).
/// Field names are the snake_case keys of conference files and the control API.
public struct ConferenceConfig: Codable, Sendable, Equatable {
    /// What kind of service the alias reaches.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case conference, lecture, reception
    }

    /// A participant already in the conference, simulated by the node.
    public struct Present: Codable, Sendable, Equatable {
        public var displayName: String
        public var role: ParticipantRole
        public var uuid: String?

        public init(displayName: String, role: ParticipantRole = .guest, uuid: String? = nil) {
            self.displayName = displayName
            self.role = role
            self.uuid = uuid
        }

        package enum CodingKeys: String, CodingKey, CaseIterable { case displayName = "display_name", role, uuid }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            displayName = try c.decode(String.self, forKey: .displayName)
            role = try c.decodeIfPresent(ParticipantRole.self, forKey: .role) ?? .guest
            uuid = try c.decodeIfPresent(String.self, forKey: .uuid)
        }
    }

    /// The alias clients dial (matched without regard to case).
    public var alias: String
    /// `conference_name`/`service_name` in token responses.
    public var name: String
    public var type: Kind
    /// PIN that makes a participant a host.
    public var hostPIN: String?
    /// PIN that makes a participant a guest.
    public var guestPIN: String?
    /// With only a host PIN: guests may join with `pin: none`.
    public var allowGuests: Bool
    /// Reception only: aliases an extension may name (empty = any conference on the node).
    public var targets: [String]
    /// Token lifetime in seconds (sent as the string `expires`).
    public var expires: Int
    /// Seconds between keep-alive comments on `/events`; 0 = none.
    public var keepaliveInterval: Double
    /// Whether a keep-alive comment is followed by a blank line (`: keepalive` LF LF) or
    /// not (`: keepalive` LF, which some parsers take as the start of the next event).
    public var keepaliveBlankLine: Bool
    /// How lines end on `/events`: `lf` (the usual), `crlf` or `cr`, all valid by the W3C rules.
    public var lineEnding: EventStream.LineEnding
    /// Whether events carry `id:` lines.
    public var eventIDs: Bool
    /// Virtual Reception 403 body's type: `standard` or `mssip`.
    public var extensionType: String
    /// `status` word of error answers.
    public var errorStatusWord: String
    /// `status` word of the wrong-PIN answer (403 "Invalid PIN"). Not `success` by
    /// default: PexRTC reads a `success` 403 from request_token as a prompt object and
    /// throws on the plain-string result (docs/client-api.md).
    public var invalidPINStatusWord: String
    /// Extra seconds after expiry before the participant is ejected.
    public var expiryGrace: Double
    /// `disconnect` reason when a token expires.
    public var expiryReason: String
    /// Seconds between a `disconnect` event and the cut of the stream it went
    /// down (0 = in the same instant, which some HTTP stacks, AsyncHTTPClient
    /// among them, answer by dropping the event with the connection).
    public var disconnectCutDelay: Double
    /// Strict mode: the old token is invalid as soon as it is refreshed.
    public var revokeOnRefresh: Bool
    /// `version.version_id` in token responses.
    public var versionID: String
    /// `direct_media` in token responses and `conference_update`.
    public var directMedia: Bool
    /// Events sent on every (re)connect of `/events`, in order.
    public var initialBurst: [String]
    /// `chat_enabled` in token responses; when false, `message` is refused.
    public var chatEnabled: Bool
    /// Whether a sender also receives its own `message_received`.
    public var chatEcho: Bool
    /// Identity providers a participant must sign in with (single sign-on); empty = no SSO.
    public var ssoIDPs: [IdentityProvider]
    /// With exactly one provider: the first `request_token` is answered with the redirect at
    /// once, without the list to choose from.
    public var ssoRedirectFirst: Bool
    /// Whether the conference starts locked (guests wait in `waiting_room`).
    public var locked: Bool
    public var guestsCanPresent: Bool
    /// Participants present before anyone joins.
    public var participants: [Present]
    /// Layout ids `available_layouts` lists (and `transform_layout` accepts).
    public var layouts: [String]
    /// The layout the conference starts with (the `view` of `layout` events).
    public var layout: String

    /// The layouts a v36 node offers (Pexip's Android SDK test fixture `available_layouts.json`).
    public static let defaultLayouts = ["5:7", "1:7", "2:21", "1:21", "4:0", "9:0", "16:0", "25:0", "1:0", "1:33", "teams"]

    /// A conference with the documented defaults.
    public init(alias: String, name: String? = nil, type: Kind = .conference, hostPIN: String? = nil,
                guestPIN: String? = nil, allowGuests: Bool = false, targets: [String] = [], expires: Int = 120) {
        self.alias = alias
        self.name = name ?? alias
        self.type = type
        self.hostPIN = hostPIN
        self.guestPIN = guestPIN
        self.allowGuests = allowGuests
        self.targets = targets
        self.expires = expires
        keepaliveInterval = 10
        keepaliveBlankLine = true
        lineEnding = .lf
        eventIDs = true
        extensionType = "standard"
        errorStatusWord = "success"
        invalidPINStatusWord = "failure"
        expiryGrace = 0
        expiryReason = WireMessage.tokenExpired
        disconnectCutDelay = 0.1
        revokeOnRefresh = false
        versionID = "36"
        directMedia = false
        initialBurst = EventName.defaultInitialBurst
        chatEnabled = true
        chatEcho = false
        ssoIDPs = []
        ssoRedirectFirst = false
        locked = false
        guestsCanPresent = true
        participants = []
        layouts = Self.defaultLayouts
        layout = "1:7"
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case alias, name, type, targets, expires, locked, participants, layouts, layout
        case hostPIN = "host_pin", guestPIN = "guest_pin", allowGuests = "allow_guests"
        case keepaliveInterval = "keepalive_interval", keepaliveBlankLine = "keepalive_blank_line", lineEnding = "line_ending", eventIDs = "event_ids", extensionType = "extension_type"
        case errorStatusWord = "error_status_word", invalidPINStatusWord = "invalid_pin_status_word", expiryGrace = "expiry_grace", expiryReason = "expiry_reason"
        case revokeOnRefresh = "revoke_on_refresh", versionID = "version_id", directMedia = "direct_media"
        case initialBurst = "initial_burst", chatEnabled = "chat_enabled", chatEcho = "chat_echo"
        case guestsCanPresent = "guests_can_present", disconnectCutDelay = "disconnect_cut_delay"
        case ssoIDPs = "sso_idps", ssoRedirectFirst = "sso_redirect_first"
    }

    /// A provider in a conference file: `{name, uuid?}` (a stable uuid from its place by default).
    private struct ProviderEntry: Decodable {
        var name: String
        var uuid: String?
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ConferenceConfig(alias: try c.decode(String.self, forKey: .alias))
        alias = d.alias
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? d.alias
        type = try c.decodeIfPresent(Kind.self, forKey: .type) ?? d.type
        hostPIN = try Self.decodePIN(c, .hostPIN)
        guestPIN = try Self.decodePIN(c, .guestPIN)
        allowGuests = try c.decodeIfPresent(Bool.self, forKey: .allowGuests) ?? d.allowGuests
        targets = try c.decodeIfPresent([String].self, forKey: .targets) ?? d.targets
        expires = try c.decodeIfPresent(Int.self, forKey: .expires) ?? d.expires
        keepaliveInterval = try c.decodeIfPresent(Double.self, forKey: .keepaliveInterval) ?? d.keepaliveInterval
        keepaliveBlankLine = try c.decodeIfPresent(Bool.self, forKey: .keepaliveBlankLine) ?? d.keepaliveBlankLine
        if let word = try c.decodeIfPresent(String.self, forKey: .lineEnding) {
            guard let ending = EventStream.LineEnding(rawValue: word.lowercased()) else {
                throw DecodingError.dataCorruptedError(forKey: .lineEnding, in: c,
                                                       debugDescription: "line_ending must be lf, crlf or cr (got '\(word)')")
            }
            lineEnding = ending
        } else {
            lineEnding = d.lineEnding
        }
        eventIDs = try c.decodeIfPresent(Bool.self, forKey: .eventIDs) ?? d.eventIDs
        extensionType = try c.decodeIfPresent(String.self, forKey: .extensionType) ?? d.extensionType
        errorStatusWord = try c.decodeIfPresent(String.self, forKey: .errorStatusWord) ?? d.errorStatusWord
        invalidPINStatusWord = try c.decodeIfPresent(String.self, forKey: .invalidPINStatusWord) ?? d.invalidPINStatusWord
        expiryGrace = try c.decodeIfPresent(Double.self, forKey: .expiryGrace) ?? d.expiryGrace
        expiryReason = try c.decodeIfPresent(String.self, forKey: .expiryReason) ?? d.expiryReason
        disconnectCutDelay = try c.decodeIfPresent(Double.self, forKey: .disconnectCutDelay) ?? d.disconnectCutDelay
        revokeOnRefresh = try c.decodeIfPresent(Bool.self, forKey: .revokeOnRefresh) ?? d.revokeOnRefresh
        versionID = try Self.decodeLoose(c, .versionID) ?? d.versionID
        directMedia = try c.decodeIfPresent(Bool.self, forKey: .directMedia) ?? d.directMedia
        initialBurst = try c.decodeIfPresent([String].self, forKey: .initialBurst) ?? d.initialBurst
        chatEnabled = try c.decodeIfPresent(Bool.self, forKey: .chatEnabled) ?? d.chatEnabled
        chatEcho = try c.decodeIfPresent(Bool.self, forKey: .chatEcho) ?? d.chatEcho
        ssoIDPs = try (c.decodeIfPresent([ProviderEntry].self, forKey: .ssoIDPs) ?? []).enumerated().map { i, e in
            IdentityProvider(uuid: e.uuid ?? String(format: "5a5a0000-0000-4000-8000-%012d", i + 1), name: e.name)
        }
        ssoRedirectFirst = try c.decodeIfPresent(Bool.self, forKey: .ssoRedirectFirst) ?? d.ssoRedirectFirst
        locked = try c.decodeIfPresent(Bool.self, forKey: .locked) ?? d.locked
        guestsCanPresent = try c.decodeIfPresent(Bool.self, forKey: .guestsCanPresent) ?? d.guestsCanPresent
        participants = try c.decodeIfPresent([Present].self, forKey: .participants) ?? d.participants
        layouts = try c.decodeIfPresent([String].self, forKey: .layouts) ?? d.layouts
        layout = try c.decodeIfPresent(String.self, forKey: .layout) ?? d.layout
    }

    /// PINs may be written as numbers in YAML; they are strings on the wire.
    private static func decodePIN(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> String? {
        try decodeLoose(c, key)
    }

    private static func decodeLoose(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> String? {
        if let s = try? c.decodeIfPresent(String.self, forKey: key) { return s }
        if let i = try? c.decodeIfPresent(Int.self, forKey: key) { return String(i) }
        if c.contains(key), try c.decodeNil(forKey: key) { return nil }
        return try c.decodeIfPresent(String.self, forKey: key)
    }

    /// Events the initial burst may name.
    public static let burstEvents: Set<String> = Set(EventName.defaultInitialBurst + [EventName.layout, EventName.splashScreen])

    /// Problems that make this conference unusable, each a sentence that says what to change.
    public func problems() -> [(key: CodingKeys, message: String)] {
        var out: [(CodingKeys, String)] = []
        if alias.isEmpty || alias.contains("/") {
            out.append((.alias, "alias must be non-empty and contain no '/'"))
        }
        for (key, pin) in [(CodingKeys.hostPIN, hostPIN), (.guestPIN, guestPIN)] {
            if let pin, !Self.isValidPIN(pin) {
                out.append((key, "PIN '\(pin)' must be 4 to 10 digits, optionally ending in '#'"))
            }
        }
        if guestPIN != nil && hostPIN == nil {
            out.append((.guestPIN, "a guest PIN needs a host PIN too (set host_pin)"))
        }
        if let h = hostPIN, let g = guestPIN, Self.normalisePIN(h) == Self.normalisePIN(g) {
            out.append((.guestPIN, "guest_pin must differ from host_pin"))
        }
        let timings: [(CodingKeys, Limit, Double)] = [
            (.expires, Limits.tokenLifetime, Double(expires)), (.keepaliveInterval, Limits.keepaliveInterval, keepaliveInterval),
            (.expiryGrace, Limits.expiryGrace, expiryGrace), (.disconnectCutDelay, Limits.disconnectCutDelay, disconnectCutDelay),
        ]
        for (key, limit, value) in timings {
            if let problem = limit.problem(value, key.rawValue) { out.append((key, problem)) }
        }
        if !["standard", "mssip"].contains(extensionType) {
            out.append((.extensionType, "extension_type must be 'standard' or 'mssip'"))
        }
        for name in initialBurst where !Self.burstEvents.contains(name) {
            out.append((.initialBurst, "initial_burst cannot contain '\(name)'; allowed: \(Self.burstEvents.sorted().joined(separator: ", "))"))
        }
        if layouts.isEmpty || layouts.contains(where: { $0.isEmpty }) {
            out.append((.layouts, "layouts must list at least one layout id, none empty"))
        } else if !layouts.contains(layout) {
            out.append((.layout, "layout '\(layout)' is not among layouts (\(layouts.joined(separator: ", ")))"))
        }
        if Set(ssoIDPs.map(\.uuid)).count != ssoIDPs.count || ssoIDPs.contains(where: { $0.uuid.isEmpty || $0.name.isEmpty }) {
            out.append((.ssoIDPs, "sso_idps must each have a name and a uuid of their own"))
        }
        if ssoRedirectFirst && ssoIDPs.count != 1 {
            out.append((.ssoRedirectFirst, "sso_redirect_first needs exactly one entry in sso_idps"))
        }
        if type == .reception && !ssoIDPs.isEmpty {
            out.append((.ssoIDPs, "sso_idps belong on the conference a reception leads to, not the reception"))
        }
        if type != .reception && !targets.isEmpty {
            out.append((.targets, "targets only apply to type: reception"))
        }
        return out
    }

    static func isValidPIN(_ pin: String) -> Bool {
        let digits = pin.hasSuffix("#") ? String(pin.dropLast()) : pin
        return (4...10).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func normalisePIN(_ pin: String) -> String {
        let t = pin.trimmingCharacters(in: .whitespaces)
        return t.hasSuffix("#") ? String(t.dropLast()) : t
    }
}

import Foundation
