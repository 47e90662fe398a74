import Foundation
import MicroHTTP
import PexipWire

/// Callbacks from streams back into the node (which then takes its lock).
struct NodeHooks: Sendable {
    let streamClosed: @Sendable (_ participant: String, _ stream: EventStream, _ reason: EventStream.CloseReason) -> Void
}

/// Everything the node knows, guarded by one lock in `MockNode` so that every
/// state change, the events it causes and their journal entries happen in
/// one order.
struct NodeState {
    let clock: NodeClock
    let clockStart: Double
    let wallStart: Double
    let hooks: NodeHooks
    var conferences: [String: ConferenceState] = [:]
    var participants: [String: ParticipantState] = [:]
    var tokens: [String: TokenRecord] = [:]
    var oneTime: [String: OneTimeToken] = [:]
    /// Participants the node removed (their `release_token` still answers 200).
    var ejected: Set<String> = []
    var faults: [FaultSlot] = []
    let journal: JournalStore
    var maintenance = false
    var streamCounter = 0
    /// Open streams by EventStream id: whose, and their node-wide number.
    var openStreams: [Int: (participant: String, number: Int)] = [:]
    /// Issued tokens in issue order, one queue per lifetime, so that each
    /// queue is also in expiry order and old tokens are forgotten in O(1).
    var expiryQueues: [Int: TokenQueue] = [:]
    /// What the node decided to do to streams since the shell last took them
    /// (`MockNode.mutate` carries them out after unlocking).
    var effects: [NodeEffect] = []

