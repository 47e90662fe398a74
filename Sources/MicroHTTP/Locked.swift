import Foundation

/// A value and the lock that guards it, for state shared with libmicrohttpd's
/// threads. A pthread mutex (through NSLock), not `Synchronization.Mutex`:
/// ThreadSanitizer sees a pthread mutex's ordering but not that of the
/// standard library's futex lock, which is built without its instrumentation,
/// so every access under one looked like a race.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    /// Runs `body` with the value, holding the lock.
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
