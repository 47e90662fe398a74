import Foundation
import MicroHTTP
import PexipWire

/// A participant the node knows: a value in `NodeState.participants`, keyed by its uuid,
/// changed only under the node's state lock.
struct ParticipantState {
    let uuid: String
    var displayName: String { didSet { cachedJSON = nil } }
    var role: TokenRole { didSet { cachedJSON = nil } }
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
    var serviceType: ServiceType { didSet { cachedJSON = nil } }
    var isMuted = false { didSet { cachedJSON = nil } }
    var isClientMuted = false { didSet { cachedJSON = nil } }
    var isVideoMuted = false { didSet { cachedJSON = nil } }
    var spotlight: Double = 0 { didSet { cachedJSON = nil } }
    var buzzTime: Double = 0 { didSet { cachedJSON = nil } }
    /// Set by `overlaytext`; nil shows the display name.
    var overlayText: String? { didSet { cachedJSON = nil } }
    var showLiveCaptions = false { didSet { cachedJSON = nil } }
    /// Joined after signing in at an identity provider.
    var idpAuthenticated = false { didSet { cachedJSON = nil } }
    /// Holds the presentation floor (`take_floor`).
    var presenting = false { didSet { cachedJSON = nil } }
    var currentToken: String?
    /// Node-clock time of the last issue or refresh.
    var tokenIssuedAt: Double = 0
    /// Where its expiry timer is kept: a handle that only the outbox touches
    /// (`NodeEffect.armExpiry`), like the streams in `NodeState.streams`.
    let expiry = ExpirySlot()
    var refreshCount = 0
    /// Its open streams (keys of `NodeState.streams`), oldest first.
    var streamIDs: [Int] = []
    /// In a breakout room, a client's identity there: the uuid of its participant in the main
    /// conference, whose streams carry the room's events (wrapped in `breakout_event`).
    var proxyFor: String?
    /// `wireObject` as JSON, shared by every event that carries it until a field changes.
    private var cachedJSON: String?

    /// Takes a newly issued token; returns the slot of the expiry timer to (re)arm.
    mutating func issued(_ token: String, at now: Double, refresh: Bool) -> ExpirySlot {
        currentToken = token
        tokenIssuedAt = now
        if refresh { refreshCount += 1 }
        return expiry
    }

    /// The participant object as JSON text (encoded once per change).
    mutating func wireJSON() -> String {
        if let cachedJSON { return cachedJSON }
        let text = WireJSON.text(wireObject)
        cachedJSON = text
        return text
    }

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
        if let overlayText { p.overlayText = overlayText }
        p.showLiveCaptions = showLiveCaptions
        p.isIDPAuthenticated = idpAuthenticated
        p.isPresenting = YesNo(presenting)
        if simulated {
            p.uri = "sip:\(displayName.lowercased().replacingOccurrences(of: " ", with: "."))@example.com"
            p.hasMedia = true
            p.isVideoCall = .yes
        }
        return p
    }
}

/// One open event stream: a value in `NodeState.streams`, keyed by the `EventStream`'s id.
struct StreamSlot {
    let stream: EventStream
    /// Whose stream it is.
    let participant: String
    /// Node-wide stream number, the first half of event ids.
    let number: Int
    var seq = 0
    /// Being ended by the node: nothing more is written.
    var closing = false
}

/// A conference's runtime state: a value in `NodeState.conferences`, keyed by its
/// lowercased alias.
struct ConferenceState {
    var config: ConferenceConfig
    /// Participant uuids in the order they joined.
    var order: [String] = []
    /// Set for a breakout room of another conference.
    var breakout: BreakoutInfo?
    var status: ConferenceStatus
    var layout: LayoutState

    init(config: ConferenceConfig) {
        self.config = config
        self.status = ConferenceState.initialStatus(config)
        self.layout = LayoutState(config)
    }

    static func initialStatus(_ config: ConferenceConfig) -> ConferenceStatus {
        ConferenceStatus(locked: config.locked, started: false, directMedia: config.directMedia)
    }

    /// A conference's own alias; a breakout room's `<parent key>/breakouts/<uuid>` (no alias has a '/').
    var key: String { breakout.map { "\($0.parentKey)/breakouts/\($0.uuid)" } ?? config.alias.lowercased() }
}

/// What makes a conference a breakout room.
struct BreakoutInfo {
    let uuid: String
    var name: String
    let parentKey: String
    var guestsAllowedToLeave: Bool
}

