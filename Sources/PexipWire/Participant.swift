/// A participant object, as in `participant_create`/`participant_update`
/// events and `GET participants`. Every key Pexip's Swift SDK requires is
/// non-optional here, with the wire's types (`"YES"`/`"NO"` strings, numeric
/// timestamps, `chair`/`guest`).
public struct Participant: Codable, Sendable, Equatable {
    public var uuid: String
    public var apiURL: String?
    public var displayName: String
    public var overlayText: String?
    public var uri: String?
    public var localAlias: String
    public var role: ParticipantRole
    public var serviceType: ServiceType
    public var `protocol`: String?
    public var callDirection: String
    public var callTag: String?
    public var vendor: String?
    public var startTime: Double?
    /// 0 when not spotlighted, else the epoch seconds it began.
    public var spotlight: Double
    /// 0 when the hand is down, else the epoch seconds it went up.
    public var buzzTime: Double
    public var isMuted: YesNo
    public var isPresenting: YesNo
    public var isVideoCall: YesNo
    public var isAudioOnlyCall: YesNo
    public var presentationSupported: YesNo?
    public var feccSupported: YesNo
    public var transferSupported: YesNo
    public var disconnectSupported: YesNo
    public var muteSupported: YesNo
    public var encryption: String?
    public var rxPresentationPolicy: String
    public var hasMedia: Bool
    public var isExternal: Bool
    public var isStreamingConference: Bool
    public var isVideoMuted: Bool
    public var isVideoSilent: Bool?
    public var isMainVideoDroppedOut: Bool?
    public var needsPresentationInMix: Bool?
    public var showLiveCaptions: Bool?
    public var isIDPAuthenticated: Bool?
    public var isClientMuted: Bool?
    public var externalNodeUUID: String?

    /// A participant with the defaults of an API-only participant (no media).
    public init(uuid: String, displayName: String, localAlias: String, role: ParticipantRole,
                serviceType: ServiceType = .conference, protocol: String = "api", callTag: String = "",
                vendor: String = "", startTime: Double = 0) {
        self.uuid = uuid
        self.apiURL = "/participants/\(uuid)"
        self.displayName = displayName
        self.overlayText = displayName
        self.uri = ""
        self.localAlias = localAlias
        self.role = role
        self.serviceType = serviceType
        self.protocol = `protocol`
        self.callDirection = "in"
        self.callTag = callTag
        self.vendor = vendor
        self.startTime = startTime
        self.spotlight = 0
        self.buzzTime = 0
        self.isMuted = .no
        self.isPresenting = .no
        self.isVideoCall = .no
        self.isAudioOnlyCall = .no
        self.presentationSupported = .no
        self.feccSupported = .no
        self.transferSupported = .yes
        self.disconnectSupported = .yes
        self.muteSupported = .yes
        self.encryption = "On"
        self.rxPresentationPolicy = "ALLOW"
        self.hasMedia = false
        self.isExternal = false
        self.isStreamingConference = false
        self.isVideoMuted = false
        self.isVideoSilent = false
        self.isMainVideoDroppedOut = false
        self.needsPresentationInMix = false
        self.showLiveCaptions = false
        self.isIDPAuthenticated = false
        self.isClientMuted = false
        self.externalNodeUUID = ""
    }

    enum CodingKeys: String, CodingKey {
        case uuid, uri, role, vendor, spotlight, encryption, `protocol`
        case apiURL = "api_url", displayName = "display_name", overlayText = "overlay_text"
        case localAlias = "local_alias", serviceType = "service_type", callDirection = "call_direction"
        case callTag = "call_tag", startTime = "start_time", buzzTime = "buzz_time"
        case isMuted = "is_muted", isPresenting = "is_presenting", isVideoCall = "is_video_call"
        case isAudioOnlyCall = "is_audio_only_call", presentationSupported = "presentation_supported"
        case feccSupported = "fecc_supported", transferSupported = "transfer_supported"
        case disconnectSupported = "disconnect_supported", muteSupported = "mute_supported"
        case rxPresentationPolicy = "rx_presentation_policy", hasMedia = "has_media", isExternal = "is_external"
        case isStreamingConference = "is_streaming_conference", isVideoMuted = "is_video_muted"
        case isVideoSilent = "is_video_silent", isMainVideoDroppedOut = "is_main_video_dropped_out"
        case needsPresentationInMix = "needs_presentation_in_mix", showLiveCaptions = "show_live_captions"
        case isIDPAuthenticated = "is_idp_authenticated", isClientMuted = "is_client_muted"
        case externalNodeUUID = "external_node_uuid"
    }
}
