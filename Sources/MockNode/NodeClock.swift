import Dispatch
import Foundation
import Synchronization

/// A scheduled action that can be cancelled.
public protocol ClockTimer: Sendable {
    func cancel()
}

/// The node's source of time for token lifetimes and expiry. Injectable so
/// tests and scenarios can advance time instead of sleeping.
public protocol NodeClock: Sendable {
    /// Seconds on a monotonic scale.
    func now() -> Double
    /// Runs `action` once the clock reaches `deadline`.
    func schedule(at deadline: Double, _ action: @escaping @Sendable () -> Void) -> ClockTimer
}

/// Real time.
public final class SystemClock: NodeClock {
    private let queue = DispatchQueue(label: "MockNode.clock")

    public init() {}

    public func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    public func schedule(at deadline: Double, _ action: @escaping @Sendable () -> Void) -> ClockTimer {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let delay = max(0, deadline - now())
        timer.schedule(deadline: .now() + delay, leeway: .milliseconds(2))
        timer.setEventHandler(handler: action)
        timer.resume()
        return SystemTimer(source: timer)
    }

    private struct SystemTimer: ClockTimer, @unchecked Sendable {
        let source: DispatchSourceTimer
        func cancel() { source.cancel() }
    }
}

/// Time that moves only when told to: `advance(by:)` runs every action that
/// falls due, in deadline order, on the caller's thread.
public final class ManualClock: NodeClock {
    fileprivate final class Entry: @unchecked Sendable {
        let deadline: Double
        let order: Int
        let action: @Sendable () -> Void
        var cancelled = false  // guarded by the clock's lock
        init(deadline: Double, order: Int, action: @escaping @Sendable () -> Void) {
            self.deadline = deadline
            self.order = order
            self.action = action
        }
    }

    private struct State {
        var now: Double
        var entries: [Entry] = []
        var counter = 0
    }

    private let state: Mutex<State>

    public init(start: Double = 1000) { state = Mutex(State(now: start)) }

    public func now() -> Double { state.withLock { $0.now } }

    public func schedule(at deadline: Double, _ action: @escaping @Sendable () -> Void) -> ClockTimer {
        state.withLock { s in
            s.counter += 1
            let entry = Entry(deadline: deadline, order: s.counter, action: action)
            s.entries.append(entry)
            return ManualTimer(clock: self, entry: entry)
        }
    }

    /// Moves time forward, running what falls due on the way.
    public func advance(by seconds: Double) {
        let target = state.withLock { $0.now + max(0, seconds) }
        while true {
            let next: Entry? = state.withLock { s in
                let due = s.entries.filter { !$0.cancelled && $0.deadline <= target }
                guard let first = due.min(by: { ($0.deadline, $0.order) < ($1.deadline, $1.order) }) else {
                    return nil
                }
                s.entries.removeAll { $0 === first || $0.cancelled }
                s.now = max(s.now, first.deadline)
                return first
            }
            guard let next else { break }
            next.action()
        }
        state.withLock { $0.now = target }
    }

    /// Actions still waiting.
    public var pendingCount: Int { state.withLock { s in s.entries.filter { !$0.cancelled }.count } }

    fileprivate func cancel(_ entry: Entry) {
        state.withLock { s in
            entry.cancelled = true
            s.entries.removeAll { $0 === entry }
        }
    }

    private struct ManualTimer: ClockTimer {
        let clock: ManualClock
        let entry: Entry
        func cancel() { clock.cancel(entry) }
    }
}
