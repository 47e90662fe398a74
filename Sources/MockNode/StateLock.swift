import Foundation

/// The node's state and the one lock that guards it. A plain (non
/// priority-inheriting) mutex: under contention from libmicrohttpd's worker
/// threads it costs far less than `Synchronization.Mutex`, whose Linux
/// implementation takes the kernel's PI-futex path.
final class StateLock<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
