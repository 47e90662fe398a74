import Foundation
import PexipWire

/// Breakout rooms, as far as clients without media meet them. A room is a conference of its
/// own (`ConferenceState.breakout`, keyed under its parent). A client moved into one gets an
/// identity there (a participant with `proxyFor` = its main participant): the room's events
/// reach it on its main stream wrapped in `breakout_event`; it keeps its main participant and
/// token. A simulated participant moves whole. The order a client meets, as PexRTC follows it:
/// `breakout_begin` (its uuid in the room), the room's sync as `breakout_event`s, then
/// `breakout_refer` (go there); back: `breakout_refer` to `main`, then `breakout_end`.
extension NodeState {
    /// The rooms of conference `key`, oldest first.
    func rooms(of key: String) -> [ConferenceState] {
        conferences.values.filter { $0.breakout?.parentKey == key }.sorted { $0.key < $1.key }
    }

    /// The room of conference `key` named by uuid or name (any case).
    func room(_ id: String, of key: String) -> ConferenceState? {
        let all = rooms(of: key)
        return all.first { $0.breakout?.uuid == id } ?? all.first { $0.breakout?.name.lowercased() == id.lowercased() }
    }

    /// Client `uuid`'s identity in `room`, if it is there.
    func identity(of uuid: String, in room: ConferenceState) -> String? {
        room.order.first { participants[$0]?.proxyFor == uuid }
    }

    /// A member of `conf` (a main-room participant) by uuid or display name.
    func member(_ id: String, of conf: ConferenceState) throws -> String {
        if conf.order.contains(id) { return id }
        if let p = conf.order.first(where: { participants[$0]?.displayName.lowercased() == id.lowercased() }) { return p }
        throw MockNodeError.badRequest("no participant '\(id)' in '\(conf.config.alias)'")
    }

    /// The error for a room that is not there, naming those that are.
    func noRoom(_ id: String, _ parent: ConferenceState) -> String {
        let names = rooms(of: parent.key).compactMap { $0.breakout.map { "\($0.name) (\($0.uuid))" } }
        return "no breakout room '\(id)' in '\(parent.config.alias)'" + (names.isEmpty ? "; it has none" : "; it has: " + names.joined(separator: ", "))
    }

    /// Opens a room under `parent`; returns it.
    mutating func openRoom(_ parent: ConferenceState, name: String, guestsAllowedToLeave: Bool) -> ConferenceState {
        var config = parent.config
        config.name = name
        config.participants = []
        var room = ConferenceState(config: config)
        room.breakout = BreakoutInfo(uuid: TokenGenerator.uuid(), name: name, parentKey: parent.key,
                                     guestsAllowedToLeave: guestsAllowedToLeave)
        room.status.breakoutRooms = false
        conferences[room.key] = room
        conferences[parent.key]?.status.breakoutRooms = true
        recordAction("breakout_open", alias: parent.config.alias, detail: "\(name) (\(room.breakout!.uuid))")
        return room
    }

    /// Moves participant `uuid` of the parent (or a room of it) into `room`, or back to the
    /// parent when `room` is nil.
    mutating func move(_ uuid: String, parent: ConferenceState, to room: ConferenceState?) {
        guard let p = participants[uuid] else { return }
        let mainUUID = p.proxyFor ?? uuid
        // Out of the room it is in, if any (a client: through its identity there).
        let current = p.proxyFor != nil ? conferences[p.conferenceKey]
            : rooms(of: parent.key).first { identity(of: uuid, in: $0) != nil || ($0.order.contains(uuid)) }
        if let current, current.key == room?.key { return }
        if let current, let info = current.breakout {
            if let main = participants[mainUUID], !main.simulated, let id = identity(of: mainUUID, in: current) {
                if room == nil {
                    deliver(to: mainUUID, event: EventName.breakoutRefer,
                            data: WireJSON.text(BreakoutRefer(breakoutUUID: "main", breakoutName: parent.config.name)))
                }
                leave(id)
                deliver(to: mainUUID, event: EventName.breakoutEnd,
                        data: WireJSON.text(BreakoutBoundary(breakoutUUID: info.uuid, participantUUID: id)))
            } else if p.simulated {
                relocate(uuid, to: parent.key)
            }
        }
        guard let room, let info = room.breakout, let main = participants[mainUUID] else { return }
        recordAction("breakout_move", participant: mainUUID, alias: parent.config.alias, detail: info.name)
        if main.simulated {
            relocate(mainUUID, to: room.key)
            return
        }
        let id = TokenGenerator.uuid()
        var me = ParticipantState(uuid: id, displayName: main.displayName, role: main.role, conferenceKey: room.key,
                                  receptionKey: nil, dialledAlias: main.dialledAlias, simulated: false,
                                  callTag: main.callTag, vendor: main.vendor, serviceType: main.serviceType)
        me.proxyFor = mainUUID
        join(me)
        deliver(to: mainUUID, event: EventName.breakoutBegin,
                data: WireJSON.text(BreakoutBoundary(breakoutUUID: info.uuid, participantUUID: id)))
        sendRoomSync(to: id)
        deliver(to: mainUUID, event: EventName.breakoutRefer,
                data: WireJSON.text(BreakoutRefer(breakoutUUID: info.uuid, breakoutName: info.name)))
    }