/// The conference's layout: what `transform_layout` changes and `layout` events carry.
struct LayoutState: Equatable {
    var view: String
    var hostLayout: String
    var guestLayout: String
    var overlayText = true

    init(_ config: ConferenceConfig) {
        view = config.layout
        hostLayout = config.layout
        guestLayout = config.layout
    }

    /// The `layout` event's data (the shape of Pexip's Android SDK fixture `layout.json`).
    var eventJSON: String {
        let o: JSONValue = ["view": .string(view), "participants": [], "overlay_text_enabled": .bool(overlayText),
                            "pres_slot_coords": .null,
                            "requested_layout": ["primary_screen": ["chair_layout": .string(hostLayout),
                                                                    "guest_layout": .string(guestLayout)]]]
        return o.jsonText
    }
}

/// Whether an issued token still works. A token also stops working when
/// its participant is gone (released, ejected, expired) or it expires.
enum TokenState: Equatable {
    case active
    /// Replaced by a refresh in strict mode.
    case revoked
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
    /// A transfer's: the participant who leaves its old conference when the token is used.
    var movedFrom: String? = nil
}

/// A sign-in at an identity provider: its `sso_token` is good once, for one conference and provider.
struct SSOGrant {
    let conferenceKey: String
    let idp: String
    let expiresAt: Double
}

/// A fault rule and how many more requests it applies to.
struct FaultSlot {
    let rule: FaultRule
    var remaining: Int  // -1 = unlimited
}

/// Cryptographically random bytes from the kernel, drawn 4 KiB at a time
/// (`SystemRandomNumberGenerator` makes a system call per 8 bytes, which
/// showed as the node's most frequent system call).
final class RandomPool: @unchecked Sendable {
    static let shared = RandomPool()

    private let lock = NSLock()
    private var buffer: [UInt8] = []
    private var offset = 0
    private let source = FileHandle(forReadingAtPath: "/dev/urandom")

    func bytes(_ count: Int) -> [UInt8] {
        lock.withLock {
            if buffer.count - offset < count {
                buffer = refill()
                offset = 0
            }
            defer { offset += count }
            return Array(buffer[offset..<offset + count])
        }
    }

    private func refill() -> [UInt8] {
        if let source, let data = try? source.read(upToCount: 4096), data.count == 4096 {
            return Array(data)
        }
        var rng = SystemRandomNumberGenerator()
        return (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}

/// Generates tokens: 256 random bits, URL-safe base64 without padding.
enum TokenGenerator {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func make() -> String { base64URL(RandomPool.shared.bytes(32)) }

    /// A random (version 4) UUID in lower case.
    static func uuid() -> String {
        var bytes = RandomPool.shared.bytes(16)
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let standardAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding.
    static func base64(_ bytes: [UInt8]) -> String { String(decoding: base64Bytes(bytes), as: UTF8.self) }

    static func base64Bytes(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let rest = bytes.count - i
            let n = UInt32(bytes[i]) << 16 | (rest > 1 ? UInt32(bytes[i + 1]) << 8 : 0) | (rest > 2 ? UInt32(bytes[i + 2]) : 0)
            out.append(standardAlphabet[Int(n >> 18 & 63)])
            out.append(standardAlphabet[Int(n >> 12 & 63)])
            out.append(rest > 1 ? standardAlphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(rest > 2 ? standardAlphabet[Int(n & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return out
    }

    /// An event id: base64 of "<stream>_<seq>" (§10), as bytes.
    static func eventID(stream: Int, seq: Int) -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(24)
        appendDigits(stream, to: &text)
        text.append(UInt8(ascii: "_"))
        appendDigits(seq, to: &text)
        return base64Bytes(text)
    }

    /// Appends the decimal digits of `n` (≥ 0) without making a String.
    private static func appendDigits(_ n: Int, to out: inout [UInt8]) {
        let n = max(0, n)
        var width = 1, scale = 1
        while scale <= n / 10 { scale *= 10; width += 1 }
        var rest = n
        for _ in 0..<width {
            out.append(UInt8(ascii: "0") + UInt8(rest / scale))
            rest %= scale
            scale /= 10
        }
    }

    /// URL-safe base64 (RFC 4648 §5) without padding.
    static func base64URL(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int(n >> UInt32(shift) & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            if rest == 2 { out.append(alphabet[Int(n >> 6 & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
