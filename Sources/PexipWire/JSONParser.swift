/// A small, strict JSON parser (RFC 8259) into `JSONValue`, much faster than
/// going through `JSONDecoder` for the node's request bodies.
struct JSONParser {
    private let b: [UInt8]
    private var i = 0
    private var depth = 0

    struct Failure: Error {}

    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        var p = JSONParser(b: bytes)
        guard let v = try? p.value() else { return nil }
        p.skipSpace()
        return p.i == bytes.count ? v : nil
    }

    private init(b: [UInt8]) { self.b = b }

    private mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    private mutating func value() throws -> JSONValue {
        skipSpace()
        guard i < b.count else { throw Failure() }
        switch b[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return .number(try number())
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let w = word.withUTF8Buffer { Array($0) }
        guard i + w.count <= b.count, Array(b[i..<i + w.count]) == w else { throw Failure() }
        i += w.count
    }

    private mutating func object() throws -> JSONValue {
        depth += 1
        guard depth < 512 else { throw Failure() }
        defer { depth -= 1 }
        i += 1
        var out: [String: JSONValue] = [:]
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
        while true {
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw Failure() }
            let key = try string()
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw Failure() }
            i += 1
            out[key] = try value()
            skipSpace()
            guard i < b.count else { throw Failure() }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
            throw Failure()
        }
    }

    private mutating func array() throws -> JSONValue {
        depth += 1
        guard depth < 512 else { throw Failure() }
        defer { depth -= 1 }
        i += 1
        var out: [JSONValue] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
        while true {
            out.append(try value())
            skipSpace()
            guard i < b.count else { throw Failure() }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
            throw Failure()
        }
    }

    private mutating func string() throws -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < b.count, b[i] != UInt8(ascii: "\"") && b[i] != UInt8(ascii: "\\") {
            guard b[i] >= 0x20 else { throw Failure() }
            i += 1
        }
        guard i < b.count else { throw Failure() }
        if b[i] == UInt8(ascii: "\"") {
            defer { i += 1 }
            return try utf8(b[start..<i])
        }
        var out = Array(b[start..<i])
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; return try utf8(out[...]) }
            guard c >= 0x20 else { throw Failure() }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { throw Failure() }
            switch b[i] {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard i + 2 < b.count, b[i + 1] == UInt8(ascii: "\\"), b[i + 2] == UInt8(ascii: "u") else { throw Failure() }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw Failure() }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw Failure()
                }
                guard let u = Unicode.Scalar(scalar) else { throw Failure() }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw Failure()
            }
            i += 1
        }
        throw Failure()
    }

    /// Reads the 4 hex digits after `\u` (i is on the `u`; ends on the last digit).
    private mutating func hex4() throws -> UInt32 {
        guard i + 4 < b.count else { throw Failure() }
        var v: UInt32 = 0
        for k in 1...4 {
            let c = b[i + k]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw Failure()
            }
            v = v << 4 | d
        }
        i += 4
        return v
    }

    private func utf8(_ bytes: ArraySlice<UInt8>) throws -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else { throw Failure() }
        return s
    }

    private mutating func number() throws -> Double {
        let start = i
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count, (0x30...0x39).contains(b[i]) else { throw Failure() }
        if b[i] == 0x30 { i += 1 } else { while i < b.count, (0x30...0x39).contains(b[i]) { i += 1 } }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard i < b.count, (0x30...0x39).contains(b[i]) else { throw Failure() }
            while i < b.count, (0x30...0x39).contains(b[i]) { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count, (0x30...0x39).contains(b[i]) else { throw Failure() }
            while i < b.count, (0x30...0x39).contains(b[i]) { i += 1 }
        }
        // A number past the range of a Double (1e999) is refused: JSON has no infinity to write back.
        guard let d = Double(String(decoding: b[start..<i], as: UTF8.self)), d.isFinite else { throw Failure() }
        return d
    }
}
