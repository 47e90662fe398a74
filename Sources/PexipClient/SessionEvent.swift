import PexipWire

/// What a session reports to the app, in order, on `PexipSession.events`.
public enum SessionEvent: Sendable, Equatable {
    /// The roster after the initial sync and after every later change.
    case roster([Participant])
    /// A chat message from someone else (or a direct one).
    case message(ChatMessage)
    /// The conference's lock/mute/… state changed (`conference_update`).
    case conferenceStatus(ConferenceStatus)
    /// Who is on stage, loudest first.
    case stage([StageEntry])
    /// The event stream came back after a loss (roster re-synced next).
    case reconnected
    /// The node ended this participant's presence; the session is over.
    case disconnected(reason: String)
    /// The session gave up (e.g. the node stayed unreachable); it is over.
    case failed(PexipClientError)
    /// The app left and the token was released; the session is over.
    case left
    /// The node moved this participant (a `refer` event, e.g. a host's transfer): the token was
    /// released and the session is over; join `alias` on the same node (`PexipSession.node`) with
    /// `token` as `JoinOptions.oneTimeToken` to follow.
    case referred(alias: String, token: String)
    /// Any other event from the node, as received.
    case other(SSEEvent)
}
