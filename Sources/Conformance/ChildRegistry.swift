import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process groups the runner has started and not yet stopped (clients,
/// DNS servers), so that an interrupted run can take them all down with it.
public enum ChildRegistry {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var groups: Set<Int32> = []

    static func add(_ group: Int32) { lock.withLock { _ = groups.insert(group) } }
    static func remove(_ group: Int32) { lock.withLock { _ = groups.remove(group) } }

    /// SIGKILLs every registered group; returns how many there were.
    @discardableResult
    public static func killAll() -> Int {
        lock.withLock {
            for g in groups { kill(-g, SIGKILL) }
            defer { groups = [] }
            return groups.count
        }
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
