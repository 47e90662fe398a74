import Foundation

// The flat fields of a journal entry, each read from and written to the payload of the kinds
// that carry it (nil on the others), and the JSON: one object with `kind` and the fields set,
// the same on the wire (`GET /_mock/journal`) and in reports.
extension JournalEntry {
    public var method: String? {
        get { if case .request(let x) = payload { return x.method }; return nil }
        set {
            guard case .request(var x) = payload else { return misplaced("method") }
            x.method = newValue
            payload = .request(x)
        }
    }

    public var path: String? {
        get { if case .request(let x) = payload { return x.path }; return nil }
        set {
            guard case .request(var x) = payload else { return misplaced("path") }
            x.path = newValue
            payload = .request(x)
        }
    }

    public var query: [Field]? {
        get { if case .request(let x) = payload { return x.query }; return nil }
        set {
            guard case .request(var x) = payload else { return misplaced("query") }
            x.query = newValue
            payload = .request(x)
        }
    }

    public var headers: [Field]? {
        get { if case .request(let x) = payload { return x.headers }; return nil }
        set {
            guard case .request(var x) = payload else { return misplaced("headers") }
            x.headers = newValue
            payload = .request(x)
        }
    }

    public var body: String? {
        get { if case .request(let x) = payload { return x.body }; return nil }
        set {
            guard case .request(var x) = payload else { return misplaced("body") }
            x.body = newValue
            payload = .request(x)
        }
    }

    public var status: Int? {
        get { if case .request(let x) = payload { return x.status }; return nil }
        set {
            guard case .request(var x) = payload else { return misplaced("status") }
            x.status = newValue
            payload = .request(x)
        }
    }

    public var response: String? {
        get { if case .request(let x) = payload { return x.response }; return nil }
        set {
            guard case .request(var x) = payload else { return misplaced("response") }
            x.response = newValue
            payload = .request(x)
        }
    }

    public var remote: String? {
        get { if case .request(let x) = payload { return x.remote }; return nil }
        set {
            guard case .request(var x) = payload else { return misplaced("remote") }
            x.remote = newValue
            payload = .request(x)
        }
    }

    public var fault: String? {
        get { if case .request(let x) = payload { return x.fault }; return nil }
        set {
            guard case .request(var x) = payload else { return misplaced("fault") }
            x.fault = newValue
            payload = .request(x)
        }
    }

    public var received: Double? {
        get { if case .request(let x) = payload { return x.received }; return nil }
        set {
            guard case .request(var x) = payload else { return misplaced("received") }
            x.received = newValue
            payload = .request(x)
        }
    }

    public var alias: String? {
        get {
            switch payload {
            case .request(let x): return x.alias
            case .streamOpen(let x): return x.alias
            case .action(let x): return x.alias
            default: return nil
            }
        }
        set {
            switch payload {
            case .request(var x): x.alias = newValue; payload = .request(x)
            case .streamOpen(var x): x.alias = newValue; payload = .streamOpen(x)
            case .action(var x): x.alias = newValue; payload = .action(x)
            default: misplaced("alias")
            }
        }
    }

    public var participant: String? {
        get {
            switch payload {
            case .request(let x): return x.participant
            case .event(let x): return x.participant
            case .streamOpen(let x): return x.participant
            case .streamClose(let x): return x.participant
            case .action(let x): return x.participant
            default: return nil
            }
        }
        set {
            switch payload {
            case .request(var x): x.participant = newValue; payload = .request(x)
            case .event(var x): x.participant = newValue; payload = .event(x)
            case .streamOpen(var x): x.participant = newValue; payload = .streamOpen(x)
            case .streamClose(var x): x.participant = newValue; payload = .streamClose(x)
            case .action(var x): x.participant = newValue; payload = .action(x)
            default: misplaced("participant")
            }
        }
    }

    public var stream: Int? {
        get {
            switch payload {
            case .request(let x): return x.stream
            case .event(let x): return x.stream
            case .streamOpen(let x): return x.stream
            case .streamClose(let x): return x.stream
            default: return nil
            }
        }
        set {
            switch payload {
            case .request(var x): x.stream = newValue; payload = .request(x)
            case .event(var x): x.stream = newValue; payload = .event(x)
            case .streamOpen(var x): x.stream = newValue; payload = .streamOpen(x)
            case .streamClose(var x): x.stream = newValue; payload = .streamClose(x)
            default: misplaced("stream")
            }
        }
    }

