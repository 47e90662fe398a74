import Foundation
import MicroHTTP
import PexipWire

/// Everything the node knows, guarded by one lock in `MockNode` so that every
/// state change, the events it causes and their journal entries happen in
/// one order.
struct NodeState {
    let clock: NodeClock
    let clockStart: Double
    let wallStart: Double
    var conferences: [String: ConferenceState] = [:]
    var participants: [String: ParticipantState] = [:]
    var tokens: [String: TokenRecord] = [:]
    var oneTime: [String: OneTimeToken] = [:]
    /// `sso_token`s of sign-ins not yet used.
    var ssoGrants: [String: SSOGrant] = [:]
    /// `http` or `https`, for the URLs the node hands out.
    var scheme = "http"
    /// Participants the node removed (their `release_token` still answers 200).
    var ejected: Set<String> = []
    var faults: [FaultSlot] = []
    let journal: JournalStore
    var maintenance = false
    var streamCounter = 0
    /// Open event streams by `EventStream` id.
    var streams: [Int: StreamSlot] = [:]
    /// Issued tokens in issue order, one queue per lifetime, so that each
    /// queue is also in expiry order and old tokens are forgotten in O(1).
    var expiryQueues: [Int: TokenQueue] = [:]
    /// What the node decided to do to streams since the shell last took them
    /// (`MockNode.mutate` carries them out after unlocking).
    var effects: [NodeEffect] = []

    init(clock: NodeClock, journalLimit: Int, journalByteLimit: Int = 0) {
        self.clock = clock
        self.clockStart = clock.now()
        self.wallStart = NodeState.wallNow()
        self.journal = JournalStore(limit: journalLimit, byteLimit: journalByteLimit)
    }

    static func wallNow() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    // MARK: - journal

    /// Real seconds since the node started, as journal entries give them.
    var wallElapsed: Double { (NodeState.wallNow() - wallStart).rounded(toPlaces: 6) }

    /// Appends an entry stamped with both clocks; returns its seq.
    @discardableResult
    mutating func record(_ entry: JournalEntry) -> Int {
        var e = entry
        e.t = (clock.now() - clockStart).rounded(toPlaces: 6)
        e.wall = wallElapsed
        return journal.append(e)
    }

    mutating func recordAction(_ action: String, participant: String? = nil, alias: String? = nil,
                               detail: String? = nil) {
        record(JournalEntry(.action(JournalEntry.Action(alias: alias, participant: participant, action: action,
                                                        detail: detail))))
    }

    // MARK: - lookups

    func conference(of p: ParticipantState) -> ConferenceState? { conferences[p.conferenceKey] }

    /// The members of `conf` in join order (copies: to change one, write to `participants`).
    func members(_ conf: ConferenceState) -> [ParticipantState] {
        conf.order.compactMap { participants[$0] }
    }

    /// The participant object of `uuid` as JSON (cached in the participant until it changes).
    mutating func participantJSON(_ uuid: String) -> String {
        participants[uuid]?.wireJSON() ?? "null"
    }

    // MARK: - events

    /// Writes one event to every open stream of participant `uuid`, journaling each write;
    /// false (and nothing written) for a simulated or unknown participant.
    @discardableResult
    mutating func deliver(to uuid: String, event: String, data: String, encoded: [UInt8]? = nil) -> Bool {
        guard let (ids, key, owner) = streamsOf(uuid) else { return false }
        let ci = conferences.index(forKey: key)
        let useIDs = ci.map { conferences.values[$0].config.eventIDs } ?? true
        if owner != uuid, let ci, let room = conferences.values[ci].breakout {
            let wrapped = Self.breakoutEvent(room.uuid, event, data)
            deliver(to: owner, streams: ids, useIDs: useIDs, event: EventName.breakoutEvent, data: wrapped,
                    body: SSEEncoder.encodeBytes(event: EventName.breakoutEvent, data: wrapped))
            return true
        }
        deliver(to: uuid, streams: ids, useIDs: useIDs, event: event, data: data,
                body: encoded ?? SSEEncoder.encodeBytes(event: event, data: data))
        return true
    }

    /// The streams and conference of a participant with a client, read in place (a copy of
    /// the whole participant costs a retain per field). For a client's identity in a breakout
    /// room, the streams are its main participant's (`owner`).
    func streamsOf(_ uuid: String) -> (ids: [Int], conference: String, owner: String)? {
        guard let i = participants.index(forKey: uuid), !participants.values[i].simulated else { return nil }
        let key = participants.values[i].conferenceKey
        if let owner = participants.values[i].proxyFor {
            guard let o = participants.index(forKey: owner) else { return nil }
            return (participants.values[o].streamIDs, key, owner)
        }
        return (participants.values[i].streamIDs, key, uuid)
    }

