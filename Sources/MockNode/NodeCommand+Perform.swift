import Foundation
import PexipWire

extension MockNode {
    /// Does a command, as the control API and timelines do, and returns what
    /// its control request answers. Throws `MockNodeError` (unknown
    /// participant or conference, bad arguments) having changed nothing.
    @discardableResult
    public func perform(_ command: NodeCommand) throws -> JSONValue {
        switch command {
        case .defineConference(let config):
            if let problem = config.problems().first {
                throw MockNodeError.invalidConference(alias: config.alias, problem.message)
            }
            mutate { s in
                s.define(config)
                s.recordAction("define_conference", alias: config.alias)
            }
            return JSONValue.from(config)

        case .removeConference(let alias):
            try mutate { s in
                let conf = try s.conference(alias)
                for p in s.members(conf) {
                    if p.simulated { s.leave(p.uuid) } else {
                        s.eject(p.uuid, reason: WireMessage.disconnectedByRemoteHost, cause: "conference_removed")
                    }
                }
                s.conferences.removeValue(forKey: conf.key)
                s.recordAction("remove_conference", alias: conf.config.alias)
            }
            return ["removed": .string(alias)]

        case .lock(let alias, let locked):
            let status = try mutate { s in
                let conf = try s.conference(alias)
                s.conferences[conf.key]?.status.locked = locked
                s.recordAction(locked ? "lock" : "unlock", alias: conf.config.alias)
                s.announceStatus(conf.key)
                return s.conferences[conf.key]?.status ?? conf.status
            }
            return JSONValue.from(status)

        case .addParticipant(let alias, let displayName, let role, let uuid):
            if let uuid, uuid.isEmpty || uuid.utf8.count > 64 || uuid.contains(where: { $0.isWhitespace || $0 == "/" || !$0.isASCII }) {
                throw MockNodeError.badRequest("uuid must be 1 to 64 printable ASCII characters without '/' or spaces")
            }
            let added = try mutate { s in
                let conf = try s.conference(alias)
                if let uuid, s.participants[uuid] != nil { throw MockNodeError.participantExists(uuid) }
                let p = ParticipantState(
                    uuid: uuid ?? TokenGenerator.uuid(), displayName: displayName, role: role.tokenRole,
                    conferenceKey: conf.key, receptionKey: nil, dialledAlias: conf.config.alias, simulated: true,
                    callTag: "", vendor: "MockMCU", serviceType: .conference)
                s.recordAction("add_participant", participant: p.uuid, alias: conf.config.alias, detail: displayName)
                s.join(p)
                return p.uuid
            }
            return ["uuid": .string(added)]

        case .removeParticipant(let uuid, let reason):
            try mutate { s in
                let p = try s.participant(uuid)
                if p.simulated {
                    s.recordAction("remove_participant", participant: uuid, alias: s.conference(of: p)?.config.alias)
                    s.leave(uuid)
                } else {
                    s.eject(uuid, reason: reason, cause: "eject")
                }
            }
            return ["removed": .string(uuid)]

        case .updateParticipant(let uuid, let displayName, let role, let muted, let handRaised):
            try mutate { s in
                _ = try s.participant(uuid)
                if let displayName { s.participants[uuid]?.displayName = displayName }
                if let role { s.participants[uuid]?.role = role.tokenRole }
                if let muted { s.participants[uuid]?.isMuted = muted }
                if let handRaised { s.participants[uuid]?.buzzTime = handRaised ? Date().timeIntervalSince1970 : 0 }
                s.recordAction("update_participant", participant: uuid)
                s.announceUpdate(uuid)
            }

        case .message(let uuid, let text, let recipient):
            try mutate { s in
                let p = try s.participant(uuid)
                guard p.simulated else { throw MockNodeError.notSimulated(uuid) }
                guard let conf = s.conference(of: p) else { throw MockNodeError.unknownParticipant(uuid) }
                let to = try recipient.map { try s.participant($0) }
                let msg = ChatMessage(origin: p.displayName, uuid: p.uuid, payload: text, direct: recipient != nil)
                s.recordAction("send_message", participant: uuid, alias: conf.config.alias, detail: text)
                if let to {
                    s.deliver(to: to.uuid, event: EventName.messageReceived, data: WireJSON.text(msg))
                } else {
                    s.broadcast(conf.key, except: uuid, event: EventName.messageReceived, data: WireJSON.text(msg))
                }
            }

        case .inject(let event, let data, let target):
            if let problem = EventName.problem(event) { throw MockNodeError.badRequest(problem) }
            guard JSONValue.parse(data) != nil else { throw MockNodeError.badRequest("event data must be JSON text") }
            let started = DispatchTime.now().uptimeNanoseconds
            let count = try mutate { s in
                let recipients: [String]
                switch target {
                case .participant(let uuid): recipients = [try s.participant(uuid).uuid]
                case .conference(let alias): recipients = try s.conference(alias).order
                case .everyone: recipients = s.conferences.values.sorted { $0.key < $1.key }.flatMap(\.order)
                }
                s.recordAction("inject", detail: event)
                let body = SSEEncoder.encodeBytes(event: event, data: data)  // once for every recipient
                return recipients.reduce(0) { n, uuid in
                    n + (s.deliver(to: uuid, event: event, data: data, encoded: body) ? 1 : 0)
                }
            }
            let queued = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            return ["recipients": .number(Double(count)), "queued_ms": .number((queued * 100).rounded() / 100)]

        case .note(let label, let data):
            return JSONValue.from(try recordNote(label, data: data))

        case .eject(let uuid, let reason):
            try mutate { s in s.eject(try s.participant(uuid).uuid, reason: reason, cause: "eject") }

        case .expireToken(let uuid):
            try mutate { s in
                let p = try s.participant(uuid)
                let reason = s.conference(of: p)?.config.expiryReason ?? WireMessage.tokenExpired
                s.eject(uuid, reason: reason, cause: "token_expired")
            }

        case .dropStreams(let uuid, let how):
            try mutate { s in
                let p = try s.participant(uuid)
                s.recordAction("drop_stream", participant: uuid, detail: "\(how.rawValue), \(p.streamIDs.count) stream(s)")
                s.closeStreams(of: uuid, how)
            }

        case .paceStreams(let uuid, let pacing):
            try mutate { s in
                _ = try s.participant(uuid)
                let streams = s.openStreams(of: uuid)
                s.recordAction("pace_stream", participant: uuid, detail: pacing.label + ", \(streams.count) stream(s)")
                for stream in streams { stream.pace(pacing) }
            }

        case .cutInEvent(let uuid, let event, let data, let keep):
            guard JSONValue.parse(data) != nil else { throw MockNodeError.badRequest("event data must be JSON text") }
            try mutate { s in
                _ = try s.participant(uuid)
                let whole = SSEEncoder.encodeBytes(event: event, data: data)
                let part = Array(whole.prefix(min(keep ?? (whole.count - 1), whole.count - 1)))
                let streams = s.openStreams(of: uuid)
                s.recordAction("cut_in_event", participant: uuid,
                               detail: "\(event): \(part.count) of \(whole.count) bytes, \(streams.count) stream(s)")
                for stream in streams { stream.send(part) }
                s.closeStreams(of: uuid, .cut)
            }

        case .comment(let uuid, let text, let blankLine):
            try mutate { s in
                _ = try s.participant(uuid)
                let streams = s.openStreams(of: uuid)
                s.recordAction("comment", participant: uuid, detail: blankLine == false ? "\(text) (no blank line)" : text)
                for stream in streams { stream.sendComment(text, blankLine: blankLine) }
            }

        case .stallStreams(let uuid, let stalled):
            try mutate { s in
                _ = try s.participant(uuid)
                s.recordAction(stalled ? "stall_stream" : "unstall_stream", participant: uuid)
                s.stallStreams(of: uuid, stalled)
            }

        case .refer(let uuid, let alias, let role):
            return try refer(uuid, to: alias, role: role, moving: false)

        case .transfer(let uuid, let alias, let role):
            return try refer(uuid, to: alias, role: role, moving: true)

        case .ssoLogin(let alias, let idp):
            return try mutate { s in
                let conf = try s.conference(alias)
                let providers = conf.config.ssoIDPs
                guard !providers.isEmpty else {
                    throw MockNodeError.badRequest("conference '\(conf.config.alias)' has no sso_idps")
                }
                guard let chosen = idp.isEmpty ? providers.first
                        : providers.first(where: { $0.uuid == idp }) ?? providers.first(where: { $0.name.lowercased() == idp.lowercased() }) else {
                    throw MockNodeError.badRequest("no identity provider '\(idp)' in '\(conf.config.alias)'; it has: "
                                                   + providers.map { "\($0.name) (\($0.uuid))" }.joined(separator: ", "))
                }
                let token = s.ssoLogin(conf, idp: chosen)
                return ["sso_token": .string(token), "idp": JSONValue.from(chosen)]
            }

        case .caption(let alias, let text, let isFinal):
            let count = try mutate { s in
                let conf = try s.conference(alias)
                s.recordAction("caption", alias: conf.config.alias, detail: text)
                let data = WireJSON.text(LiveCaption(data: text, isFinal: isFinal, sentTime: Date().timeIntervalSince1970))
                return conf.order.filter { s.participants[$0]?.showLiveCaptions == true }
                    .reduce(0) { n, uuid in n + (s.deliver(to: uuid, event: EventName.liveCaptions, data: data) ? 1 : 0) }
            }
            return ["recipients": .number(Double(count))]

        case .createBreakout(let alias, let name, let who, let leave):
            return try mutate { s in
                let conf = try s.conference(alias)
                let uuids = try who.map { try s.member($0, of: conf) }
                let room = s.openRoom(conf, name: name, guestsAllowedToLeave: leave)
                for uuid in uuids { s.move(uuid, parent: conf, to: room) }
                return ["breakout_uuid": .string(room.breakout?.uuid ?? "")]
            }

        case .moveToBreakout(let uuid, let id):
            try mutate { s in
                let p = try s.participant(uuid)
                let main = p.proxyFor.flatMap { s.participants[$0] } ?? p
                guard let parent = s.conferences[main.conferenceKey] else { throw MockNodeError.unknownParticipant(uuid) }
                if id.lowercased() == "main" {
                    s.move(main.uuid, parent: parent, to: nil)
                } else {
                    guard let room = s.room(id, of: parent.key) else { throw MockNodeError.badRequest(s.noRoom(id, parent)) }
                    s.move(main.uuid, parent: parent, to: room)
                }
            }

        case .endBreakout(let alias, let id):
            try mutate { s in
                let conf = try s.conference(alias)
                guard let room = s.room(id, of: conf.key) else { throw MockNodeError.badRequest(s.noRoom(id, conf)) }
                s.closeRoom(room)
            }

        case .maintenance(let on):
            mutate { s in
                s.maintenance = on
                s.recordAction(on ? "maintenance_on" : "maintenance_off")
            }
            return ["maintenance": .bool(on)]

        case .fail(let rule):
            if let problem = rule.problem { throw MockNodeError.invalidFault(problem) }
            mutate { s in
                s.faults.append(FaultSlot(rule: rule, remaining: rule.count == 0 ? -1 : rule.count))
                s.recordAction("add_fault", detail: rule.label)
            }
            return JSONValue.from(rule)

        case .clearFaults:
            mutate { s in
                s.faults = []
                s.recordAction("clear_faults")
            }
            return ["cleared": .bool(true)]

        case .reset:
            let conferences = configuration.conferences
            mutate { s in
                for p in s.participants.values {
                    s.effects.append(.cancelExpiry(p.expiry))
                    s.closeStreams(of: p.uuid, error: true)
                }
                s.participants = [:]
                s.conferences = [:]
                s.tokens = [:]
                s.ejected = []
                s.expiryQueues = [:]
                s.oneTime = [:]
                s.ssoGrants = [:]
                s.faults = []
                s.maintenance = false
                s.journal.reset()
                MockNode.install(conferences, into: &s)
            }
            return ["reset": .bool(true)]

        case .advanceClock(let seconds):
            guard let manual = configuration.clock as? ManualClock else { throw MockNodeError.notManualClock }
            if let problem = Limits.clockAdvance.problem(seconds, "seconds") { throw MockNodeError.badRequest(problem) }
            manual.advance(by: seconds)
            return ["advanced": .number(seconds)]
        }
        return ["ok": .bool(true)]
    }
}

extension MockNode {
    /// `refer` and `transfer`: the one-time token, as their control requests answer.
    private func refer(_ uuid: String, to alias: String, role: TokenRole?, moving: Bool) throws -> JSONValue {
        let token = try mutate { s in
            let p = try s.participant(uuid)
            return s.refer(uuid, to: try s.conference(alias), role: role ?? p.role, moving: moving)
        }
        return ["token": .string(token)]
    }

    /// The `note` command's work, kept apart so that `note(_:data:)` returns the entry itself.
    func recordNote(_ label: String, data: String?) throws -> JournalEntry {
        if let data, JSONValue.parse(data) == nil { throw MockNodeError.badRequest("note data must be JSON text") }
        let entry = JournalEntry(.note(JournalEntry.Note(data: data, action: label)))
        return mutate { s in
            let seq = s.record(entry)
            return s.journal.after(seq - 1).first ?? entry
        }
    }
}
