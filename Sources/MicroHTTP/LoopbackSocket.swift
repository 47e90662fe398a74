import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP connection to a numeric IPv4 address: the socket calls (and their
/// pointers) under `MockNodeTesting.LoopbackClient`, which speaks HTTP over it.
/// Package-only: tests and tools of this package reach it through that client.
package final class LoopbackSocket {
    package enum Failure: Error, Equatable {
        case connectFailed(String)
        case timedOut
        case closedByPeer
        /// The peer reset the connection (RST).
        case reset
    }

    private var fd: Int32

    /// Connects to `host:port`; `receiveBuffer` sets SO_RCVBUF (e.g. small, to play a peer
    /// that does not read).
    package init(host: String, port: UInt16, receiveBuffer: Int? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.connectFailed(String(cString: strerror(errno))) }
        if let receiveBuffer {
            var size = Int32(receiveBuffer)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            Glibc.close(fd)
            throw Failure.connectFailed("bad address \(host)")
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let why = String(cString: strerror(errno))
            Glibc.close(fd)
            throw Failure.connectFailed(why)
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close() }

    /// Closes the connection (idempotent).
    package func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Writes all of `bytes`.
    package func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { throw Failure.closedByPeer }
            sent += n
        }
    }

    /// The next bytes that arrive within `timeout` seconds; empty once the peer has closed.
    package func receive(timeout: Double) throws -> [UInt8] {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, Int32(timeout * 1000))
        if ready == 0 { throw Failure.timedOut }
        if ready < 0 { throw Failure.closedByPeer }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw errno == ECONNRESET ? Failure.reset : Failure.closedByPeer }
        return Array(chunk[0..<n])
    }
}
