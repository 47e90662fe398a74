import Foundation

/// Asked of the app when the node wants a PIN.
public struct PinPrompt: Sendable, Equatable {
    /// False when guests may join without a PIN (answer an empty string or "none").
    public let guestPINRequired: Bool
}

/// HTTP Basic credentials for a reverse proxy in front of the node.
public struct BasicCredentials: Sendable, Equatable {
    public var username: String
    public var password: String
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    var headerValue: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }
}

/// Timing of the session's background work. The defaults follow Pexip's
/// own clients (see shared/design/pexip-client-api.md §8).
public struct SessionTiming: Sendable {
    /// Seconds a single API request may take.
    public var requestTimeout: Double = 10
    /// Seconds without a byte on the event stream (keep-alives included)
    /// after which it counts as lost. The node's default keep-alive is 10 s.
    public var streamIdleTimeout: Double = 30
    /// Consecutive failed stream (re)connections before giving up.
    public var maxStreamFailures = 5
    /// First reconnect delay; it grows by this much per failure, up to `maxReconnectDelay`, with ±20% jitter.
    public var reconnectDelay: Double = 0.5
    public var maxReconnectDelay: Double = 5
    /// Retries of one refresh on transport errors and 502/503/504.
    public var refreshRetries = 4

    public init() {}
}

/// Everything `PexipSession.join` needs besides the node and alias.
public struct JoinOptions: Sendable {
    public var displayName: String
    /// A PIN to send up front (empty means "none": a guest without a PIN).
    public var pin: String?
    /// A Virtual Reception extension to send up front.
    public var conferenceExtension: String?
    /// Called when the node asks for a PIN; return nil to give up.
    public var pinPrompt: (@Sendable (PinPrompt) async -> String?)?
    /// Called when the node asks for a conference extension; return nil to give up.
    public var extensionPrompt: (@Sendable () async -> String?)?
    public var credentials: BasicCredentials?
    public var timing = SessionTiming()
    /// The HTTP stack; nil uses `URLSessionTransport`.
    public var transport: (any PexipTransport)?

    public init(displayName: String, pin: String? = nil, conferenceExtension: String? = nil) {
        self.displayName = displayName
        self.pin = pin
        self.conferenceExtension = conferenceExtension
    }
}
