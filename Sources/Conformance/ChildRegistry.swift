import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process groups the runner has started and not yet stopped (clients,
/// DNS servers), so that an interrupted run can take them all down with it.
public enum ChildRegistry {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var groups: Set<Int32> = []
    nonisolated(unsafe) private static var markers: Set<String> = []

    static func add(_ group: Int32) { lock.withLock { _ = groups.insert(group) } }
    static func remove(_ group: Int32) { lock.withLock { _ = groups.remove(group) } }
    static func add(marker: String) { lock.withLock { _ = markers.insert(marker) } }
    static func remove(marker: String) { lock.withLock { _ = markers.remove(marker) } }

    /// SIGKILLs every process (of this user) whose environment carries the client
    /// marker `marker`: the descendants of one client, also those that called
    /// `setsid()` or left its process group. Returns how many there were.
    @discardableResult
    public static func killDescendants(marker: String) -> Int {
        let wanted = Array("\(ClientProcess.markerVariable)=\(marker)".utf8)
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        var killed = 0
        for pid in entries where pid.allSatisfy(\.isNumber) {
            guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ"), !environ.isEmpty else { continue }
            let found = environ.split(separator: 0, omittingEmptySubsequences: true).contains { $0.elementsEqual(wanted) }
            if found, let n = Int32(pid), kill(n, SIGKILL) == 0 { killed += 1 }
        }
        return killed
    }

    /// SIGKILLs every registered group; returns how many there were.
    @discardableResult
    public static func killAll() -> Int {
        let (count, marks): (Int, Set<String>) = lock.withLock {
            for g in groups { kill(-g, SIGKILL) }
            defer { groups = []; markers = [] }
            return (groups.count, markers)
        }
        for m in marks { killDescendants(marker: m) }
        return count
    }
}

/// SIGINT/SIGTERM for the runner: a handler (not inherited by the children it
/// starts, unlike an ignored or blocked signal) writes the signal number to a
/// pipe, and a thread hands it to `action`.
public enum Interruption {
    nonisolated(unsafe) private static var writeFD: Int32 = -1
    nonisolated(unsafe) private static var pipe: Pipe?

    /// Calls `action` with the signal number on SIGINT or SIGTERM (once installed, for the process's life).
    public static func install(_ action: @escaping @Sendable (Int32) -> Void) {
        let p = Pipe()
        pipe = p
        writeFD = p.fileHandleForWriting.fileDescriptor
        let reader = p.fileHandleForReading
        Thread {
            while true {
                let data = reader.availableData
                guard let first = data.first else { return }
                action(Int32(first))
            }
        }.start()
        signal(SIGINT, Interruption.handler)
        signal(SIGTERM, Interruption.handler)
    }

    private static let handler: @convention(c) (Int32) -> Void = { sig in
        var byte = UInt8(truncatingIfNeeded: sig)
        _ = write(Interruption.writeFD, &byte, 1)
    }
}
