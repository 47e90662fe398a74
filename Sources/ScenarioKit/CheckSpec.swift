import PexipWire

/// A named, parameterised check of a scenario. `docs/scenarios.md` lists
/// each with its parameters; `Check.evaluate` judges it.
public struct CheckSpec: Sendable, Equatable {
    public var kind: CheckKind
    /// Its line in the scenario file (0 when built in code).
    public var line: Int

    public init(_ kind: CheckKind, line: Int = 0) {
        self.kind = kind
        self.line = line
    }
}

/// The checks there are. Times are seconds; report types are the driver
/// protocol's (`joined`, `roster`, `disconnected`, …).
public enum CheckKind: Sendable, Equatable {
    /// Reported `joined` with the node's participant uuid and these fields (nil = any).
    case joined(role: String?, serviceType: String?, displayName: String?)
    /// Reported `pin_required` (with this `guest_pin`) after the node asked, before sending a PIN.
    case askedForPIN(guestPIN: String?)
    /// After a PIN prompt, a `request_token` carried this PIN in the `pin` header and got 200.
    case pinHeader(pin: String)
    /// Reported `extension_required` after the node asked for one.
    case askedForExtension
    /// A `request_token` carried `conference_extension` = this value in its body.
    case extensionSent(String)
    /// Every refresh came `fraction × expires` ± `tolerance` after the token it replaced,
    /// carried the newest token, never an expired one; at least `minimum` succeeded; the token never expired.
    case refreshCadence(fraction: Double, tolerance: Double, minimum: Int)
    /// After `leave`, exactly one `release_token` with the newest token, within `within` seconds.
    case released(within: Double)
    /// No request after the anchor (`disconnected`, `failed`, `left`: client reports; `disconnect_event`:
    /// the node's `disconnect` event) except those named, allowing `grace` seconds for requests in flight.
    case noRequestAfter(anchor: String, except: [String], grace: Double)
    /// After the node cut the stream, a new stream within `within` seconds, `reconnected` reported, and
    /// (if `resync`) a roster reported after it equal to the new stream's participant sync.
    case reconnected(within: Double, resync: Bool)
    /// The last reported roster holds exactly these display names (any order).
    case roster([String])
    /// Reported `failed` with this reason and exited non-zero.
    case failed(reason: String)
    /// Reported `disconnected` (with this reason, if given) and exited 0.
    case disconnected(reason: String?)
    /// Reported `left` and exited 0.
    case left
    /// Reported a chat `message` with this text (and origin, if given).
    case message(origin: String?, text: String)
    /// The chat messages reported have exactly these texts, in this order.
    case messages([String])
    /// The node got a chat `message` request with this text, answered 200.
    case sentMessage(text: String)
    /// The number of requests named `request` (with `status`, if given) is within `min`...`max`.
    case requests(String, status: Int?, min: Int?, max: Int?)
    /// The number of reports of `type` whose fields include `fields` is within `min`...`max`.
    case reported(String, fields: [String: JSONValue], min: Int?, max: Int?)

    /// The check keys of a scenario's `checks:` list.
    static let keys = ["joined", "asked_for_pin", "pin_header", "asked_for_extension", "extension_sent",
                       "refresh_cadence", "released", "no_request_after", "reconnected", "roster", "failed",
                       "disconnected", "left", "message", "messages", "sent_message", "requests", "reported", "not_reported"]
}