    init(clock: NodeClock, journalLimit: Int, journalByteLimit: Int = 0, hooks: NodeHooks) {
        self.clock = clock
        self.clockStart = clock.now()
        self.wallStart = NodeState.wallNow()
        self.hooks = hooks
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

    func members(_ conf: ConferenceState) -> [ParticipantState] {
        conf.order.compactMap { participants[$0] }
    }

    // MARK: - events

    /// Writes one event to every open stream of `p`, journaling each write.
    mutating func deliver(to p: ParticipantState, event: String, data: String) {
        guard !p.simulated else { return }
        var e = JournalEntry.Event(participant: p.uuid, event: event, data: data)
        if p.streams.isEmpty {
            e.delivered = false
            record(JournalEntry(.event(e)))
            return
        }
        let useIDs = conference(of: p)?.config.eventIDs ?? true
        let body = Array(SSEEncoder.encode(event: event, data: data).utf8)
        for key in p.streams.keys.sorted() {
            guard var slot = p.streams[key] else { continue }
            slot.seq += 1
            p.streams[key] = slot
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

    /// Writes an event to every member of `conf` (except `except`); `data`
    /// is encoded once, and only if someone is there to receive it.
    mutating func broadcast(_ conf: ConferenceState, except: String? = nil, event: String,
                            data: @autoclosure () -> String) {
        let recipients = members(conf).filter { $0.uuid != except && !$0.simulated }
        guard !recipients.isEmpty else { return }
        let text = data()
        for p in recipients { deliver(to: p, event: event, data: text) }
    }

    func stageJSON(_ conf: ConferenceState) -> String { Self.stageJSON(members(conf)) }

    static func stageJSON(_ members: [ParticipantState]) -> String {
        let entries = members.enumerated().map { StageEntry(participantUUID: $1.uuid, stageIndex: $0, vad: 0) }
        return WireJSON.text(entries)
    }

    mutating func announceUpdate(_ p: ParticipantState) {
        guard let conf = conference(of: p) else { return }
        broadcast(conf, event: EventName.participantUpdate, data: p.wireJSON)
    }

    mutating func announceStatus(_ conf: ConferenceState) {
        broadcast(conf, event: EventName.conferenceUpdate, data: WireJSON.text(conf.status))
    }

    /// The initial burst of §10 (or the conference's `initial_burst`) on one new stream.
    mutating func sendInitialBurst(to p: ParticipantState, conf: ConferenceState) {
        for name in conf.config.initialBurst {
            switch name {
            case EventName.conferenceUpdate:
                deliver(to: p, event: name, data: WireJSON.text(conf.status))
            case EventName.participantSyncBegin, EventName.participantSyncEnd:
                deliver(to: p, event: name, data: "null")
            case EventName.participantCreate:
                for member in members(conf) {
                    deliver(to: p, event: name, data: member.wireJSON)
                }
            case EventName.stage:
                deliver(to: p, event: name, data: stageJSON(conf))
            case EventName.presentationStop:
                deliver(to: p, event: name, data: "{}")
            case EventName.layout:
                deliver(to: p, event: name, data: #"{"view":"1:7","participants":[],"overlay_text_enabled":true}"#)
            case EventName.splashScreen:
                deliver(to: p, event: name, data: "null")
            default:
                break
            }
        }
    }

    // MARK: - participants

    /// Adds a participant to a conference and tells the others.
    mutating func join(_ p: ParticipantState, conf: ConferenceState) {
        participants[p.uuid] = p
        conf.order.append(p.uuid)
        if !conf.status.started {
            conf.status.started = true
        }
        if conf.status.guestsMuted && p.role == .guest { p.isMuted = true }
        broadcast(conf, except: p.uuid, event: EventName.participantCreate, data: p.wireJSON)
        let present = members(conf)
        broadcast(conf, except: p.uuid, event: EventName.stage, data: Self.stageJSON(present))
    }

    /// Removes a participant and tells the others; ends the conference when it empties.
    mutating func leave(_ p: ParticipantState) {
        effects.append(.cancelExpiry(p.expiry))
        participants.removeValue(forKey: p.uuid)
        guard let conf = conference(of: p) else { return }
        conf.order.removeAll { $0 == p.uuid }
        broadcast(conf, event: EventName.participantDelete, data: WireJSON.text(ParticipantDeleted(uuid: p.uuid)))
        if conf.order.isEmpty {
            conf.status = ConferenceState.initialStatus(conf.config)
            recordAction("conference_ended", alias: conf.config.alias)
        } else {
            let present = members(conf)
            broadcast(conf, event: EventName.stage, data: Self.stageJSON(present))
        }
    }

    /// The node ends a participant's presence: `disconnect` with `reason` on
    /// its streams, which are then cut (never ended cleanly); its tokens stop
    /// working, except that a later `release_token` is answered 200.
    mutating func eject(_ p: ParticipantState, reason: String, cause: String) {
        guard participants[p.uuid] != nil else { return }
        recordAction(cause, participant: p.uuid, alias: conference(of: p)?.config.alias, detail: reason)
        deliver(to: p, event: EventName.disconnect, data: WireJSON.text(DisconnectReason(reason: reason)))
        let delay = conference(of: p)?.config.disconnectCutDelay ?? 0
        for key in p.streams.keys {
            p.streams[key]?.closing = true
            guard let stream = p.streams[key]?.stream else { continue }
            // On the node's clock: under a manual clock the cut comes when the test advances it.
            effects.append(delay > 0 ? .cutAfter(stream, seconds: delay) : .close(stream, error: true))
        }
        ejected.insert(p.uuid)
        leave(p)
    }

    /// Issues a fresh token for `p` and (re)arms its expiry.
    mutating func issueToken(for p: ParticipantState, lifetime: Int, token fresh: String? = nil) -> String {
        let token = fresh ?? TokenGenerator.make()
        let now = clock.now()
        tokens[token] = TokenRecord(participantUUID: p.uuid, expiresAt: now + Double(lifetime), state: .active)
        p.currentToken = token
        p.tokenIssuedAt = now
        armExpiry(p, lifetime: lifetime)
        expiryQueues[lifetime, default: TokenQueue()].push(token, expiresAt: now + Double(lifetime))
        forgetExpiredTokens(lifetime: lifetime, now: now)
        return token
    }

    mutating func armExpiry(_ p: ParticipantState, lifetime: Int) {
        let grace = conference(of: p)?.config.expiryGrace ?? 0
        effects.append(.armExpiry(p.expiry, participant: p.uuid, issuedAt: p.tokenIssuedAt,
                                  at: p.tokenIssuedAt + Double(lifetime) + grace))
    }

    /// Forgets tokens long past their expiry (they would answer 403 either way).
    /// Forgets a few tokens of this lifetime that expired over a minute ago
    /// (they answer 403 either way); a few per issue keeps the table small
    /// without ever pausing for a sweep.
    mutating func forgetExpiredTokens(lifetime: Int, now: Double) {
        for _ in 0..<4 {
            guard let token = expiryQueues[lifetime]?.popExpired(before: now - 60) else { return }
            tokens.removeValue(forKey: token)
        }
    }

    // MARK: - streams

    /// Opens an event stream for `p` and queues the initial burst on it.
    mutating func openStream(for p: ParticipantState, conf: ConferenceState) -> EventStream {
        let interval = conf.config.keepaliveInterval
        let stream = EventStream(heartbeatInterval: interval)
        streamCounter += 1
        p.streams[stream.id] = StreamSlot(stream: stream, number: streamCounter)
        openStreams[stream.id] = (p.uuid, streamCounter)
        record(JournalEntry(.streamOpen(JournalEntry.StreamOpen(alias: conf.config.alias, participant: p.uuid,
                                                                stream: streamCounter))))
        let uuid = p.uuid
        let hooks = self.hooks
        stream.onClose { reason in hooks.streamClosed(uuid, stream, reason) }
        // Deliver the burst to this stream only: the others already had theirs.
        let others = p.streams.filter { $0.key != stream.id }
        p.streams = p.streams.filter { $0.key == stream.id }
        sendInitialBurst(to: p, conf: conf)
        p.streams.merge(others) { a, _ in a }
        return stream
    }

    mutating func streamClosed(participant uuid: String, stream: EventStream, reason: EventStream.CloseReason) {
        let info = openStreams.removeValue(forKey: stream.id)
        participants[uuid]?.streams.removeValue(forKey: stream.id)
        record(JournalEntry(.streamClose(JournalEntry.StreamClose(participant: uuid, stream: info?.number,
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
