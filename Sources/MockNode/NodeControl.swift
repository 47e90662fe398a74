import Foundation
import MicroHTTP
import PexipWire

/// A participant as the control surface reports it.
public struct ParticipantInfo: Codable, Sendable, Equatable {
    public var uuid: String
    public var displayName: String
    public var role: TokenRole
    public var alias: String
    public var serviceType: String
    public var simulated: Bool
    public var openStreams: Int
    public var refreshCount: Int
    /// The newest token (absent for simulated participants).
    public var token: String?
    /// For a participant in a breakout room of `alias`: the room's uuid.
    public var breakout: String?

    enum CodingKeys: String, CodingKey {
        case uuid, role, alias, simulated, token, breakout
        case displayName = "display_name", serviceType = "service_type"
        case openStreams = "open_streams", refreshCount = "refresh_count"
    }
}

/// Where an injected event goes.
public enum EventTarget: Sendable, Equatable {
    case participant(String)
    case conference(String)
    case everyone
}

extension NodeState {
    mutating func define(_ config: ConferenceConfig) {
        let key = config.alias.lowercased()
        if conferences[key] != nil {
            conferences[key]!.config = config
            return
        }
        conferences[key] = ConferenceState(config: config)
        for present in config.participants {
            let p = ParticipantState(
                uuid: present.uuid ?? TokenGenerator.uuid(), displayName: present.displayName,
                role: present.role.tokenRole, conferenceKey: key, receptionKey: nil, dialledAlias: config.alias,
                simulated: true, callTag: "", vendor: "MockMCU", serviceType: .conference)
            join(p)
        }
    }

    func participant(_ uuid: String) throws -> ParticipantState {
        guard let p = participants[uuid] else { throw MockNodeError.unknownParticipant(uuid) }
        return p
    }

    func conference(_ alias: String) throws -> ConferenceState {
        guard let c = conferences[alias.lowercased()], c.breakout == nil else { throw MockNodeError.unknownConference(alias) }
        return c
    }
}

extension MockNode {
    // The typed Swift API: each command method is `perform` with its `NodeCommand`.

    // MARK: - conferences

    /// Adds a conference, or replaces the settings of one with the same alias
    /// (its participants stay).
    public func defineConference(_ config: ConferenceConfig) throws {
        try perform(.defineConference(config))
    }

    /// Removes a conference; its participants are disconnected.
    public func removeConference(_ alias: String) throws {
        try perform(.removeConference(alias))
    }

    /// The conferences served now, sorted by alias.
    public func conferences() -> [ConferenceConfig] {
        state.withLock { s in s.conferences.values.filter { $0.breakout == nil }.map(\.config).sorted { $0.alias < $1.alias } }
    }

    /// The live status of a conference (`conference_update` payload).
    public func status(of alias: String) throws -> ConferenceStatus {
        try state.withLock { try $0.conference(alias).status }
    }

    /// Locks or unlocks a conference as a host would, telling everyone.
    public func setLocked(_ alias: String, _ locked: Bool) throws {
        try perform(.lock(conference: alias, locked: locked))
    }

    // MARK: - participants

    /// Participants now, optionally of one conference, in join order.
    public func participants(in alias: String? = nil) -> [ParticipantInfo] {
        state.withLock { s in
            // Breakout rooms' participants after their main room's, under its alias.
            let confs = s.conferences.values.filter { alias == nil || ($0.breakout?.parentKey ?? $0.key) == alias!.lowercased() }
                .sorted { $0.key < $1.key }
            return confs.flatMap { conf in
                s.members(conf).map { p in
                    ParticipantInfo(uuid: p.uuid, displayName: p.displayName, role: p.role, alias: conf.config.alias,
                                    serviceType: p.serviceType.rawValue, simulated: p.simulated,
                                    openStreams: p.streamIDs.count, refreshCount: p.refreshCount,
                                    token: p.currentToken, breakout: conf.breakout?.uuid)
                }
            }
        }
    }

    /// Adds a simulated participant (no client behind it); returns its uuid.
    @discardableResult
    public func addParticipant(to alias: String, displayName: String, role: ParticipantRole = .guest,
                               uuid: String? = nil) throws -> String {
        let reply = try perform(.addParticipant(conference: alias, displayName: displayName, role: role, uuid: uuid))
        return reply["uuid"]?.stringValue ?? ""
    }

    /// Removes a participant; others get `participant_delete`. A participant
    /// with a client is disconnected as by `eject`.
    public func removeParticipant(_ uuid: String, reason: String = WireMessage.disconnectedByRemoteHost) throws {
        try perform(.removeParticipant(uuid, reason: reason))
    }

