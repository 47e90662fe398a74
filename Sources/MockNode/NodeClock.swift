import Dispatch
import Foundation
import MicroHTTP
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

/// Real time. Timers share one process-wide thread and a heap, so arming
/// and cancelling them (every token issue and refresh) costs no system call.
public final class SystemClock: NodeClock {
    public init() {}

    public func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    public func schedule(at deadline: Double, _ action: @escaping @Sendable () -> Void) -> ClockTimer {
        TimerThread.shared.schedule(at: deadline, action)
    }
}

/// One thread that runs timed actions in deadline order.
final class TimerThread: @unchecked Sendable {
    static let shared = TimerThread()

    final class Entry: ClockTimer, @unchecked Sendable {
        let deadline: Double
        let action: @Sendable () -> Void
        var cancelled = false  // guarded by the thread's condition
        weak var owner: TimerThread?
        init(deadline: Double, action: @escaping @Sendable () -> Void, owner: TimerThread) {
            self.deadline = deadline
            self.action = action
            self.owner = owner
        }
        func cancel() { owner?.cancel(self) }
    }

    private let condition = NSCondition()
    private var heap: [Entry] = []
    private var cancelledCount = 0
    private var started = false

    private func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    func schedule(at deadline: Double, _ action: @escaping @Sendable () -> Void) -> ClockTimer {
        let entry = Entry(deadline: deadline, action: action, owner: self)
        condition.withLock {
            push(entry)
            if !started {
                started = true
                let thread = Thread { [self] in run() }
                thread.name = "MockNode.timers"
                thread.start()
            }
            if heap[0] === entry { condition.signal() }
        }
        return entry
    }

    fileprivate func cancel(_ entry: Entry) {
        condition.withLock {
            guard !entry.cancelled else { return }
            entry.cancelled = true
            cancelledCount += 1
            if cancelledCount > 1024 && cancelledCount * 2 > heap.count {
                heap.removeAll { $0.cancelled }
                cancelledCount = 0
                for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
            }
        }
    }

    private func run() {
        condition.lock()
        while true {
            guard let top = heap.first else {
                condition.wait()
                continue
            }
            if top.cancelled {
                pop()
                cancelledCount -= 1
                continue
            }
            let delay = top.deadline - now()
            if delay > 0 {
                // At most an hour at a time: a far deadline must not overflow the wait's time value.
                _ = condition.wait(until: Date().addingTimeInterval(min(delay, 3_600)))
                continue
            }
            pop()
            top.cancelled = true
            condition.unlock()
            top.action()
            condition.lock()
        }
    }

    private func push(_ e: Entry) {
        heap.append(e)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if heap[parent].deadline <= heap[i].deadline { break }
            heap.swapAt(parent, i)
            i = parent
        }
    }

    private func pop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        if !heap.isEmpty { siftDown(0) }
    }

    private func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && heap[l].deadline < heap[m].deadline { m = l }
            if r < heap.count && heap[r].deadline < heap[m].deadline { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
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

    private let state: Locked<State>

    public init(start: Double = 1000) { state = Locked(State(now: start)) }

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
