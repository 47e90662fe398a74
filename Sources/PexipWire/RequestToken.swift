/// Body of `POST …/request_token`. Every field is optional on the wire.
public struct RequestTokenRequest: Codable, Sendable, Equatable {
    public var displayName: String?
    public var callTag: String?
    public var conferenceExtension: String?
    public var chosenIDP: String?
    public var ssoToken: String?
    public var directMedia: Bool?
    /// A one-time token from a `refer` event.
    public var token: String?
    public var registrationToken: String?
    public var breakoutCapable: Bool?
    public var clientID: String?
    public var node: String?

    public init(displayName: String? = nil, callTag: String? = nil, conferenceExtension: String? = nil,
                directMedia: Bool? = nil, token: String? = nil) {
        self.displayName = displayName
        self.callTag = callTag
        self.conferenceExtension = conferenceExtension
        self.directMedia = directMedia
        self.token = token
    }

    enum CodingKeys: String, CodingKey {
        case displayName = "display_name", callTag = "call_tag", conferenceExtension = "conference_extension"
        case chosenIDP = "chosen_idp", ssoToken = "sso_token", directMedia = "direct_media", token
        case registrationToken = "registration_token", breakoutCapable = "breakout_capable"
        case clientID = "client_id", node
    }
}

/// `version` in a request_token result.
public struct ServerVersion: Codable, Sendable, Equatable {
    public var versionID: String
    public var pseudoVersion: String

    public init(versionID: String, pseudoVersion: String) {
        self.versionID = versionID
        self.pseudoVersion = pseudoVersion
    }

    enum CodingKeys: String, CodingKey { case versionID = "version_id", pseudoVersion = "pseudo_version" }
}

/// A STUN server entry.
public struct STUNServer: Codable, Sendable, Equatable {
    public var url: String
    public init(url: String) { self.url = url }
}

/// A TURN server entry.
public struct TURNServer: Codable, Sendable, Equatable {
    public var urls: [String]
    public var username: String
    public var credential: String
    public init(urls: [String], username: String, credential: String) {
        self.urls = urls
        self.username = username
        self.credential = credential
    }
}

/// The `result` of a successful `request_token` (HTTP 200).
public struct RequestTokenResult: Codable, Sendable, Equatable {
    public var token: String
    /// Seconds, as a JSON *string* (`"120"`).
    public var expires: String
    public var participantUUID: String
    public var displayName: String
    public var role: TokenRole
    public var serviceType: ServiceType?
    public var currentServiceType: ServiceType?
    public var callTag: String?
    public var version: ServerVersion?
    public var conferenceName: String?
    public var serviceName: String?
    public var callType: String?
    public var chatEnabled: Bool?
    public var guestsCanPresent: Bool?
    public var directMedia: Bool?
    public var routeViaRegistrar: Bool?
    public var idpUUID: String?
    public var feccEnabled: Bool?
    public var trickleICEEnabled: Bool?
    public var pexDatachannelID: Int?
    public var clientStatsUpdateInterval: Double?
    public var useRelayCandidatesOnly: Bool?
    public var analyticsEnabled: Bool?
    public var stun: [STUNServer]?
    public var turn: [TURNServer]?
    public var vp9Enabled: Bool?
    public var breakoutRooms: Bool?
    public var liveCaptionsAvailable: Bool?
    public var allow1080p: Bool?

    public init(token: String, expires: String, participantUUID: String, displayName: String, role: TokenRole) {
        self.token = token
        self.expires = expires
        self.participantUUID = participantUUID
        self.displayName = displayName
        self.role = role
    }

    /// `expires` as a number of seconds, if it parses.
    public var expiresSeconds: Double? { Double(expires) }

