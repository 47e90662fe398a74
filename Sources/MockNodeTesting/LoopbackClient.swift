import Foundation
import MicroHTTP

/// What went wrong on a `LoopbackClient` connection.
public enum LoopbackClientError: Error, Equatable, CustomStringConvertible {
    case connectFailed(String)
    case timedOut
    case closedByPeer
    /// The server reset the connection (RST).
    case reset
    case malformed(String)

    init(_ failure: LoopbackSocket.Failure) {
        switch failure {
        case .connectFailed(let why): self = .connectFailed(why)
        case .timedOut: self = .timedOut
        case .closedByPeer: self = .closedByPeer
        case .reset: self = .reset
        }
    }

    public var description: String {
        switch self {
        case .connectFailed(let why): return "connect failed: \(why)"
        case .timedOut: return "timed out waiting for the server"
        case .closedByPeer: return "connection closed by the server"
        case .reset: return "connection reset by the server"
        case .malformed(let what): return "malformed response: \(what)"
        }
    }
}

/// A complete response read by `LoopbackClient`.
public struct LoopbackResponse: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: [UInt8]
    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// One piece of a chunked response body as `LoopbackClient` sees it.
public enum ChunkRead: Equatable, Sendable {
    /// Bytes of the body.
    case data([UInt8])
    /// The terminating chunk: the server ended the body cleanly.
    case end
    /// The connection closed without a terminating chunk: a cut stream.
    case cut
    /// The connection was reset (RST).
    case reset
}

/// A deliberately plain, blocking HTTP/1.1 client over one TCP connection,
/// for tests and tools that need to see the wire exactly: raw bytes out,
/// chunk boundaries and clean-versus-cut stream ends in.
public final class LoopbackClient {
    private let socket: LoopbackSocket
    private var buffer: [UInt8] = []
    /// The `Host` header of its requests: `host:port`, as a browser sends it.
    private let authority: String
    /// Seconds any single read may wait.
    public var timeout: Double

    /// Connects to `host:port` (numeric IPv4); `receiveBuffer` sets SO_RCVBUF (e.g. small,
    /// to play a peer that does not read).
    public init(host: String = "127.0.0.1", port: UInt16, timeout: Double = 10, receiveBuffer: Int? = nil) throws {
        self.timeout = timeout
        authority = "\(host):\(port)"
        do {
            socket = try LoopbackSocket(host: host, port: port, receiveBuffer: receiveBuffer)
        } catch let failure as LoopbackSocket.Failure {
            throw LoopbackClientError(failure)
        }
    }

    /// Closes the connection (idempotent).
    public func close() { socket.close() }

    /// Writes raw bytes.
    public func send(_ bytes: [UInt8]) throws {
        do { try socket.send(bytes) } catch let failure as LoopbackSocket.Failure { throw LoopbackClientError(failure) }
    }

    /// Writes a request. Adds Host and, with a body, Content-Length.
    public func sendRequest(method: String, target: String, headers: [(String, String)] = [],
                            body: [UInt8] = [], keepAlive: Bool = true) throws {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(authority)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        if !keepAlive { head += "Connection: close\r\n" }
        head += "\r\n"
        try send(Array(head.utf8) + body)
    }

    /// Reads a status line and header fields.
    public func readHead() throws -> (status: Int, headers: HTTPHeaders) {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw LoopbackClientError.malformed("status line '\(statusLine)'")
        }
        var headers = HTTPHeaders()
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw LoopbackClientError.malformed("header '\(line)'") }
            headers.add(String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return (status, headers)
    }

    /// Reads a whole response (Content-Length, chunked, or until close).
    public func readResponse() throws -> LoopbackResponse {
        let (status, headers) = try readHead()
        var body: [UInt8] = []
        if headers["Transfer-Encoding"]?.lowercased().contains("chunked") == true {
            loop: while true {
                switch try readChunk() {
                case .data(let d): body += d
                case .end: break loop
                case .cut: throw LoopbackClientError.closedByPeer
                case .reset: throw LoopbackClientError.reset
                }
            }
        } else if let length = headers["Content-Length"].flatMap({ Int($0) }) {
            body = try readExactly(length)
        } else if status != 204 && status != 304 {
            body = readUntilClose()
        }
        return LoopbackResponse(status: status, headers: headers, body: body)
    }

    /// Reads the next chunk of a chunked body.
    public func readChunk() throws -> ChunkRead {
        let sizeLine: String
        do { sizeLine = try readLine() } catch LoopbackClientError.closedByPeer { return .cut } catch LoopbackClientError.reset { return .reset }
        let hex = sizeLine.split(separator: ";").first.map(String.init) ?? ""
        guard let size = Int(hex.trimmingCharacters(in: .whitespaces), radix: 16) else {
            throw LoopbackClientError.malformed("chunk size '\(sizeLine)'")
        }
        if size == 0 {
            while try !readLine().isEmpty {}
            return .end
        }
        let data: [UInt8]
        do { data = try readExactly(size) } catch LoopbackClientError.closedByPeer { return .cut } catch LoopbackClientError.reset { return .reset }
        _ = try readLine()
        return .data(data)
    }

    /// Reads whatever arrives until the server closes (or the timeout passes).
    public func readUntilClose() -> [UInt8] {
        var out = buffer
        buffer = []
        while let more = try? fill(), !more.isEmpty { out += more }
        return out
    }

    // MARK: - reading

    private func fill() throws -> [UInt8] {
        do { return try socket.receive(timeout: timeout) } catch let failure as LoopbackSocket.Failure {
            throw LoopbackClientError(failure)
        }
    }

    private func readLine() throws -> String {
        while true {
            if let lf = buffer.firstIndex(of: 10) {
                var line = Array(buffer[..<lf])
                buffer.removeSubrange(...lf)
                if line.last == 13 { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            let more = try fill()
            if more.isEmpty { throw LoopbackClientError.closedByPeer }
            buffer += more
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            let more = try fill()
            if more.isEmpty { throw LoopbackClientError.closedByPeer }
            buffer += more
        }
        let out = Array(buffer[..<count])
        buffer.removeSubrange(..<count)
        return out
    }

    /// One request on a fresh connection, read to the end.
    public static func request(port: UInt16, method: String = "GET", target: String,
                               headers: [(String, String)] = [], body: [UInt8] = [],
                               timeout: Double = 10) throws -> LoopbackResponse {
        let client = try LoopbackClient(port: port, timeout: timeout)
        defer { client.close() }
        try client.sendRequest(method: method, target: target, headers: headers, body: body, keepAlive: false)
        return try client.readResponse()
    }
}