    public var event: String? {
        get { if case .event(let x) = payload { return x.event }; return nil }
        set {
            guard case .event(var x) = payload else { return misplaced("event") }
            x.event = newValue
            payload = .event(x)
        }
    }

    public var id: String? {
        get { if case .event(let x) = payload { return x.id }; return nil }
        set {
            guard case .event(var x) = payload else { return misplaced("id") }
            x.id = newValue
            payload = .event(x)
        }
    }

    public var data: String? {
        get {
            switch payload {
            case .event(let x): return x.data
            case .note(let x): return x.data
            default: return nil
            }
        }
        set {
            switch payload {
            case .event(var x): x.data = newValue; payload = .event(x)
            case .note(var x): x.data = newValue; payload = .note(x)
            default: misplaced("data")
            }
        }
    }

    public var delivered: Bool? {
        get { if case .event(let x) = payload { return x.delivered }; return nil }
        set {
            guard case .event(var x) = payload else { return misplaced("delivered") }
            x.delivered = newValue
            payload = .event(x)
        }
    }

    public var reason: String? {
        get { if case .streamClose(let x) = payload { return x.reason }; return nil }
        set {
            guard case .streamClose(var x) = payload else { return misplaced("reason") }
            x.reason = newValue
            payload = .streamClose(x)
        }
    }

    public var action: String? {
        get {
            switch payload {
            case .action(let x): return x.action
            case .note(let x): return x.action
            default: return nil
            }
        }
        set {
            switch payload {
            case .action(var x): x.action = newValue; payload = .action(x)
            case .note(var x): x.action = newValue; payload = .note(x)
            default: misplaced("action")
            }
        }
    }