    /// The room's sync bracket to a client's identity there (wrapped, on its main streams).
    mutating func sendRoomSync(to id: String) {
        guard let room = participants[id].flatMap({ conferences[$0.conferenceKey] }) else { return }
        _ = deliver(to: id, event: EventName.conferenceUpdate, data: WireJSON.text(room.status))
        _ = deliver(to: id, event: EventName.participantSyncBegin, data: "null")
        for member in room.order where participants[member] != nil {
            _ = deliver(to: id, event: EventName.participantCreate, data: participantJSON(member))
        }
        _ = deliver(to: id, event: EventName.participantSyncEnd, data: "null")
    }

    /// A simulated participant changes conference: it leaves one and joins the other, same uuid.
    private mutating func relocate(_ uuid: String, to key: String) {
        guard let p = participants[uuid] else { return }
        leave(uuid)
        let moved = ParticipantState(uuid: uuid, displayName: p.displayName, role: p.role, conferenceKey: key,
                                     receptionKey: nil, dialledAlias: p.dialledAlias, simulated: true,
                                     callTag: p.callTag, vendor: p.vendor, serviceType: p.serviceType)
        join(moved)
    }

    /// Ends `room`: everyone in it goes back to the parent, and the room is gone.
    mutating func closeRoom(_ room: ConferenceState) {
        guard let info = room.breakout, let parent = conferences[info.parentKey] else { return }
        recordAction("breakout_close", alias: parent.config.alias, detail: info.name)
        for member in room.order { move(member, parent: parent, to: nil) }
        conferences.removeValue(forKey: room.key)
        if rooms(of: parent.key).isEmpty { conferences[parent.key]?.status.breakoutRooms = false }
    }

    /// A client that leaves (or is removed) leaves its rooms too.
    mutating func leaveRooms(of uuid: String) {
        guard let key = participants[uuid]?.conferenceKey else { return }
        for room in rooms(of: key) {
            if let id = identity(of: uuid, in: room) { leave(id) }
        }
    }
}

/// `breakout_begin` / `breakout_end`: `{"breakout_uuid", "participant_uuid"}` (the client's uuid in the room).
struct BreakoutBoundary: Codable, Sendable, WireEncodable {
    let breakoutUUID: String
    let participantUUID: String

    enum CodingKeys: String, CodingKey { case breakoutUUID = "breakout_uuid", participantUUID = "participant_uuid" }

    func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("breakout_uuid", breakoutUUID)
            o.field("participant_uuid", participantUUID)
        }
    }
}

/// `breakout_refer`: `{"breakout_uuid", "breakout_name"}`: go to that room (`main`: back).
struct BreakoutRefer: Codable, Sendable, WireEncodable {
    let breakoutUUID: String
    let breakoutName: String

    enum CodingKeys: String, CodingKey { case breakoutUUID = "breakout_uuid", breakoutName = "breakout_name" }

    func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("breakout_name", breakoutName)
            o.field("breakout_uuid", breakoutUUID)
        }
    }
}

/// `live_captions`: `{"data", "is_final", "sent_time"}` (the Swift SDK's `LiveCaptions`).
struct LiveCaption: Codable, Sendable {
    let data: String
    let isFinal: Bool
    let sentTime: Double

    enum CodingKeys: String, CodingKey { case data, isFinal = "is_final", sentTime = "sent_time" }
}
