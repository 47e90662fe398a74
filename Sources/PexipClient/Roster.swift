import PexipWire

/// The conference's participants as the event stream describes them: the
/// sync bracket (`participant_sync_begin` … `participant_sync_end`) replaces
/// the roster on every (re)connect; create/update/delete events change it.
public struct Roster: Sendable, Equatable {
    /// Participants in the order the node listed or added them.
    public private(set) var participants: [Participant] = []
    private var syncing: [Participant]?

    public init() {}

    /// Whether a sync bracket is open.
    public var isSyncing: Bool { syncing != nil }

    /// Applies one event; returns true when the roster as the app sees it changed
    /// (a finished sync counts as a change, even if nobody came or went).
    public mutating func apply(_ event: SSEEvent) -> Bool {
        switch event.event {
        case EventName.participantSyncBegin:
            syncing = []
            return false
        case EventName.participantSyncEnd:
            guard let synced = syncing else { return false }
            participants = synced
            syncing = nil
            return true
        case EventName.participantCreate, EventName.participantUpdate:
            guard let p = decode(Participant.self, event.data) else { return false }
            if syncing != nil {
                upsert(p, into: &syncing!)
                return false
            }
            upsert(p, into: &participants)
            return true
        case EventName.participantDelete:
            guard let gone = decode(ParticipantDeleted.self, event.data) else { return false }
            if syncing != nil {
                syncing!.removeAll { $0.uuid == gone.uuid }
                return false
            }
            let before = participants.count
            participants.removeAll { $0.uuid == gone.uuid }
            return participants.count != before
        default:
            return false
        }
    }

    private func upsert(_ p: Participant, into list: inout [Participant]) {
        if let i = list.firstIndex(where: { $0.uuid == p.uuid }) { list[i] = p } else { list.append(p) }
    }
}

func decode<T: Decodable>(_ type: T.Type, _ json: String) -> T? {
    try? WireJSON.decoder.decode(T.self, from: Data(json.utf8))
}

import Foundation
