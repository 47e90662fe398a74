/// A role as a token response names it: `HOST` or `GUEST`.
public enum TokenRole: String, Codable, Sendable, CaseIterable {
    case host = "HOST"
    case guest = "GUEST"

    /// The same role as participant objects name it.
    public var participantRole: ParticipantRole { self == .host ? .chair : .guest }
}

/// A role as participant objects name it: `chair` or `guest`.
public enum ParticipantRole: String, Codable, Sendable, CaseIterable {
    case chair
    case guest

    /// The same role as token responses name it.
    public var tokenRole: TokenRole { self == .chair ? .host : .guest }
}

/// `"YES"` / `"NO"`, the strings participant objects use for many flags.
public enum YesNo: String, Codable, Sendable {
    case yes = "YES"
    case no = "NO"

    public init(_ flag: Bool) { self = flag ? .yes : .no }
    public var isYes: Bool { self == .yes }
}

/// A service type (`conference`, `lecture`, `gateway`, `test_call`, `ivr`,
/// `waiting_room`, `connecting`). Unknown values decode rather than fail.
public struct ServiceType: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(from decoder: Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
    public var description: String { rawValue }

    public static let conference = ServiceType(rawValue: "conference")
    public static let lecture = ServiceType(rawValue: "lecture")
    public static let gateway = ServiceType(rawValue: "gateway")
    public static let testCall = ServiceType(rawValue: "test_call")
    public static let ivr = ServiceType(rawValue: "ivr")
    public static let waitingRoom = ServiceType(rawValue: "waiting_room")
    public static let connecting = ServiceType(rawValue: "connecting")
    /// The seven values the sources list.
    public static let known: [ServiceType] = [.conference, .lecture, .gateway, .testCall, .ivr, .waitingRoom, .connecting]
}
