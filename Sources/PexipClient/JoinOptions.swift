import Foundation
import PexipWire

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

/// Timing and retry policy of the session's background work. The defaults
/// are the reference client's: refresh every `expires/2`, retry a refresh on
/// transport errors and 502/503/504 while the token lives, reconnect the
/// event stream with growing, jittered delays. The other settings let a
/// program behave like another client (the conformance suite's own tests use
/// them to act as Pexip's SDKs do).
public struct SessionTiming: Sendable {
    /// Seconds a single API request may take.
    public var requestTimeout: Double = 10
    /// Seconds without a byte on the event stream (keep-alives included)
    /// after which it counts as lost. The node's default keep-alive is 10 s.
    public var streamIdleTimeout: Double = 30
    /// Consecutive failed stream (re)connections before giving up.
    public var maxStreamFailures = 5
    /// The first reconnect delay; each further failure adds `reconnectStep`, up to `maxReconnectDelay`.
    public var reconnectDelay: Double = 0.5
    /// What each further failure adds to the reconnect delay (0: a fixed delay).
    public var reconnectStep: Double = 0.5
    public var maxReconnectDelay: Double = 5
    /// Random spread of each reconnect delay, as a fraction (0.2: ±20%).
    public var reconnectJitter: Double = 0.2
    /// Refresh every `refreshFraction` × the token's lifetime.
    public var refreshFraction: Double = 0.5
    /// Refresh once at once after joining, then on schedule (as Pexip's Android SDK does).
    public var refreshAtJoin = false
    /// Refresh on a fixed timer (`refreshFraction` × the first token's lifetime) that ticks even
    /// while a refresh is on the wire, ignoring a late failure once the token has changed (as PexRTC does).
    public var refreshOnTimer = false
    /// HTTP statuses of `refresh_token` that are retried; any other but 200 and 403 ends the session.
    public var refreshRetryStatuses: Set<Int> = [502, 503, 504]
    /// Whether a refresh that got no answer (connection lost, timeout) is retried.
    public var refreshRetriesTransportErrors = true
    /// Retries of one refresh; the first comes after `refreshRetryDelay`, each next one twice as late,
    /// never later than half the token's remaining life.
    public var refreshRetries = 4
    public var refreshRetryDelay: Double = 0.25
    /// Whether a refresh answered 403 ends the session as `disconnected` (the token is gone);
    /// false ends it as a failure, as Pexip's three clients do.
    public var refreshForbiddenIsDisconnect = true
    /// Whether an event stream answered 401 or 403 ends the session at once; false treats it as
    /// any other stream error and reconnects (a browser's EventSource cannot tell, so PexRTC
    /// retries; Android retries too).
    public var streamForbiddenIsFinal = true
    /// Whether the event stream waits for a refresh on the wire before it (re)connects, so that it
    /// carries the newest token; false opens it at once, as Android's separate flows do.
    public var streamWaitsForRefresh = true

    public init() {}
}

/// What the node asked for single sign-on (a 403 to `request_token`).
public enum SSOPrompt: Sendable, Equatable {
    /// Choose one of these identity providers: answer its uuid.
    case chooseProvider([IdentityProvider])
    /// Sign in at `url` (the provider's login page, for a browser): answer the `sso_token` it gave.
    case signIn(url: String, provider: IdentityProvider)
}

/// Everything `PexipSession.join` needs besides the node and alias.
public struct JoinOptions: Sendable {
    public var displayName: String
    /// A PIN to send up front (empty means "none": a guest without a PIN).
    public var pin: String?
    /// A Virtual Reception extension to send up front.
    public var conferenceExtension: String?
    /// The one-time token of a `refer` (`SessionEvent.referred`): it admits without a PIN.
    public var oneTimeToken: String?
    /// Called when the node asks for a PIN; return nil to give up.
    public var pinPrompt: (@Sendable (PinPrompt) async -> String?)?
    /// Called when the node asks for a conference extension; return nil to give up.
    public var extensionPrompt: (@Sendable () async -> String?)?
    /// Called when the node asks for single sign-on (twice in the usual flow: choose a provider,
    /// then sign in there); return nil to give up.
    public var ssoPrompt: (@Sendable (SSOPrompt) async -> String?)?
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