    /// `breakout_event`'s data: an event of room `room` as its members' main streams carry it.
    static func breakoutEvent(_ room: String, _ event: String, _ data: String) -> String {
        var w = JSONWriter()
        w.object { o in
            o.field("breakout_uuid", room)
            o.key("data")
            o.raw(Array(data.utf8))
            o.field("event", event)
        }
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// `body` is the event encoded once (`SSEEncoder.encodeBytes`), shared by every stream.
    private mutating func deliver(to uuid: String, streams ids: [Int], useIDs: Bool, event: String, data: String,
                                  body: [UInt8]) {
        var e = JournalEntry.Event(participant: uuid, event: event, data: data)
        if ids.isEmpty {
            e.delivered = false
            record(JournalEntry(.event(e)))
            return
        }
        for key in ids {
            guard let si = streams.index(forKey: key) else { continue }
            streams.values[si].seq += 1
            let slot = streams.values[si]
            var head: [UInt8] = []
            if useIDs {
                let id = TokenGenerator.eventID(stream: slot.number, seq: slot.seq)
                head.reserveCapacity(id.count + 5)
                head.append(contentsOf: idPrefix)
                head.append(contentsOf: id)
                head.append(10)
                e.id = String(decoding: id, as: UTF8.self)
            }
            // Written now (see `NodeEffect`); a stream the node is ending gets nothing more.
            let delivered = !slot.closing && slot.stream.send(head, body) == .queued
            e.stream = slot.number
            e.delivered = delivered
            record(JournalEntry(.event(e)))
        }
    }

    /// Writes an event to every member of conference `key` (except `except`); `data`
    /// is encoded once, and only if someone is there to receive it.
    mutating func broadcast(_ key: String, except: String? = nil, event: String,
                            data: @autoclosure () -> String) {
        broadcast(key, except: except, event: event, encoding: { _ in data() })
    }

    /// `broadcast` with data that the state encodes (and may cache), only if someone is there.
    mutating func broadcast(_ key: String, except: String? = nil, event: String,
                            encoding data: (inout NodeState) -> String) {
        guard let conf = conferences[key] else { return }
        var recipients: [(uuid: String, streams: [Int])] = []
        for uuid in conf.order where uuid != except {
            guard let (ids, _, owner) = streamsOf(uuid) else { continue }
            recipients.append((owner, ids))
        }
        guard !recipients.isEmpty else { return }
        let text = data(&self)
        let useIDs = conf.config.eventIDs
        if let room = conf.breakout {
            // A room's members are clients' identities there: their main streams get it wrapped.
            let wrapped = Self.breakoutEvent(room.uuid, event, text)
            let body = SSEEncoder.encodeBytes(event: EventName.breakoutEvent, data: wrapped)
            for r in recipients {
                deliver(to: r.uuid, streams: r.streams, useIDs: useIDs, event: EventName.breakoutEvent, data: wrapped, body: body)
            }
            return
        }
        let body = SSEEncoder.encodeBytes(event: event, data: text)
        for r in recipients {
            deliver(to: r.uuid, streams: r.streams, useIDs: useIDs, event: event, data: text, body: body)
        }
    }

    static func stageJSON(_ conf: ConferenceState) -> String {
        let entries = conf.order.enumerated().map { StageEntry(participantUUID: $1, stageIndex: $0, vad: 0) }
        return WireJSON.text(entries)
    }

    mutating func announceUpdate(_ uuid: String) {
        guard let key = participants[uuid]?.conferenceKey else { return }
        broadcast(key, event: EventName.participantUpdate, encoding: { $0.participantJSON(uuid) })
    }

    mutating func announceStatus(_ key: String) {
        guard let status = conferences[key]?.status else { return }
        broadcast(key, event: EventName.conferenceUpdate, data: WireJSON.text(status))
    }

    /// The initial burst of §10 (or the conference's `initial_burst`) on one new stream.
    mutating func sendInitialBurst(to uuid: String, stream id: Int, conf: ConferenceState) {
        let useIDs = conf.config.eventIDs
        func send(_ s: inout NodeState, _ name: String, _ data: String) {
            s.deliver(to: uuid, streams: [id], useIDs: useIDs, event: name, data: data,
                      body: SSEEncoder.encodeBytes(event: name, data: data))
        }
        for name in conf.config.initialBurst {
            switch name {
            case EventName.conferenceUpdate:
                send(&self, name, WireJSON.text(conf.status))
            case EventName.participantSyncBegin, EventName.participantSyncEnd:
                send(&self, name, "null")
            case EventName.participantCreate:
                for member in conf.order where participants[member] != nil {
                    send(&self, name, participantJSON(member))
                }
            case EventName.stage:
                send(&self, name, Self.stageJSON(conf))
            case EventName.presentationStop:
                send(&self, name, "{}")
            case EventName.layout:
                send(&self, name, conf.layout.eventJSON)
            case EventName.splashScreen:
                send(&self, name, "null")
            default:
                break
            }
        }
    }

    // MARK: - participants

    /// Adds a participant to its conference and tells the others.
    mutating func join(_ joining: ParticipantState) {
        var p = joining
        let key = p.conferenceKey
        guard var conf = conferences.removeValue(forKey: key) else { return }
        conf.order.append(p.uuid)
        conf.status.started = true
        if conf.status.guestsMuted && p.role == .guest { p.isMuted = true }
        conferences[key] = conf
        participants[p.uuid] = p
        broadcast(key, except: p.uuid, event: EventName.participantCreate, encoding: { $0.participantJSON(p.uuid) })
        broadcast(key, except: p.uuid, event: EventName.stage, data: Self.stageJSON(conf))
    }

    /// Removes a participant and tells the others; ends the conference when it empties.
    mutating func leave(_ uuid: String) {
        if let p = participants[uuid], p.proxyFor == nil, conferences[p.conferenceKey]?.status.breakoutRooms == true {
            leaveRooms(of: uuid)
        }
        guard let p = participants.removeValue(forKey: uuid) else { return }
        effects.append(.cancelExpiry(p.expiry))
        let key = p.conferenceKey
        guard conferences[key] != nil else { return }
        conferences[key]!.order.removeAll { $0 == uuid }
        broadcast(key, event: EventName.participantDelete, data: WireJSON.text(ParticipantDeleted(uuid: uuid)))
        guard let conf = conferences[key] else { return }
        if conf.order.isEmpty, conf.breakout == nil {
            conferences[key]!.status = ConferenceState.initialStatus(conf.config)
            conferences[key]!.layout = LayoutState(conf.config)
            recordAction("conference_ended", alias: conf.config.alias)
        } else if !conf.order.isEmpty {
            broadcast(key, event: EventName.stage, data: Self.stageJSON(conf))
        }
    }

    /// The node ends a participant's presence: `disconnect` with `reason` on
    /// its streams, which are then cut (never ended cleanly); its tokens stop
    /// working, except that a later `release_token` is answered 200.
    mutating func eject(_ uuid: String, reason: String, cause: String) {
        guard let p = participants[uuid] else { return }
        let conf = conference(of: p)
        recordAction(cause, participant: uuid, alias: conf?.config.alias, detail: reason)
        deliver(to: uuid, event: EventName.disconnect, data: WireJSON.text(DisconnectReason(reason: reason)))
        let delay = conf?.config.disconnectCutDelay ?? 0
        for id in p.streamIDs {
            guard let stream = streams[id]?.stream else { continue }
            streams[id]?.closing = true
            // On the node's clock: under a manual clock the cut comes when the test advances it.
            effects.append(delay > 0 ? .cutAfter(stream, seconds: delay) : .close(stream, .cut))
        }
        ejected.insert(uuid)
        leave(uuid)
    }

    /// Issues a fresh token for participant `uuid` and (re)arms its expiry (`grace` seconds
    /// after the token's); `refresh` counts it as a refresh.
    mutating func issueToken(for uuid: String, lifetime: Int, grace: Double, token fresh: String? = nil,
                             refresh: Bool = false) -> String {
        let token = fresh ?? TokenGenerator.make()
        let now = clock.now()
        let expiresAt = now + Double(lifetime)
        tokens[token] = TokenRecord(participantUUID: uuid, expiresAt: expiresAt, state: .active)
        if let slot = participants[uuid]?.issued(token, at: now, refresh: refresh) {
            effects.append(.armExpiry(slot, participant: uuid, issuedAt: now, at: expiresAt + grace))
        }
        expiryQueues[lifetime, default: TokenQueue()].push(token, expiresAt: expiresAt)
        forgetExpiredTokens(lifetime: lifetime, now: now)
        return token
    }

    /// Forgets a few tokens of this lifetime that expired over a minute ago
    /// (they answer 403 either way); a few per issue keeps the table small
    /// without ever pausing for a sweep.
    mutating func forgetExpiredTokens(lifetime: Int, now: Double) {
        for _ in 0..<4 {
            guard let token = expiryQueues[lifetime]?.popExpired(before: now - 60) else { return }
            tokens.removeValue(forKey: token)
        }
    }

    // MARK: - refer and transfer

    /// Sends participant `uuid` a `refer` event with a fresh one-time token (60 s) for `target`;
    /// `moving` (a transfer) also takes the participant out of its conference once the token is used.
    mutating func refer(_ uuid: String, to target: ConferenceState, role: TokenRole, moving: Bool) -> String {
        let token = TokenGenerator.make()
        if oneTime.count >= 1024 { oneTime = oneTime.filter { $0.value.expiresAt > clock.now() } }
        oneTime[token] = OneTimeToken(conferenceKey: target.key, role: role, expiresAt: clock.now() + 60,
                                      movedFrom: moving ? uuid : nil)
        recordAction(moving ? "transfer" : "refer", participant: uuid, alias: target.config.alias)
        deliver(to: uuid, event: EventName.refer, data: WireJSON.text(Refer(alias: target.config.alias, token: token)))
        return token
    }

    /// A sign-in at provider `idp` for conference `conf`: the `sso_token` (good once, for 60 s).
    mutating func ssoLogin(_ conf: ConferenceState, idp: IdentityProvider) -> String {
        if ssoGrants.count >= 1024 { ssoGrants = ssoGrants.filter { $0.value.expiresAt > clock.now() } }
        let token = "sso-" + TokenGenerator.make()
        ssoGrants[token] = SSOGrant(conferenceKey: conf.key, idp: idp.uuid, expiresAt: clock.now() + 60)
        recordAction("sso_login", alias: conf.config.alias, detail: idp.name)
        return token
    }

    /// A transferred participant re-joined elsewhere with its one-time token: if it did not
    /// release its old token first, it leaves the old conference now (its streams end cleanly).
    mutating func moved(_ uuid: String) {
        guard participants[uuid] != nil else { return }
        recordAction("transferred", participant: uuid, alias: participants[uuid].flatMap { conferences[$0.conferenceKey] }?.config.alias)
        closeStreams(of: uuid, error: false)
        ejected.insert(uuid)
        leave(uuid)
    }

    // MARK: - streams

    /// Opens an event stream for participant `uuid` and queues the initial burst on it.
    /// The shell tells the node when it closes (`streamClosed`).
    mutating func openStream(for uuid: String, conf: ConferenceState) -> EventStream {
        let stream = EventStream(heartbeatInterval: conf.config.keepaliveInterval,
                                 blankLineAfterComments: conf.config.keepaliveBlankLine,
                                 lineEnding: conf.config.lineEnding)
        streamCounter += 1
        streams[stream.id] = StreamSlot(stream: stream, participant: uuid, number: streamCounter)
        participants[uuid]?.streamIDs.append(stream.id)
        record(JournalEntry(.streamOpen(JournalEntry.StreamOpen(alias: conf.config.alias, participant: uuid,
                                                                stream: streamCounter))))
        // Delivered to this stream only: the others already had theirs.
        sendInitialBurst(to: uuid, stream: stream.id, conf: conf)
        if conf.status.breakoutRooms {
            // The rooms it is in, again: a new stream starts from nothing.
            for room in rooms(of: conf.key) {
                guard let id = identity(of: uuid, in: room), let info = room.breakout else { continue }
                _ = deliver(to: uuid, event: EventName.breakoutBegin,
                            data: WireJSON.text(BreakoutBoundary(breakoutUUID: info.uuid, participantUUID: id)))
                sendRoomSync(to: id)
            }
        }
        return stream
    }

    mutating func streamClosed(participant uuid: String, stream: EventStream, reason: EventStream.CloseReason) {
        let slot = streams.removeValue(forKey: stream.id)
        participants[uuid]?.streamIDs.removeAll { $0 == stream.id }
        record(JournalEntry(.streamClose(JournalEntry.StreamClose(participant: uuid, stream: slot?.number,
                                                                  reason: reason.rawValue))))
    }
}

private let idPrefix = Array("id: ".utf8)

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let m = pow(10, Double(places))
        return (self * m).rounded() / m
    }
}

/// Tokens in the order they were issued (all with one lifetime, so also in
/// the order they expire).
struct TokenQueue {
    private var items: [(expiresAt: Double, token: String)] = []
    private var head = 0

    mutating func push(_ token: String, expiresAt: Double) { items.append((expiresAt, token)) }

    /// The oldest token if it expired before `cutoff`.
    mutating func popExpired(before cutoff: Double) -> String? {
        guard head < items.count, items[head].expiresAt < cutoff else { return nil }
        let token = items[head].token
        head += 1
        if head > 4096 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return token
    }
}