    enum CodingKeys: String, CodingKey {
        case token, expires, role, version, stun, turn
        case participantUUID = "participant_uuid", displayName = "display_name"
        case serviceType = "service_type", currentServiceType = "current_service_type", callTag = "call_tag"
        case conferenceName = "conference_name", serviceName = "service_name", callType = "call_type"
        case chatEnabled = "chat_enabled", guestsCanPresent = "guests_can_present", directMedia = "direct_media"
        case routeViaRegistrar = "route_via_registrar", idpUUID = "idp_uuid", feccEnabled = "fecc_enabled"
        case trickleICEEnabled = "trickle_ice_enabled", pexDatachannelID = "pex_datachannel_id"
        case clientStatsUpdateInterval = "client_stats_update_interval"
        case useRelayCandidatesOnly = "use_relay_candidates_only", analyticsEnabled = "analytics_enabled"
        case vp9Enabled = "vp9_enabled", breakoutRooms = "breakout_rooms"
        case liveCaptionsAvailable = "live_captions_available", allow1080p = "allow_1080p"
    }
}

/// A 403 `result` asking for a PIN: `{"pin":"required","guest_pin":"required"|"none"}`.
public struct PinChallenge: Codable, Sendable, Equatable {
    public var pin: String
    public var guestPIN: String

    public init(guestPINRequired: Bool) {
        pin = "required"
        guestPIN = guestPINRequired ? "required" : "none"
    }

    /// Whether guests need a PIN too (`false` means a guest may answer `pin: none`).
    public var guestPINRequired: Bool { guestPIN == "required" }

    enum CodingKeys: String, CodingKey { case pin, guestPIN = "guest_pin" }
}

/// A 403 `result` asking for a Virtual Reception extension. Both keys are
/// sent: Swift reads `conference_extension`, PexRTC `conference_extension_type`.
public struct ExtensionChallenge: Codable, Sendable, Equatable {
    public var conferenceExtension: String
    public var conferenceExtensionType: String?

    public init(type: String) {
        conferenceExtension = type
        conferenceExtensionType = type
    }

    enum CodingKeys: String, CodingKey {
        case conferenceExtension = "conference_extension", conferenceExtensionType = "conference_extension_type"
    }
}

/// A SAML identity provider a conference offers for single sign-on.
public struct IdentityProvider: Codable, Sendable, Equatable, Hashable {
    public var uuid: String
    public var name: String

    public init(uuid: String, name: String) {
        self.uuid = uuid
        self.name = name
    }
}

/// A 403 `result` asking the participant to sign in: `{"idp":[{"uuid","name"}, …]}`. The
/// client resubmits `request_token` with `chosen_idp` set to one provider's uuid.
public struct SSOChallenge: Codable, Sendable, Equatable {
    public var idp: [IdentityProvider]

    public init(idp: [IdentityProvider]) { self.idp = idp }
}

/// A 403 `result` sending the participant to its provider:
/// `{"redirect_url", "redirect_idp":{"uuid","name"}, "idp_uuid"}`. Once signed in, the client
/// resubmits `request_token` with `chosen_idp` and the `sso_token` the provider gave.
/// (`redirect_idp` is what Pexip's Android and Swift SDKs read, `idp_uuid` what PexRTC reads.)
public struct SSORedirect: Codable, Sendable, Equatable {
    public var redirectURL: String
    public var redirectIDP: IdentityProvider
    public var idpUUID: String?

    public init(redirectURL: String, redirectIDP: IdentityProvider) {
        self.redirectURL = redirectURL
        self.redirectIDP = redirectIDP
        idpUUID = redirectIDP.uuid
    }

    enum CodingKeys: String, CodingKey {
        case redirectURL = "redirect_url", redirectIDP = "redirect_idp", idpUUID = "idp_uuid"
    }
}

/// The `result` of a successful `refresh_token`.
public struct RefreshTokenResult: Codable, Sendable, Equatable {
    public var token: String
    /// Seconds, as a JSON string.
    public var expires: String
    /// The participant's current role.
    public var role: TokenRole?

    public init(token: String, expires: String, role: TokenRole?) {
        self.token = token
        self.expires = expires
        self.role = role
    }
}
