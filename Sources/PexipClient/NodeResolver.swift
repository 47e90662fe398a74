import CUDPExchange
import Foundation

/// Finds the Conferencing Nodes for `alias@domain` (§7): DNS SRV records
/// `_pexapp._tcp.<domain>` in priority and weight order, else the domain's
/// own address on port 443. Queries go to a DNS server you name (e.g. one a
/// test started on loopback) or to the system's first nameserver.
public struct NodeResolver: Sendable {
    /// The DNS server asked, as a numeric address and port.
    public let server: (host: String, port: UInt16)
    /// Seconds to wait for each answer.
    public var timeout: Double = 3

    /// Asks `server` ("127.0.0.1:5353", "[::1]:53", or just an address for port 53),
    /// or the system's first nameserver when nil.
    public init(server: String? = nil) throws {
        if let server {
            guard let parsed = NodeResolver.parse(server) else {
                throw PexipClientError.protocolError("DNS server '\(server)' is not address:port")
            }
            self.server = parsed
        } else {
            var buffer = [CChar](repeating: 0, count: 256)
            mmcu_system_nameserver(&buffer, buffer.count)
            let host = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard !host.isEmpty else { throw PexipClientError.unreachable("no nameserver in /etc/resolv.conf") }
            self.server = (host, 53)
        }
    }

    static func parse(_ text: String) -> (host: String, port: UInt16)? {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, 53) }
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
            return (host, port)
        }
        let parts = text.split(separator: ":")
        if parts.count == 1 { return (text, 53) }
        guard parts.count == 2, let port = UInt16(parts[1]) else { return nil }
        return (String(parts[0]), port)
    }

    /// Node base URLs to try, best first. An SRV target on port 443 is
    /// reached over https, any other port over http (as Pexip's Swift SDK
    /// does); the fallback is `https://<domain's address>`.
    public func candidates(for domain: String) async throws -> [URL] {
        let srvName = "_pexapp._tcp.\(domain)"
        let reply = try await ask(srvName, DNSMessage.typeSRV)
        let records = reply.answers.compactMap { r -> DNSMessage.SRV? in
            if case .srv(let s) = r.data { return s } else { return nil }
        }.filter { $0.target != "" && $0.target != "." }
        var urls: [URL] = []
        for srv in NodeResolver.order(records) {
            let known = reply.additional.compactMap { r -> String? in
                guard r.name.lowercased() == srv.target.lowercased(), case .address(let a) = r.data else { return nil }
                return a
            }
            let addresses = known.isEmpty ? try await addresses(of: srv.target) : known
            for address in addresses {
                let scheme = srv.port == 443 ? "https" : "http"
                let host = address.contains(":") ? "[\(address)]" : address
                if let url = URL(string: "\(scheme)://\(host):\(srv.port)") { urls.append(url) }
            }
        }
        if !urls.isEmpty { return urls }
        let fallback = try await addresses(of: domain)
        guard !fallback.isEmpty else {
            throw PexipClientError.notFound("no _pexapp._tcp SRV record and no address for \(domain)")
        }
        return fallback.compactMap { URL(string: "https://\($0.contains(":") ? "[\($0)]" : $0)") }
    }

    func addresses(of name: String) async throws -> [String] {
        try await ask(name, DNSMessage.typeA).answers.compactMap {
            if case .address(let a) = $0.data { return a } else { return nil }
        }
    }

    /// RFC 2782 order: lower priority first; within a priority, a weighted
    /// random draw (weight 0 only after the others).
    static func order(_ records: [DNSMessage.SRV], using rng: inout some RandomNumberGenerator) -> [DNSMessage.SRV] {
        var out: [DNSMessage.SRV] = []
        for priority in Set(records.map(\.priority)).sorted() {
            var group = records.filter { $0.priority == priority }.sorted { $0.weight < $1.weight }
            while !group.isEmpty {
                let total = group.reduce(0) { $0 + Int($1.weight) }
                var pick = total == 0 ? 0 : Int.random(in: 0...total, using: &rng)
                var index = 0
                for (i, r) in group.enumerated() {
                    pick -= Int(r.weight)
                    if pick <= 0 && (r.weight > 0 || total == 0) { index = i; break }
                }
                out.append(group.remove(at: index))
            }
        }
        return out
    }

    static func order(_ records: [DNSMessage.SRV]) -> [DNSMessage.SRV] {
        var rng = SystemRandomNumberGenerator()
        return order(records, using: &rng)
    }

    private func ask(_ name: String, _ type: UInt16) async throws -> DNSMessage.Reply {
        let id = UInt16.random(in: 0...UInt16.max)
        let query = DNSMessage.query(id: id, name: name, type: type)
        let (host, port) = server
        let timeoutMS = Int32(timeout * 1000)
        let answer: [UInt8]? = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = mmcu_udp_exchange(host, port, query, query.count, &buffer, buffer.count, timeoutMS)
                continuation.resume(returning: n > 0 ? Array(buffer[0..<n]) : nil)
            }
        }
        guard let answer else { throw PexipClientError.unreachable("no answer from DNS server \(host):\(port) for \(name)") }
        let reply: DNSMessage.Reply
        do { reply = try DNSMessage.parse(answer) } catch {
            throw PexipClientError.protocolError("unreadable DNS answer for \(name)")
        }
        guard reply.id == id else { throw PexipClientError.protocolError("DNS answer for another query") }
        return reply
    }
}
