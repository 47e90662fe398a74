import PexipWire

/// Why joining or staying in a conference failed. Each case says what the
/// app should tell its user.
public enum PexipClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No conference (or Virtual Reception target) by that alias.
    case notFound(String)
    /// The PIN was wrong.
    case invalidPIN
    /// A PIN is needed and none was given (no prompt handler, or it gave up).
    case pinRequired(guestPINRequired: Bool)
    /// A Virtual Reception extension is needed and none was given.
    case extensionRequired
    /// Single sign-on is needed and it was not done (no prompt handler, or it gave up).
    case ssoRequired
    /// The node refused for another reason (its words).
    case forbidden(String)
    /// The node could not be reached, or stopped answering.
    case unreachable(String)
    /// A reverse proxy in front of the node wants (other) HTTP credentials.
    case proxyAuthenticationRequired
    /// The node answered something this client does not understand.
    case protocolError(String)
    /// The session ended on the node's side (ejection, expiry, invalid token).
    case disconnected(String)
    /// The session was left or cancelled on this side.
    case cancelled

    public var description: String {
        switch self {
        case .notFound(let what): return "not found: \(what)"
        case .invalidPIN: return "invalid PIN"
        case .pinRequired(let guest): return guest ? "a PIN is required" : "a host PIN is required (guests may join without one)"
        case .extensionRequired: return "a conference extension is required"
        case .ssoRequired: return "single sign-on is required"
        case .forbidden(let why): return "forbidden: \(why)"
        case .unreachable(let why): return "node unreachable: \(why)"
        case .proxyAuthenticationRequired: return "the proxy in front of the node needs (other) credentials"
        case .protocolError(let why): return "protocol error: \(why)"
        case .disconnected(let reason): return "disconnected: \(reason)"
        case .cancelled: return "cancelled"
        }
    }
}
