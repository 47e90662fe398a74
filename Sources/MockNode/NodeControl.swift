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

    enum CodingKeys: String, CodingKey {
        case uuid, role, alias, simulated, token
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
        if let existing = conferences[key] {
            existing.config = config
            return
        }
        let conf = ConferenceState(config: config)
        conferences[key] = conf
        for present in config.participants {
            let p = ParticipantState(
                uuid: present.uuid ?? TokenGenerator.uuid(), displayName: present.displayName,
                role: present.role.tokenRole, conferenceKey: key, receptionKey: nil, dialledAlias: config.alias,
                simulated: true, callTag: "", vendor: "MockMCU", serviceType: .conference)
            join(p, conf: conf)
        }
    }

    func participant(_ uuid: String) throws -> ParticipantState {
        guard let p = participants[uuid] else { throw MockNodeError.unknownParticipant(uuid) }
        return p
    }

    func conference(_ alias: String) throws -> ConferenceState {
        guard let c = conferences[alias.lowercased()] else { throw MockNodeError.unknownConference(alias) }
        return c
    }
}

extension MockNode {
    // MARK: - conferences

    /// Adds a conference, or replaces the settings of one with the same alias
    /// (its participants stay).
    public func defineConference(_ config: ConferenceConfig) throws {
        if let problem = config.problems().first {
            throw MockNodeError.invalidConference(alias: config.alias, problem.message)
        }
        mutate { s in
            s.define(config)
            s.recordAction("define_conference", alias: config.alias)
        }
    }

    /// Removes a conference; its participants are disconnected.
    public func removeConference(_ alias: String) throws {
        try mutate { s in
            let conf = try s.conference(alias)
            for p in s.members(conf) {
                if p.simulated { s.leave(p) } else {
                    s.eject(p, reason: WireMessage.disconnectedByRemoteHost, cause: "conference_removed")
                }
            }
            s.conferences.removeValue(forKey: conf.key)
            s.recordAction("remove_conference", alias: conf.config.alias)
        }
    }

    /// The conferences served now, sorted by alias.
    public func conferences() -> [ConferenceConfig] {
        state.withLock { s in s.conferences.values.map(\.config).sorted { $0.alias < $1.alias } }
    }

    /// The live status of a conference (`conference_update` payload).
    public func status(of alias: String) throws -> ConferenceStatus {
        try state.withLock { try $0.conference(alias).status }
    }

    /// Locks or unlocks a conference as a host would, telling everyone.
    public func setLocked(_ alias: String, _ locked: Bool) throws {
        try mutate { s in
            let conf = try s.conference(alias)
            conf.status.locked = locked
            s.recordAction(locked ? "lock" : "unlock", alias: conf.config.alias)
            s.announceStatus(conf)
        }
    }

    // MARK: - participants

    /// Participants now, optionally of one conference, in join order.
    public func participants(in alias: String? = nil) -> [ParticipantInfo] {
        state.withLock { s in
            let confs = s.conferences.values.filter { alias == nil || $0.key == alias!.lowercased() }
                .sorted { $0.key < $1.key }
            return confs.flatMap { conf in
                s.members(conf).map { p in
                    ParticipantInfo(uuid: p.uuid, displayName: p.displayName, role: p.role, alias: conf.config.alias,
                                    serviceType: p.serviceType.rawValue, simulated: p.simulated,
                                    openStreams: p.streams.count, refreshCount: p.refreshCount,
                                    token: p.currentToken)
                }
            }
        }
    }

    /// Adds a simulated participant (no client behind it); returns its uuid.
    @discardableResult
    public func addParticipant(to alias: String, displayName: String, role: ParticipantRole = .guest,
                               uuid: String? = nil) throws -> String {
        if let uuid, uuid.isEmpty || uuid.utf8.count > 64 || uuid.contains(where: { $0.isWhitespace || $0 == "/" || !$0.isASCII }) {
            throw MockNodeError.badRequest("uuid must be 1 to 64 printable ASCII characters without '/' or spaces")
        }
        return try mutate { s in
            let conf = try s.conference(alias)
            if let uuid, s.participants[uuid] != nil { throw MockNodeError.participantExists(uuid) }
            let p = ParticipantState(
                uuid: uuid ?? TokenGenerator.uuid(), displayName: displayName, role: role.tokenRole,
                conferenceKey: conf.key, receptionKey: nil, dialledAlias: conf.config.alias, simulated: true,
                callTag: "", vendor: "MockMCU", serviceType: .conference)
            s.recordAction("add_participant", participant: p.uuid, alias: conf.config.alias, detail: displayName)
            s.join(p, conf: conf)
            return p.uuid
        }
    }

