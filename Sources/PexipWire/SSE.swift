/// One server-sent event as dispatched by a W3C event-stream parser.
public struct SSEEvent: Sendable, Equatable {
    /// The `event:` name; "message" when the event had none.
    public var event: String
    /// The `data:` lines joined with LF.
    public var data: String
    /// The last event ID in effect when the event was dispatched.
    public var id: String

    public init(event: String, data: String, id: String = "") {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// Writes events in the text/event-stream format.
public enum SSEEncoder {
    /// `id:` (if any), `event:`, one `data:` line per line of `data`, blank line.
    public static func encode(event: String, data: String, id: String? = nil) -> String {
        var out = ""
        if let id { out += "id: \(id)\n" }
        out += "event: \(event)\n"
        var start = data.startIndex
        var i = data.startIndex
        while i < data.endIndex {
            let c = data[i]
            if c == "\n" || c == "\r" || c == "\r\n" {
                out += "data: \(data[start..<i])\n"
                start = data.index(after: i)
            }
            i = data.index(after: i)
        }
        out += "data: \(data[start...])\n\n"
        return out
    }

    /// `encode(event:data:)` as UTF-8 bytes, in one pass over the data's bytes (what a
    /// broadcast writes to every stream).
    public static func encodeBytes(event: String, data: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(event.utf8.count + data.utf8.count + 16)
        out.append(contentsOf: eventPrefix)
        out.append(contentsOf: event.utf8)
        out.append(10)
        let bytes = Array(data.utf8)
        var start = 0, i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 10 || b == 13 {
                out.append(contentsOf: dataPrefix)
                out.append(contentsOf: bytes[start..<i])
                out.append(10)
                if b == 13, i + 1 < bytes.count, bytes[i + 1] == 10 { i += 1 }
                start = i + 1
            }
            i += 1
        }
        out.append(contentsOf: dataPrefix)
        out.append(contentsOf: bytes[start...])
        out.append(10)
        out.append(10)
        return out
    }

    private static let eventPrefix = Array("event: ".utf8)
    private static let dataPrefix = Array("data: ".utf8)

    /// The `id:` line alone, to put before a shared `encode(event:data:)` body.
    public static func idLine(_ id: String) -> String { "id: \(id)\n" }

    /// A comment line (ignored by parsers; used as a heartbeat).
    public static func comment(_ text: String) -> String { ": \(text)\n\n" }
}

/// An incremental parser for text/event-stream bytes that follows the W3C
/// (WHATWG HTML) rules: CR, LF and CRLF line ends, even split across chunks;
/// multi-line data; comments; `id` (ignored when it contains NUL); `retry`
/// (ASCII digits only); the first byte-order mark stripped, no other; an
/// event cut off by the end of the stream is never dispatched.
public struct SSEParser: Sendable {
    /// The reconnection time from the last valid `retry:` field, in ms.
    public private(set) var retry: Int?
    /// The last event ID buffer.
    public private(set) var lastEventID = ""
    /// Comments seen so far (text after the colon), oldest first, for callers that care.
    public private(set) var commentCount = 0

    private var line: [UInt8] = []
    private var pendingCR = false
    private var bomState = 0  // 0: nothing seen yet, 1..2: BOM bytes matched, 3: done
    private var bomHeld: [UInt8] = []
    private var data = ""
    private var hasData = false
    private var eventType = ""
    private var idBuffer = ""

    public init() {}

    /// Feeds bytes; returns the events they complete, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [SSEEvent] {
        var events: [SSEEvent] = []
        for byte in bytes {
            if bomState < 3 {
                let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
                if byte == bom[bomState] {
                    bomHeld.append(byte)
                    bomState += 1
                    if bomState == 3 { bomHeld = [] }
                    continue
                }
                bomState = 3
                let held = bomHeld
                bomHeld = []
                for b in held { consume(b, into: &events) }
            }
            consume(byte, into: &events)
        }
        return events
    }

    /// Feeds text.
    public mutating func feed(_ text: String) -> [SSEEvent] { feed(Array(text.utf8)) }

    /// The stream ended: whatever event was being built is discarded.
    public mutating func finish() {
        line = []
        pendingCR = false
        data = ""
        hasData = false
        eventType = ""
    }

    private mutating func consume(_ byte: UInt8, into events: inout [SSEEvent]) {
        if pendingCR {
            pendingCR = false
            if byte == 10 { return }  // the LF of a CRLF
        }
        switch byte {
        case 13:
            pendingCR = true
            endLine(into: &events)
        case 10:
            endLine(into: &events)
        default:
            line.append(byte)
        }
    }

    private mutating func endLine(into events: inout [SSEEvent]) {
        let text = String(decoding: line, as: UTF8.self)
        line = []
        if text.isEmpty {
            dispatch(into: &events)
            return
        }
        if text.hasPrefix(":") {
            commentCount += 1
            return
        }
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = text[...]
            value = ""
        }
        switch field {
        case "event":
            eventType = String(value)
        case "data":
            data += value
            data += "\n"
            hasData = true
        case "id":
            if !value.contains("\0") { idBuffer = String(value) }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ $0.isASCII && $0.isNumber }), let ms = Int(value) {
                retry = ms
            }
        default:
            break
        }
    }

    private mutating func dispatch(into events: inout [SSEEvent]) {
        lastEventID = idBuffer
        guard hasData else {
            data = ""
            eventType = ""
            return
        }
        if data.hasSuffix("\n") { data.removeLast() }
        events.append(SSEEvent(event: eventType.isEmpty ? "message" : eventType, data: data, id: lastEventID))
        data = ""
        hasData = false
        eventType = ""
    }
}
