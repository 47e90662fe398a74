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
            // Below the kernel's ephemeral range, so no client's passing UDP socket holds the port.
            let port = UInt16.random(in: 20000...Self.ephemeralFloor - 1)
            let pidFile = "\(NSTemporaryDirectory())mockmcu-dnsmasq-\(port)-\(UUID().uuidString).pid"
            // Under a shell that stays (not `exec`): dnsmasq closes the descriptors it inherits,
            // and Foundation takes a child that closes them for one that exited, then waits for
            // it on the thread that notices every other child's exit (the client's too).
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "\"$0\" \"$@\"; exit $?", Self.program, "--keep-in-foreground", "--conf-file=/dev/null", "--port=\(port)", "--listen-address=127.0.0.1",
                           "--bind-interfaces", "--no-resolv", "--no-hosts", "--pid-file=\(pidFile)"] + records
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try ClientProcess.launchLock.withLock { try p.run() }
            ChildRegistry.add(p.processIdentifier)
            if Self.waitUntilListening(pidFile: pidFile, while: p) {
                address = "127.0.0.1:\(port)"
                process = p
                self.pidFile = pidFile
                return
            }
            Self.stop(p)
            try? FileManager.default.removeItem(atPath: pidFile)
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

    /// The lowest port the kernel hands out to unbound sockets (32768 unless configured).
    static let ephemeralFloor: UInt16 = {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let low = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { UInt16($0) } ?? 32768
        return max(low, 21000)
    }()

    /// Waits (up to 3 s) until dnsmasq has written its pid file, which it does only once
    /// its listening socket is bound (a port already taken makes it exit first), or the
    /// process has exited.
    static func waitUntilListening(pidFile: String, while p: Process) -> Bool {
        let deadline = Date().addingTimeInterval(3)
        while p.isRunning && Date() < deadline {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0, kill(pid, 0) == 0 {
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