    public var detail: String? {
        get {
            switch payload {
            case .request(let x): return x.detail
            case .action(let x): return x.detail
            default: return nil
            }
        }
        set {
            switch payload {
            case .request(var x): x.detail = newValue; payload = .request(x)
            case .action(var x): x.detail = newValue; payload = .action(x)
            default: misplaced("detail")
            }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(kind, forKey: .kind)
        try c.encode(t, forKey: .t)
        try c.encode(wall, forKey: .wall)
        switch payload {
        case .request(let x):
            try c.encodeIfPresent(x.method, forKey: .method)
            try c.encodeIfPresent(x.path, forKey: .path)
            try c.encodeIfPresent(x.query, forKey: .query)
            try c.encodeIfPresent(x.headers, forKey: .headers)
            try c.encodeIfPresent(x.body, forKey: .body)
            try c.encodeIfPresent(x.status, forKey: .status)
            try c.encodeIfPresent(x.response, forKey: .response)
            try c.encodeIfPresent(x.remote, forKey: .remote)
            try c.encodeIfPresent(x.fault, forKey: .fault)
            try c.encodeIfPresent(x.received, forKey: .received)
            try c.encodeIfPresent(x.alias, forKey: .alias)
            try c.encodeIfPresent(x.participant, forKey: .participant)
            try c.encodeIfPresent(x.stream, forKey: .stream)
            try c.encodeIfPresent(x.detail, forKey: .detail)
        case .event(let x):
            try c.encodeIfPresent(x.participant, forKey: .participant)
            try c.encodeIfPresent(x.stream, forKey: .stream)
            try c.encodeIfPresent(x.event, forKey: .event)
            try c.encodeIfPresent(x.id, forKey: .id)
            try c.encodeIfPresent(x.data, forKey: .data)
            try c.encodeIfPresent(x.delivered, forKey: .delivered)
        case .streamOpen(let x):
            try c.encodeIfPresent(x.alias, forKey: .alias)
            try c.encodeIfPresent(x.participant, forKey: .participant)
            try c.encodeIfPresent(x.stream, forKey: .stream)
        case .streamClose(let x):
            try c.encodeIfPresent(x.participant, forKey: .participant)
            try c.encodeIfPresent(x.stream, forKey: .stream)
            try c.encodeIfPresent(x.reason, forKey: .reason)
        case .action(let x):
            try c.encodeIfPresent(x.alias, forKey: .alias)
            try c.encodeIfPresent(x.participant, forKey: .participant)
            try c.encodeIfPresent(x.action, forKey: .action)
            try c.encodeIfPresent(x.detail, forKey: .detail)
        case .note(let x):
            try c.encodeIfPresent(x.data, forKey: .data)
            try c.encodeIfPresent(x.action, forKey: .action)
        }
        try c.encodeIfPresent(cut, forKey: .cut)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seq = try c.decode(Int.self, forKey: .seq)
        t = try c.decode(Double.self, forKey: .t)
        wall = try c.decode(Double.self, forKey: .wall)
        cut = try c.decodeIfPresent([String: Int].self, forKey: .cut)
        switch try c.decode(Kind.self, forKey: .kind) {
        case .request:
            payload = .request(Request(
                method: try c.decodeIfPresent(String.self, forKey: .method),
                path: try c.decodeIfPresent(String.self, forKey: .path),
                query: try c.decodeIfPresent([Field].self, forKey: .query),
                headers: try c.decodeIfPresent([Field].self, forKey: .headers),
                body: try c.decodeIfPresent(String.self, forKey: .body),
                status: try c.decodeIfPresent(Int.self, forKey: .status),
                response: try c.decodeIfPresent(String.self, forKey: .response),
                remote: try c.decodeIfPresent(String.self, forKey: .remote),
                fault: try c.decodeIfPresent(String.self, forKey: .fault),
                received: try c.decodeIfPresent(Double.self, forKey: .received),
                alias: try c.decodeIfPresent(String.self, forKey: .alias),
                participant: try c.decodeIfPresent(String.self, forKey: .participant),
                stream: try c.decodeIfPresent(Int.self, forKey: .stream),
                detail: try c.decodeIfPresent(String.self, forKey: .detail)))
        case .event:
            payload = .event(Event(
                participant: try c.decodeIfPresent(String.self, forKey: .participant),
                stream: try c.decodeIfPresent(Int.self, forKey: .stream),
                event: try c.decodeIfPresent(String.self, forKey: .event),
                id: try c.decodeIfPresent(String.self, forKey: .id),
                data: try c.decodeIfPresent(String.self, forKey: .data),
                delivered: try c.decodeIfPresent(Bool.self, forKey: .delivered)))
        case .streamOpen:
            payload = .streamOpen(StreamOpen(
                alias: try c.decodeIfPresent(String.self, forKey: .alias),
                participant: try c.decodeIfPresent(String.self, forKey: .participant),
                stream: try c.decodeIfPresent(Int.self, forKey: .stream)))
        case .streamClose:
            payload = .streamClose(StreamClose(
                participant: try c.decodeIfPresent(String.self, forKey: .participant),
                stream: try c.decodeIfPresent(Int.self, forKey: .stream),
                reason: try c.decodeIfPresent(String.self, forKey: .reason)))
        case .action:
            payload = .action(Action(
                alias: try c.decodeIfPresent(String.self, forKey: .alias),
                participant: try c.decodeIfPresent(String.self, forKey: .participant),
                action: try c.decodeIfPresent(String.self, forKey: .action),
                detail: try c.decodeIfPresent(String.self, forKey: .detail)))
        case .note:
            payload = .note(Note(
                data: try c.decodeIfPresent(String.self, forKey: .data),
                action: try c.decodeIfPresent(String.self, forKey: .action)))
        }
    }

    /// Bytes of the payload's text, for the footprint.
    var payloadBytes: Int {
        var n = 0
        @inline(__always) func add(_ text: String?) { if let text { n += text.utf8.count } }
        @inline(__always) func add(_ list: [Field]?) { if let list { for f in list { n += f.name.utf8.count + f.value.utf8.count + 32 } } }
        switch payload {
        case .request(let x):
            add(x.method); add(x.path); add(x.query); add(x.headers); add(x.body); add(x.response); add(x.remote); add(x.fault); add(x.alias); add(x.participant); add(x.detail)
        case .event(let x):
            add(x.participant); add(x.event); add(x.id); add(x.data)
        case .streamOpen(let x):
            add(x.alias); add(x.participant)
        case .streamClose(let x):
            add(x.participant); add(x.reason)
        case .action(let x):
            add(x.alias); add(x.participant); add(x.action); add(x.detail)
        case .note(let x):
            add(x.data); add(x.action)
        }
        return n
    }
}
