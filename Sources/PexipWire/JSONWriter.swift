/// A small, fast JSON writer for the wire types the node sends on every
/// request. `WireJSON.bytes` uses it for `WireEncodable` values and falls
/// back to `JSONEncoder` for everything else; tests check that both give the
/// same JSON for every such type.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var first = true

    public init() { bytes.reserveCapacity(512) }

    /// Writes `{ … }`, with `body` adding the fields.
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        comma()
        bytes.append(UInt8(ascii: "{"))
        first = true
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        first = false
    }

    /// Writes `[ … ]`, one element per item.
    public mutating func array<S: Sequence>(_ items: S, _ element: (inout JSONWriter, S.Element) -> Void) {
        comma()
        bytes.append(UInt8(ascii: "["))
        first = true
        for item in items { element(&self, item) }
        bytes.append(UInt8(ascii: "]"))
        first = false
    }

    /// Starts a field; the value written next belongs to it.
    public mutating func key(_ name: String) {
        comma()
        writeString(name)
        bytes.append(UInt8(ascii: ":"))
        first = true
    }

    public mutating func string(_ s: String) { comma(); writeString(s) }
    public mutating func bool(_ b: Bool) { comma(); bytes.append(contentsOf: b ? trueBytes : falseBytes) }
    public mutating func null() { comma(); bytes.append(contentsOf: nullBytes) }
    public mutating func int(_ i: Int) { comma(); bytes.append(contentsOf: String(i).utf8) }

    public mutating func number(_ d: Double) {
        comma()
        if d.rounded() == d, abs(d) < 1e15 {
            bytes.append(contentsOf: String(Int64(d)).utf8)
        } else {
            bytes.append(contentsOf: "\(d)".utf8)
        }
    }

    /// Writes an already-encoded JSON value.
    public mutating func raw(_ json: [UInt8]) { comma(); bytes.append(contentsOf: json) }

    public mutating func value<T: WireEncodable>(_ v: T) { v.write(to: &self) }

    // Field helpers: key plus value; optionals are left out when nil, as JSONEncoder does.
    public mutating func field(_ k: String, _ v: String) { key(k); string(v) }
    public mutating func field(_ k: String, _ v: Bool) { key(k); bool(v) }
    public mutating func field(_ k: String, _ v: Int) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: Double) { key(k); number(v) }
    public mutating func field<T: WireEncodable>(_ k: String, _ v: T) { key(k); v.write(to: &self) }
    public mutating func field(_ k: String, _ v: String?) { if let v { field(k, v) } }
    public mutating func field(_ k: String, _ v: Bool?) { if let v { field(k, v) } }
    public mutating func field(_ k: String, _ v: Int?) { if let v { field(k, v) } }
    public mutating func field(_ k: String, _ v: Double?) { if let v { field(k, v) } }
    public mutating func field<T: WireEncodable>(_ k: String, _ v: T?) { if let v { field(k, v) } }

    private mutating func comma() {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
    }

    private mutating func writeString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        // The common case, nothing to escape, over the contiguous UTF-8 (a few instructions a byte).
        let clean: Bool? = s.utf8.withContiguousStorageIfAvailable { utf8 in
            for b in utf8 where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if clean == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hex[Int(b >> 4)])
                bytes.append(hex[Int(b & 15)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private let trueBytes = Array("true".utf8)
    private let falseBytes = Array("false".utf8)
    private let nullBytes = Array("null".utf8)
}

/// A wire type that writes its own JSON (fast path of `WireJSON.bytes`).
public protocol WireEncodable: Encodable {
    func write(to w: inout JSONWriter)
}

extension String: WireEncodable {
    public func write(to w: inout JSONWriter) { w.string(self) }
}

extension Bool: WireEncodable {
    public func write(to w: inout JSONWriter) { w.bool(self) }
}

extension Array: WireEncodable where Element: WireEncodable {
    public func write(to w: inout JSONWriter) { w.array(self) { w, e in e.write(to: &w) } }
}

extension Envelope: WireEncodable where Result: WireEncodable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("result", result)
            o.field("status", status)
        }
    }
}

extension TokenRole: WireEncodable { public func write(to w: inout JSONWriter) { w.string(rawValue) } }
extension ParticipantRole: WireEncodable { public func write(to w: inout JSONWriter) { w.string(rawValue) } }
extension YesNo: WireEncodable { public func write(to w: inout JSONWriter) { w.string(rawValue) } }
extension ServiceType: WireEncodable { public func write(to w: inout JSONWriter) { w.string(rawValue) } }

extension ServerVersion: WireEncodable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("pseudo_version", pseudoVersion)
            o.field("version_id", versionID)
        }
    }
}

extension STUNServer: WireEncodable {
    public func write(to w: inout JSONWriter) { w.object { $0.field("url", url) } }
}

extension TURNServer: WireEncodable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("credential", credential)
            o.key("urls"); o.value(urls)
            o.field("username", username)
        }
    }
}

