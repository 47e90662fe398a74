import Foundation
import PexipWire
#if canImport(Glibc)
import Glibc
#endif

/// What a client under test wrote on stdout, line by line.
public enum ClientOutput: Sendable, Equatable {
    /// A JSON object: a driver-protocol message.
    case message(JSONValue)
    /// A line that is not a JSON object (a protocol error; truncated to 200 characters).
    case notJSON(String)
    /// stdout closed (the client exited or closed it).
    case closed
}

/// How a client process ended.
public enum ClientTermination: Sendable, Equatable {
    /// It exited by itself with this status.
    case exited(Int32)
    /// It needed SIGTERM.
    case terminated
    /// It needed SIGKILL.
    case killed

    /// Whether the client left on its own, as the protocol asks.
    public var exitedByItself: Bool { if case .exited = self { return true } else { return false } }
}

/// A client program under test, leading a process group of its own (Foundation's
/// `Process` on Linux spawns children with `POSIX_SPAWN_SETPGROUP`; checked at
/// start), so that whatever it starts can be signalled with it;
/// driver-protocol JSON Lines on stdin/stdout, stderr kept for the report.
/// Bounded whatever the client does: output lines are cut at 1 MiB, at most
/// 10,000 lines are queued unread, and `stop` always leaves no process of the
/// group behind.
public final class ClientProcess: @unchecked Sendable {
    private let process = Process()
    private let stdinPipe = Pipe(), stdoutPipe = Pipe(), stderrPipe = Pipe()
    private let condition = NSCondition()
    private var lines: [ClientOutput] = []
    private var dropped = 0
    private var stdoutClosed = false
    private var errText = ""
    private var stderrClosed = false
    private var inputClosed = false
    private let writeLock = NSLock()

    /// Where the wrapper shell writes the client's exit status.
    private let statusFile: String
    /// In the environment of the client and of everything it starts: how its
    /// descendants are found, even those that left its process group or session.
    public let marker: String

    /// The process group (= the wrapper shell's pid: it leads its group).
    public var groupID: Int32 { process.processIdentifier }

    /// Serialises `Process.run` (see `init`).
    static let launchLock = NSLock()

    /// The environment variable that marks a client's descendants.
    public static let markerVariable = "MOCKMCU_CLIENT_ID"

