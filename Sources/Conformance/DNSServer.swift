import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real DNS server (dnsmasq, from Debian's `dnsmasq-base`) on a loopback
/// UDP port, serving the records of a discovery scenario, for as long as the
/// value lives.
public final class DNSServer: @unchecked Sendable {
    /// `127.0.0.1:PORT`, as the driver protocol's `dns.server` wants it.
    public let address: String
    private let process: Process
    private let pidFile: String

    /// dnsmasq's path.
    public static let program = "/usr/sbin/dnsmasq"

    /// Starts dnsmasq with `records` (dnsmasq options such as `--srv-host=…`, `--host-record=…`)
    /// on a free port; it answers nothing else.
    public init(records: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.program) else {
            throw ConformanceError("\(Self.program) is missing: install dnsmasq-base (Scripts/setup.sh does)")
        }
        var lastError = ""
        for _ in 0..<8 {
            let port = UInt16.random(in: 20000...60000)
            // Under a shell that stays (not `exec`): dnsmasq closes the descriptors it inherits,
            // and Foundation takes a child that closes them for one that exited, then waits for
            // it on the thread that notices every other child's exit (the client's too).
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "\"$0\" \"$@\"; exit $?", Self.program, "--keep-in-foreground", "--conf-file=/dev/null", "--port=\(port)", "--listen-address=127.0.0.1",
                           "--bind-interfaces", "--no-resolv", "--no-hosts",
                           "--pid-file=\(NSTemporaryDirectory())mockmcu-dnsmasq-\(port).pid"] + records
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            ChildRegistry.add(p.processIdentifier)
            if Self.waitUntilBound(port: port, while: p) {
                address = "127.0.0.1:\(port)"
                process = p
                pidFile = "\(NSTemporaryDirectory())mockmcu-dnsmasq-\(port).pid"
                return
            }
            Self.stop(p)
            lastError = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        throw ConformanceError("dnsmasq did not start: \(lastError)")
    }

    deinit {
        Self.stop(process)
        try? FileManager.default.removeItem(atPath: pidFile)
    }

    /// Stops the shell and dnsmasq (its own process group, as Foundation starts children).
    static func stop(_ p: Process) {
        if p.isRunning { kill(-p.processIdentifier, SIGTERM) }
        p.waitUntilExit()
        ChildRegistry.remove(p.processIdentifier)
    }

    /// Waits (up to 3 s) until the kernel shows a UDP socket bound to 127.0.0.1:`port`,
    /// or the process has exited (e.g. the port was taken).
    static func waitUntilBound(port: UInt16, while p: Process) -> Bool {
        let wanted = String(format: "0100007F:%04X", port)
        let deadline = Date().addingTimeInterval(3)
        while p.isRunning && Date() < deadline {
            if let table = try? String(contentsOfFile: "/proc/net/udp", encoding: .utf8),
               table.split(separator: "\n").contains(where: { $0.split(separator: " ").dropFirst().first == Substring(wanted) }) {
                return true
            }
            usleep(5_000)
        }
        return false
    }
}

/// A problem of the runner's own (not the client's).
public struct ConformanceError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
