/// Just enough of the DNS wire format (RFC 1035, RFC 2782) for node
/// discovery: build a query, read SRV, A and AAAA answers.
enum DNSMessage {
    static let typeA: UInt16 = 1
    static let typeAAAA: UInt16 = 28
    static let typeSRV: UInt16 = 33

    struct SRV: Equatable, Sendable {
        var priority: UInt16
        var weight: UInt16
        var port: UInt16
        var target: String
    }

    enum RData: Equatable, Sendable {
        case address(String)
        case srv(SRV)
        case other
    }

    struct Record: Equatable, Sendable {
        var name: String
        var type: UInt16
        var data: RData
    }

    struct Reply: Sendable {
        var id: UInt16
        var rcode: Int
        var answers: [Record]
        var additional: [Record]
    }

    struct Malformed: Error {}

    /// A recursive query for `name` of `type`, class IN.
    static func query(id: UInt16, name: String, type: UInt16) -> [UInt8] {
        var out: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") where !label.isEmpty {
            let bytes = Array(label.utf8.prefix(63))
            out.append(UInt8(bytes.count))
            out += bytes
        }
        out += [0, UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
        return out
    }

    static func parse(_ b: [UInt8]) throws -> Reply {
        guard b.count >= 12 else { throw Malformed() }
        func u16(_ i: Int) throws -> UInt16 {
            guard i + 1 < b.count else { throw Malformed() }
            return UInt16(b[i]) << 8 | UInt16(b[i + 1])
        }
        func name(_ start: Int) throws -> (String, Int) {
            var labels: [String] = []
            var i = start, end: Int?, jumps = 0
            while true {
                guard i < b.count else { throw Malformed() }
                let len = Int(b[i])
                if len == 0 { i += 1; break }
                if len & 0xC0 == 0xC0 {
                    guard i + 1 < b.count, jumps < 32 else { throw Malformed() }
                    if end == nil { end = i + 2 }
                    i = (len & 0x3F) << 8 | Int(b[i + 1])
                    jumps += 1
                    continue
                }
                guard i + 1 + len <= b.count else { throw Malformed() }
                labels.append(String(decoding: b[(i + 1)..<(i + 1 + len)], as: UTF8.self))
                i += 1 + len
            }
            return (labels.joined(separator: "."), end ?? i)
        }
        let id = try u16(0)
        let rcode = Int(b[3] & 0x0F)
        let qd = Int(try u16(4)), an = Int(try u16(6)), ns = Int(try u16(8)), ar = Int(try u16(10))
        var i = 12
        for _ in 0..<qd { i = try name(i).1 + 4 }
        func records(_ count: Int) throws -> [Record] {
            var out: [Record] = []
            for _ in 0..<count {
                let (owner, next) = try name(i)
                let type = try u16(next)
                let length = Int(try u16(next + 8))
                let rdata = next + 10
                guard rdata + length <= b.count else { throw Malformed() }
                var data = RData.other
                if type == typeA, length == 4 {
                    data = .address(b[rdata..<rdata + 4].map(String.init).joined(separator: "."))
                } else if type == typeAAAA, length == 16 {
                    let groups = stride(from: rdata, to: rdata + 16, by: 2).map { String(UInt16(b[$0]) << 8 | UInt16(b[$0 + 1]), radix: 16) }
                    data = .address(groups.joined(separator: ":"))
                } else if type == typeSRV, length >= 7 {
                    data = .srv(SRV(priority: try u16(rdata), weight: try u16(rdata + 2), port: try u16(rdata + 4),
                                    target: try name(rdata + 6).0))
                }
                out.append(Record(name: owner, type: type, data: data))
                i = rdata + length
            }
            return out
        }
        let answers = try records(an)
        _ = try records(ns)
        let additional = try records(ar)
        return Reply(id: id, rcode: rcode, answers: answers, additional: additional)
    }
}