    /// Starts `command` with `/bin/sh -c` in a process group of its own, under a
    /// wrapper shell that writes the command's exit status to a file: Foundation
    /// learns of an exit only when every copy of a descriptor it hands down has
    /// closed, which a grandchild keeping them open delays for ever.
    public init(command: String, environment: [String: String]? = nil, directory: URL? = nil) throws {
        marker = UUID().uuidString
        statusFile = NSTemporaryDirectory() + "mockmcu-client-\(marker).status"
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The wrapper survives SIGTERM (a handler, which exec resets; not an ignored
        // signal, which the client would inherit) to record the status of the command.
        process.arguments = ["-c", #"trap : TERM; (trap - TERM; exec /bin/sh -c "$1"); s=$?; echo $s > "$2.tmp" && mv "$2.tmp" "$2"; exit $s"#,
                             "mockmcu-client", command, statusFile]
        var env = environment ?? ProcessInfo.processInfo.environment
        env[Self.markerVariable] = marker
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        signal(SIGPIPE, SIG_IGN)
        // One launch at a time: Foundation's Process.run on Linux walks the open descriptors to
        // close them in the child, and two launches at once (with other threads opening and
        // closing sockets) crashed it once in memcpy under eight parallel scenarios.
        try ClientProcess.launchLock.withLock { try process.run() }
        if let group = ClientProcess.processGroup(of: process.processIdentifier), group != process.processIdentifier {
            process.terminate()
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey:
                "the client did not get a process group of its own (pgid \(group)); cannot guarantee cleanup"])
        }
        ChildRegistry.add(process.processIdentifier)
        ChildRegistry.add(marker: marker)
        let out = stdoutPipe.fileHandleForReading, err = stderrPipe.fileHandleForReading
        Thread { [self] in readLines(out) }.start()
        Thread { [self] in
            while true {
                let data = err.availableData
                condition.withLock {
                    if data.isEmpty {
                        stderrClosed = true
                        condition.broadcast()
                    } else if errText.utf8.count < 1 << 20 {
                        errText += String(decoding: data, as: UTF8.self)
                    }
                }
                if data.isEmpty {
                    try? err.close()  // not left to the pipe's deinit: a long --repeat ran out of descriptors
                    return
                }
            }
        }.start()
    }

    private func readLines(_ handle: FileHandle) {
        var pending: [UInt8] = []
        var overlong = false
        func deliver(_ bytes: [UInt8]) {
            let item: ClientOutput
            if let json = JSONValue.parse(bytes), json.objectValue != nil {
                item = .message(json)
            } else {
                item = .notJSON(String(String(decoding: bytes.prefix(800), as: UTF8.self).prefix(200)))
            }
            condition.withLock {
                if lines.count < 10_000 { lines.append(item) } else { dropped += 1 }
                condition.broadcast()
            }
        }
        while true {
            let data = handle.availableData
            if data.isEmpty { break }
            for byte in data {
                if byte == 10 {
                    if !overlong { deliver(pending) }
                    pending.removeAll(keepingCapacity: true)
                    overlong = false
                } else if pending.count < 1 << 20 {
                    pending.append(byte)
                } else if !overlong {
                    overlong = true
                    deliver(pending)  // reported as not JSON, cut
                }
            }
        }
        if !pending.isEmpty && !overlong { deliver(pending) }
        try? handle.close()
        condition.withLock {
            stdoutClosed = true
            condition.broadcast()
        }
    }

    /// Writes one message as a JSON line; false once the client's stdin is closed.
    @discardableResult
    public func send(_ message: JSONValue) -> Bool {
        writeLock.withLock {
            guard !inputClosed else { return false }
            do {
                try stdinPipe.fileHandleForWriting.write(contentsOf: Data((message.jsonText + "\n").utf8))
                return true
            } catch {
                inputClosed = true
                return false
            }
        }
    }

    /// Closes the client's stdin (which the protocol reads as `leave`).
    public func closeInput() {
        writeLock.withLock {
            guard !inputClosed else { return }
            inputClosed = true
            try? stdinPipe.fileHandleForWriting.close()
        }
    }

    /// The next stdout line, `.closed` once stdout has ended, or nil after `timeout` seconds.
    public func next(timeout: Double) -> ClientOutput? {
        let deadline = Date().addingTimeInterval(max(0, timeout))
        return condition.withLock {
            while lines.isEmpty && !stdoutClosed {
                if !condition.wait(until: deadline) { break }
            }
            if !lines.isEmpty { return lines.removeFirst() }
            return stdoutClosed ? .closed : nil
        }
    }

    /// Lines beyond the 10,000 queued, which were dropped unread.
    public var droppedLines: Int { condition.withLock { dropped } }

    /// What the client wrote on stderr (the first MiB); complete after `stop`.
    public var standardError: String { condition.withLock { errText } }

    /// Whether the client is still running.
    public var isRunning: Bool { exitStatus == nil }

    /// The exit status once the client has exited (128 + the signal's number if a signal
    /// ended it), from the wrapper's file; else the wrapper's own status (it was killed).
    var exitStatus: Int32? {
        if let text = try? String(contentsOfFile: statusFile, encoding: .utf8),
           let status = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return status
        }
        if !process.isRunning { return process.terminationStatus }
        // Foundation may have reaped the wrapper without saying so yet (see init): a pid
        // that is gone, or a zombie, has ended without writing a status (SIGKILL).
        guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 128 + SIGKILL }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3 of proc(5)); fields[49] is exit_code (field 52).
        guard fields.first == "Z", fields.count > 49, let code = Int32(fields[49]) else { return nil }
        return code & 0x7f == 0 ? (code >> 8) & 0xff : 128 + code & 0x7f
    }

    /// Waits up to `grace` seconds for the client to exit, then sends SIGTERM
    /// to its whole group, waits `grace` again, then SIGKILL. Afterwards the
    /// group is signalled once more so that nothing the client started
    /// outlives it. Call `send(leave)` or `closeInput()` first to ask nicely.
    /// `firstWait` (default `grace`) is the wait before SIGTERM, for a caller that has waited already.
    @discardableResult
    public func stop(grace: Double = 2, firstWait: Double? = nil) -> ClientTermination {
        let outcome: ClientTermination
        if waitForExit(firstWait ?? grace), let status = exitStatus {
            outcome = .exited(status)
        } else {
            kill(-groupID, SIGTERM)
            if waitForExit(grace) {
                outcome = .terminated
            } else {
                kill(-groupID, SIGKILL)
                _ = waitForExit(10)
                outcome = .killed
            }
        }
        // Leftovers of the group (a background child the client started), and any
        // descendant that left the group or the session (found by its environment).
        kill(-groupID, SIGKILL)
        ChildRegistry.killDescendants(marker: marker)
        ChildRegistry.remove(groupID)
        ChildRegistry.remove(marker: marker)
        try? FileManager.default.removeItem(atPath: statusFile)
        closeInput()
        // With the whole group gone, stderr reaches its end: read all of it.
        let deadline = Date().addingTimeInterval(2)
        condition.withLock {
            while !stderrClosed { if !condition.wait(until: deadline) { break } }
        }
        return outcome
    }

    /// A process's group and state from /proc (Linux), or nil.
    static func stat(of pid: String) -> (group: Int32, state: Substring)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // After "(comm)": state, ppid, pgrp, ...
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let group = Int32(fields[2]) else { return nil }
        return (group, fields[0])
    }

    static func processGroup(of pid: Int32) -> Int32? { stat(of: String(pid))?.group }

    /// Whether any process of the client's group is still alive (zombies
    /// waiting to be reaped do not count). Reads /proc (Linux).
    public var groupAlive: Bool {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else {
            return kill(-groupID, 0) == 0
        }
        return entries.contains { pid in
            guard pid.allSatisfy(\.isNumber), let s = ClientProcess.stat(of: pid) else { return false }
            return s.group == groupID && s.state != "Z"
        }
    }

    private func waitForExit(_ seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning {
            if Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }
}