    /// Changes a participant's display name, role or mute state; others get `participant_update`.
    public func updateParticipant(_ uuid: String, displayName: String? = nil, role: ParticipantRole? = nil,
                                  muted: Bool? = nil, handRaised: Bool? = nil) throws {
        try perform(.updateParticipant(uuid, displayName: displayName, role: role, muted: muted, handRaised: handRaised))
    }

    /// A simulated participant sends chat: to everyone else, or directly to `to`.
    public func sendMessage(from uuid: String, text: String, to recipient: String? = nil) throws {
        try perform(.message(from: uuid, text: text, to: recipient))
    }

    // MARK: - node actions

    /// Emits an event (`data` is JSON text) to a participant, a conference or everyone.
    /// Returns how many participants it was written to.
    @discardableResult
    public func inject(event: String, data: String = "null", to target: EventTarget) throws -> Int {
        Int(try perform(.inject(event: event, data: data, to: target))["recipients"]?.numberValue ?? 0)
    }

    /// Adds a `note` entry to the journal (`data`, if given, must be JSON text) and returns it.
    @discardableResult
    public func note(_ label: String, data: String? = nil) throws -> JournalEntry {
        try recordNote(label, data: data)
    }

    /// Disconnects a participant: `disconnect` with `reason`, then its stream is cut.
    public func eject(_ uuid: String, reason: String = WireMessage.disconnectedByRemoteHost) throws {
        try perform(.eject(uuid, reason: reason))
    }

    /// Expires a participant's token now, with the consequences of §10 expiry.
    public func expireToken(of uuid: String) throws {
        try perform(.expireToken(uuid))
    }

    /// Ends a participant's event streams (the participant stays; a client should reconnect):
    /// cut (FIN, the response unfinished), reset (RST) or ended cleanly.
    public func dropStreams(of uuid: String, how: EventStream.Ending = .cut) throws {
        try perform(.dropStreams(uuid, how: how))
    }

    /// Writes a participant's open streams in pieces, paused, delayed or jittered (`.none`: normally).
    public func paceStreams(of uuid: String, _ pacing: EventStream.Pacing) throws {
        try perform(.paceStreams(uuid, pacing))
    }

    /// Signs in at one of the conference's identity providers (uuid or name; empty: the first), as a
    /// user at its login page would; returns the `sso_token` for `request_token` (good once, 60 s).
    public func ssoLogin(conference alias: String, idp: String = "") throws -> String {
        try perform(.ssoLogin(conference: alias, idp: idp))["sso_token"]?.stringValue ?? ""
    }

    /// Freezes (or thaws) a participant's open streams: nothing, not even keep-alives, is written.
    public func stallStreams(of uuid: String, stalled: Bool = true) throws {
        try perform(.stallStreams(uuid, stalled: stalled))
    }

    /// Sends a `refer` event with a one-time token valid for `alias`; returns the token.
    @discardableResult
    public func refer(_ uuid: String, to alias: String, role: TokenRole? = nil) throws -> String {
        try perform(.refer(uuid, to: alias, role: role))["token"]?.stringValue ?? ""
    }

    /// Transfers a participant to `alias` as a host would: a `refer`, and the participant leaves
    /// its conference once it re-joins with the token; returns the token.
    @discardableResult
    public func transfer(_ uuid: String, to alias: String, role: TokenRole? = nil) throws -> String {
        try perform(.transfer(uuid, to: alias, role: role))["token"]?.stringValue ?? ""
    }

    /// Puts the node in (or out of) maintenance mode: `GET status` answers 503.
    public func setMaintenance(_ on: Bool) {
        _ = try? perform(.maintenance(on))
    }

    // MARK: - faults

    /// Adds a fault rule; rules are tried in the order added.
    public func addFault(_ rule: FaultRule) throws {
        try perform(.fail(rule))
    }

    /// The fault rules still armed, with how many requests each still applies to (-1 = unlimited).
    public func faults() -> [(rule: FaultRule, remaining: Int)] {
        state.withLock { $0.faults.map { ($0.rule, $0.remaining) } }
    }

    /// Removes every fault rule.
    public func clearFaults() {
        _ = try? perform(.clearFaults)
    }

    /// Back to the starting conferences: participants dropped (streams cut),
    /// tokens forgotten, faults cleared, journal emptied.
    public func reset() {
        _ = try? perform(.reset)
    }

    /// Advances a manual clock (firing expiries that fall due).
    public func advanceClock(by seconds: Double) throws {
        try perform(.advanceClock(seconds))
    }
}
