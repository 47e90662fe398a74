import Foundation
import MicroHTTP
import PexipWire

/// A participant the node knows. Guarded by the node's state lock.
final class ParticipantState: @unchecked Sendable {
    let uuid: String
    var displayName: String
    var role: TokenRole
    /// Key (lowercased alias) of the conference the participant is in.
    let conferenceKey: String
    /// Key of the Virtual Reception it came through, if any.
    let receptionKey: String?
    /// The alias as dialled, for `local_alias`.
    let dialledAlias: String
    /// Present on the node's say-so, without a client behind it.
    let simulated: Bool
    let callTag: String
    let vendor: String
    let startTime: Double
    var serviceType: ServiceType
    var isMuted = false
    var isClientMuted = false
    var isVideoMuted = false
    var spotlight: Double = 0
    var buzzTime: Double = 0
    var currentToken: String?
    /// Node-clock time of the last issue or refresh.
    var tokenIssuedAt: Double = 0
    var expiryTimer: ClockTimer?
    var refreshCount = 0
    var streams: [Int: StreamSlot] = [:]

    init(uuid: String, displayName: String, role: TokenRole, conferenceKey: String, receptionKey: String?,
         dialledAlias: String, simulated: Bool, callTag: String, vendor: String, serviceType: ServiceType) {
        self.uuid = uuid
        self.displayName = displayName
        self.role = role
        self.conferenceKey = conferenceKey
        self.receptionKey = receptionKey
        self.dialledAlias = dialledAlias
        self.simulated = simulated
        self.callTag = callTag
        self.vendor = vendor
        self.startTime = Date().timeIntervalSince1970
        self.serviceType = serviceType
    }

    /// The participant object as events and `GET participants` carry it.
    var wireObject: Participant {
        var p = Participant(uuid: uuid, displayName: displayName, localAlias: dialledAlias,
                            role: role.participantRole, serviceType: serviceType,
                            protocol: simulated ? "sip" : "api", callTag: callTag, vendor: vendor,
                            startTime: startTime)
        p.isMuted = YesNo(isMuted)
        p.isClientMuted = isClientMuted
        p.isVideoMuted = isVideoMuted
        p.spotlight = spotlight
        p.buzzTime = buzzTime
        if simulated {
            p.uri = "sip:\(displayName.lowercased().replacingOccurrences(of: " ", with: "."))@example.com"
            p.hasMedia = true
            p.isVideoCall = .yes
        }
        return p
    }
}

/// One open event stream of a participant.
struct StreamSlot {
    let stream: EventStream
    /// Node-wide stream number, the first half of event ids.
    let number: Int
    var seq = 0
}

/// A conference's runtime state. Guarded by the node's state lock.
final class ConferenceState: @unchecked Sendable {
    var config: ConferenceConfig
    /// Participant uuids in the order they joined.
    var order: [String] = []
    var status: ConferenceStatus

    init(config: ConferenceConfig) {
        self.config = config
        self.status = ConferenceState.initialStatus(config)
    }

    static func initialStatus(_ config: ConferenceConfig) -> ConferenceStatus {
        ConferenceStatus(locked: config.locked, started: false, directMedia: config.directMedia)
    }

    var key: String { config.alias.lowercased() }
}

/// What became of an issued token.
enum TokenState: Equatable {
    case active
    /// Replaced by a refresh in strict mode.
    case revoked
    case released
    /// The node removed the participant (ejection, expiry, disconnect).
    case ejected
}

struct TokenRecord {
    let participantUUID: String
    let expiresAt: Double
    var state: TokenState
}

/// A one-time token handed out in a `refer` event.
struct OneTimeToken {
    let conferenceKey: String
    let role: TokenRole
    let expiresAt: Double
}

/// A fault rule and how many more requests it applies to.
struct FaultSlot {
    let rule: FaultRule
    var remaining: Int  // -1 = unlimited
}

/// Generates tokens: 384 random bits, URL-safe base64 without padding.
enum TokenGenerator {
    static func make() -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 48)
        for i in bytes.indices { bytes[i] = rng.next() }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
