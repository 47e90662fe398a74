import Foundation

/// The node's state and the one lock that guards it. A plain (non
/// priority-inheriting) mutex that spins briefly before sleeping: critical
/// sections are a few microseconds, so a waiter on the other core usually
/// gets the lock without a futex sleep and wake-up. (`Synchronization.Mutex`
/// takes the kernel's PI-futex path on Linux, which costs far more here.)
final class StateLock<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        var acquired = false
        for _ in 0..<200 where !acquired { acquired = lock.try() }
        if !acquired { lock.lock() }
        defer { lock.unlock() }
        return try body(&value)
    }
}