extension RequestTokenResult: WireEncodable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("allow_1080p", allow1080p)
            o.field("analytics_enabled", analyticsEnabled)
            o.field("breakout_rooms", breakoutRooms)
            o.field("call_tag", callTag)
            o.field("call_type", callType)
            o.field("chat_enabled", chatEnabled)
            o.field("client_stats_update_interval", clientStatsUpdateInterval)
            o.field("conference_name", conferenceName)
            o.field("current_service_type", currentServiceType)
            o.field("direct_media", directMedia)
            o.field("display_name", displayName)
            o.field("expires", expires)
            o.field("fecc_enabled", feccEnabled)
            o.field("guests_can_present", guestsCanPresent)
            o.field("idp_uuid", idpUUID)
            o.field("live_captions_available", liveCaptionsAvailable)
            o.field("participant_uuid", participantUUID)
            o.field("pex_datachannel_id", pexDatachannelID)
            o.field("role", role)
            o.field("route_via_registrar", routeViaRegistrar)
            o.field("service_name", serviceName)
            o.field("service_type", serviceType)
            o.field("stun", stun)
            o.field("token", token)
            o.field("trickle_ice_enabled", trickleICEEnabled)
            o.field("turn", turn)
            o.field("use_relay_candidates_only", useRelayCandidatesOnly)
            o.field("version", version)
            o.field("vp9_enabled", vp9Enabled)
        }
    }
}

extension RefreshTokenResult: WireEncodable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("expires", expires)
            o.field("role", role)
            o.field("token", token)
        }
    }
}

extension PinChallenge: WireEncodable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("guest_pin", guestPIN)
            o.field("pin", pin)
        }
    }
}

extension ExtensionChallenge: WireEncodable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("conference_extension", conferenceExtension)
            o.field("conference_extension_type", conferenceExtensionType)
        }
    }
}

extension IdentityProvider: WireEncodable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("name", name)
            o.field("uuid", uuid)
        }
    }
}

extension SSOChallenge: WireEncodable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            o.key("idp")
            o.array(idp) { w, p in p.write(to: &w) }
        }
    }
}

extension SSORedirect: WireEncodable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("idp_uuid", idpUUID)
            o.field("redirect_idp", redirectIDP)
            o.field("redirect_url", redirectURL)
        }
    }
}

extension Participant: WireEncodable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("api_url", apiURL)
            o.field("buzz_time", buzzTime)
            o.field("call_direction", callDirection)
            o.field("call_tag", callTag)
            o.field("disconnect_supported", disconnectSupported)
            o.field("display_name", displayName)
            o.field("encryption", encryption)
            o.field("external_node_uuid", externalNodeUUID)
            o.field("fecc_supported", feccSupported)
            o.field("has_media", hasMedia)
            o.field("is_audio_only_call", isAudioOnlyCall)
            o.field("is_client_muted", isClientMuted)
            o.field("is_external", isExternal)
            o.field("is_idp_authenticated", isIDPAuthenticated)
            o.field("is_main_video_dropped_out", isMainVideoDroppedOut)
            o.field("is_muted", isMuted)
            o.field("is_presenting", isPresenting)
            o.field("is_streaming_conference", isStreamingConference)
            o.field("is_video_call", isVideoCall)
            o.field("is_video_muted", isVideoMuted)
            o.field("is_video_silent", isVideoSilent)
            o.field("local_alias", localAlias)
            o.field("mute_supported", muteSupported)
            o.field("needs_presentation_in_mix", needsPresentationInMix)
            o.field("overlay_text", overlayText)
            o.field("presentation_supported", presentationSupported)
            o.field("protocol", `protocol`)
            o.field("role", role)
            o.field("rx_presentation_policy", rxPresentationPolicy)
            o.field("service_type", serviceType)
            o.field("show_live_captions", showLiveCaptions)
            o.field("spotlight", spotlight)
            o.field("start_time", startTime)
            o.field("transfer_supported", transferSupported)
            o.field("uri", uri)
            o.field("uuid", uuid)
            o.field("vendor", vendor)
        }
    }
}

extension ConferenceStatus: WireEncodable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("all_muted", allMuted)
            o.field("breakout_rooms", breakoutRooms)
            if let classification {
                o.key("classification")
                o.object { c in
                    c.key("current")
                    if let current = classification.current { c.string(current) } else { c.null() }
                    c.key("levels")
                    c.object { l in for (k, v) in classification.levels.sorted(by: { $0.key < $1.key }) { l.field(k, v) } }
                }
            }
            o.field("direct_media", directMedia)
            o.field("guests_can_unmute", guestsCanUnmute)
            o.field("guests_muted", guestsMuted)
            o.field("live_captions_available", liveCaptionsAvailable)
            o.field("locked", locked)
            o.field("presentation_allowed", presentationAllowed)
            o.field("started", started)
        }
    }
}

extension StageEntry: WireEncodable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("participant_uuid", participantUUID)
            o.field("stage_index", stageIndex)
            o.field("vad", vad)
        }
    }
}

extension ParticipantDeleted: WireEncodable {
    public func write(to w: inout JSONWriter) { w.object { $0.field("uuid", uuid) } }
}

extension ChatMessage: WireEncodable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("direct", direct)
            o.field("origin", origin)
            o.field("payload", payload)
            o.field("type", type)
            o.field("uuid", uuid)
        }
    }
}

extension DisconnectReason: WireEncodable {
    public func write(to w: inout JSONWriter) { w.object { $0.field("reason", reason) } }
}

extension Refer: WireEncodable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("alias", alias)
            o.field("token", token)
        }
    }
}