    /// Removes a participant; others get `participant_delete`. A participant
    /// with a client is disconnected as by `eject`.
    public func removeParticipant(_ uuid: String, reason: String = WireMessage.disconnectedByRemoteHost) throws {
        try mutate { s in
            let p = try s.participant(uuid)
            if p.simulated {
                s.recordAction("remove_participant", participant: uuid, alias: s.conference(of: p)?.config.alias)
                s.leave(p)
            } else {
                s.eject(p, reason: reason, cause: "eject")
            }
        }
    }

    /// Changes a participant's display name, role or mute state; others get `participant_update`.
    public func updateParticipant(_ uuid: String, displayName: String? = nil, role: ParticipantRole? = nil,
                                  muted: Bool? = nil, handRaised: Bool? = nil) throws {
        try mutate { s in
            let p = try s.participant(uuid)
            if let displayName { p.displayName = displayName }
            if let role { p.role = role.tokenRole }
            if let muted { p.isMuted = muted }
            if let handRaised { p.buzzTime = handRaised ? Date().timeIntervalSince1970 : 0 }
            s.recordAction("update_participant", participant: uuid)
            s.announceUpdate(p)
        }
    }

    /// A simulated participant sends chat: to everyone else, or directly to `to`.
    public func sendMessage(from uuid: String, text: String, to recipient: String? = nil) throws {
        try mutate { s in
            let p = try s.participant(uuid)
            guard p.simulated else { throw MockNodeError.notSimulated(uuid) }
            guard let conf = s.conference(of: p) else { throw MockNodeError.unknownParticipant(uuid) }
            let msg = ChatMessage(origin: p.displayName, uuid: p.uuid, payload: text, direct: recipient != nil)
            s.recordAction("send_message", participant: uuid, alias: conf.config.alias, detail: text)
            if let recipient {
                s.deliver(to: try s.participant(recipient), event: EventName.messageReceived, data: WireJSON.text(msg))
            } else {
                s.broadcast(conf, except: uuid, event: EventName.messageReceived, data: WireJSON.text(msg))
            }
        }
    }

    // MARK: - node actions

    /// Emits an event (`data` is JSON text) to a participant, a conference or everyone.
    /// Returns how many participants it was written to.
    @discardableResult
    public func inject(event: String, data: String = "null", to target: EventTarget) throws -> Int {
        if let problem = EventName.problem(event) { throw MockNodeError.badRequest(problem) }
        guard JSONValue.parse(data) != nil else { throw MockNodeError.badRequest("event data must be JSON text") }
        return try mutate { s in
            let recipients: [ParticipantState]
            switch target {
            case .participant(let uuid): recipients = [try s.participant(uuid)]
            case .conference(let alias): recipients = s.members(try s.conference(alias))
            case .everyone: recipients = s.conferences.values.sorted { $0.key < $1.key }.flatMap { s.members($0) }
            }
            s.recordAction("inject", detail: event)
            let real = recipients.filter { !$0.simulated }
            for p in real { s.deliver(to: p, event: event, data: data) }
            return real.count
        }
    }

    /// Adds a `note` entry to the journal (`data`, if given, must be JSON text) and returns it.
    @discardableResult
    public func note(_ label: String, data: String? = nil) throws -> JournalEntry {
        if let data, JSONValue.parse(data) == nil { throw MockNodeError.badRequest("note data must be JSON text") }
        var entry = JournalEntry(kind: .note)
        entry.action = label
        entry.data = data
        return mutate { s in
            let seq = s.record(entry)
            return s.journal.after(seq - 1).first ?? entry
        }
    }

    /// Disconnects a participant: `disconnect` with `reason`, then its stream is cut.
    public func eject(_ uuid: String, reason: String = WireMessage.disconnectedByRemoteHost) throws {
        try mutate { s in s.eject(try s.participant(uuid), reason: reason, cause: "eject") }
    }

