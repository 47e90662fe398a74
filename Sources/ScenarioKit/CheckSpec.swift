import PexipWire

/// A named, parameterised check of a scenario. `docs/scenarios.md` lists
/// each with its parameters; `Check.evaluate` judges it.
public struct CheckSpec: Sendable, Equatable {
    public var kind: CheckKind
    /// Its line in the scenario file (0 when built in code).
    public var line: Int
    /// The level the scenario gave it (nil: the kind's default).
    public var levelOverride: CheckLevel?

    public init(_ kind: CheckKind, line: Int = 0, level: CheckLevel? = nil) {
        self.kind = kind
        self.line = line
        levelOverride = level
    }

    /// The level it is judged at.
    public var level: CheckLevel { levelOverride ?? kind.defaultLevel }
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
    /// Reported `sso_required` after each single sign-on 403: with the providers the node
    /// listed, and with the redirect's URL and provider.
    case askedForSSO
    /// Signed in: a `request_token` with `chosen_idp` = the provider (uuid or name; nil = any),
    /// then one with that `chosen_idp` and the `sso_token` of a sign-in there, answered 200.
    case signedIn(idp: String?)
    /// The node never expired the client's token while it stayed, no refresh storm
    /// (more than `maxPerLifetime` attempts within one token lifetime), at least `minimum` refreshes answered 200.
    case tokenKeptAlive(minimum: Int, maxPerLifetime: Int)
    /// Refreshes on schedule: each token's first refresh came `early`…`late` × expires after the previous
    /// token's (the join token's: at once or up to `late` × expires after it was issued), ± `tolerance` s,
    /// with the newest token; none missed while the client stayed.
    case refreshCadence(early: Double, late: Double, tolerance: Double)
    /// After the node failed a refresh (a fault), the client either refreshed again in time and carried
    /// on, or ended cleanly (reported disconnected or failed, no request but a release afterwards)
    /// before its token expired.
    case refreshFailureHandled
    /// At most `maxPerSecond` event stream requests within any one second (no hot reconnect loop).
    case reconnectPacing(maxPerSecond: Int)
    /// After the node cut the stream, the delays between failed reconnect attempts grow.
    case reconnectBackoff
    /// After `leave`, one `release_token` with a token of the participant that the node accepted (200),
    /// within `within` seconds, and `left` reported after its answer.
    /// With `ifTold`, a run in which the runner never told the client to leave is not judged
    /// (for scenarios whose leave step is optional).
    case released(within: Double, ifTold: Bool)
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
    /// Ended the session by itself: reported `disconnected` or `failed` (any reason)
    /// before the runner told it to leave, with the exit status each one takes.
    case ended
    /// Reported a chat `message` with this text (and origin, if given).
    case message(origin: String?, text: String)
    /// The chat messages reported have exactly these texts, in this order.
    case messages([String])
    /// The node got a chat `message` request with this text, answered 200.
    case sentMessage(text: String)
    /// After each `refer` event the node wrote to the client, a `request_token` for its alias carrying its
    /// one-time token (body field `token` or header `token`), answered 200, within `within` seconds.
    case followedRefer(within: Double)
    /// After re-joining with a refer's one-time token, no request but `release_token` with a token of
    /// the participant left behind, later than `grace` s after the re-join.
    case droppedOldSession(grace: Double)
    /// While in breakout room `room` (from the node's `breakout_refer` to it to the next one), a
    /// roster reported holding exactly these display names.
    case breakoutRoster(room: String, names: [String])
    /// The number of requests named `request` (with `status`, if given) is within `min`...`max`.
    case requests(String, status: Int?, min: Int?, max: Int?)
    /// The number of reports of `type` whose fields include `fields` is within `min`...`max`.
    case reported(String, fields: [String: JSONValue], min: Int?, max: Int?)

    /// The check keys of a scenario's `checks:` list.
    static let keys = ["joined", "asked_for_pin", "pin_header", "asked_for_extension", "extension_sent", "asked_for_sso", "signed_in",
                       "token_kept_alive", "refresh_cadence", "refresh_failure_handled", "reconnect_pacing",
                       "reconnect_backoff", "released", "no_request_after", "reconnected", "roster", "failed",
                       "disconnected", "left", "ended", "message", "messages", "sent_message", "followed_refer", "dropped_old_session", "breakout_roster", "requests", "reported", "not_reported"]
}
