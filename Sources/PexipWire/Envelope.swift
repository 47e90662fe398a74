/// The client API's response envelope: `{"status": "success", "result": …}`.
/// Error answers use the same envelope; the HTTP status carries the error.
public struct Envelope<Result: Codable & Sendable>: Codable, Sendable {
    public var status: String
    public var result: Result

    public init(status: String = "success", result: Result) {
        self.status = status
        self.result = result
    }
}

/// The fixed result strings of error answers, as the real node words them.
public enum WireMessage {
    public static let invalidToken = "Invalid token"
    public static let invalidPIN = "Invalid PIN"
    /// MockMCU's answer to an `sso_token` it did not issue, or used already (the real text is unknown).
    public static let ssoFailed = "SSO authentication failed"
    /// MockMCU's answer to `breakouts/<uuid>/…` for a room that is not there.
    public static let breakoutNotFound = "Breakout room not found"
    /// MockMCU's answer to a `chosen_idp` the conference does not offer.
    public static let unknownIDP = "Unknown identity provider"
    public static let conferenceNotFound = "Neither conference nor gateway found"
    public static let unknownRequest = "Unknown request"
    public static let permissionDenied = "Permission denied"
    public static let disconnectedByRemoteHost = "Disconnected by remote host"
    public static let tokenExpired = "Token expired"
}