    /// Expires a participant's token now, with the consequences of §10 expiry.
    public func expireToken(of uuid: String) throws {
        try mutate { s in
            let p = try s.participant(uuid)
            let reason = s.conference(of: p)?.config.expiryReason ?? WireMessage.tokenExpired
            s.eject(p, reason: reason, cause: "token_expired")
        }
    }

    /// Cuts a participant's event streams (the participant stays; a client should reconnect).
    public func dropStreams(of uuid: String) throws {
        try mutate { s in
            let p = try s.participant(uuid)
            s.recordAction("drop_stream", participant: uuid, detail: "\(p.streams.count) stream(s)")
            for slot in p.streams.values { slot.stream.close(error: true) }
        }
    }

    /// Freezes (or thaws) a participant's open streams: nothing, not even keep-alives, is written.
    public func stallStreams(of uuid: String, stalled: Bool = true) throws {
        try mutate { s in
            let p = try s.participant(uuid)
            s.recordAction(stalled ? "stall_stream" : "unstall_stream", participant: uuid)
            for slot in p.streams.values { stalled ? slot.stream.stall() : slot.stream.unstall() }
        }
    }

    /// Sends a `refer` event with a one-time token valid for `alias`; returns the token.
    @discardableResult
    public func refer(_ uuid: String, to alias: String, role: TokenRole? = nil) throws -> String {
        try mutate { s in
            let p = try s.participant(uuid)
            let target = try s.conference(alias)
            let token = TokenGenerator.make()
            if s.oneTime.count >= 1024 { s.oneTime = s.oneTime.filter { $0.value.expiresAt > s.clock.now() } }
            s.oneTime[token] = OneTimeToken(conferenceKey: target.key, role: role ?? p.role,
                                            expiresAt: s.clock.now() + 60)
            s.recordAction("refer", participant: uuid, alias: target.config.alias)
            s.deliver(to: p, event: EventName.refer, data: WireJSON.text(Refer(alias: target.config.alias, token: token)))
            return token
        }
    }

    /// Puts the node in (or out of) maintenance mode: `GET status` answers 503.
    public func setMaintenance(_ on: Bool) {
        mutate { s in
            s.maintenance = on
            s.recordAction(on ? "maintenance_on" : "maintenance_off")
        }
    }

    // MARK: - faults

    /// Adds a fault rule; rules are tried in the order added.
    public func addFault(_ rule: FaultRule) throws {
        if let problem = rule.problem { throw MockNodeError.invalidFault(problem) }
        mutate { s in
            s.faults.append(FaultSlot(rule: rule, remaining: rule.count == 0 ? -1 : rule.count))
            s.recordAction("add_fault", detail: rule.label)
        }
    }

    /// The fault rules still armed, with how many requests each still applies to (-1 = unlimited).
    public func faults() -> [(rule: FaultRule, remaining: Int)] {
        state.withLock { $0.faults.map { ($0.rule, $0.remaining) } }
    }

    /// Removes every fault rule.
    public func clearFaults() {
        mutate { s in
            s.faults = []
            s.recordAction("clear_faults")
        }
    }

    /// Back to the starting conferences: participants dropped (streams cut),
    /// tokens forgotten, faults cleared, journal emptied.
    public func reset() {
        let conferences = configuration.conferences
        mutate { s in
            for p in s.participants.values {
                p.expiryTimer?.cancel()
                for slot in p.streams.values { slot.stream.close(error: true) }
            }
            s.participants = [:]
            s.conferences = [:]
            s.tokens = [:]
            s.ejected = []
            s.expiryQueues = [:]
            s.oneTime = [:]
            s.faults = []
            s.maintenance = false
            s.journal.reset()
            MockNode.install(conferences, into: &s)
        }
    }

    /// Advances a manual clock (firing expiries that fall due).
    public func advanceClock(by seconds: Double) throws {
        guard let manual = configuration.clock as? ManualClock else { throw MockNodeError.notManualClock }
        if let problem = Limits.clockAdvance.problem(seconds, "seconds") { throw MockNodeError.badRequest(problem) }
        manual.advance(by: seconds)
    }
}
