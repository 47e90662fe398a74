import Foundation
import MicroHTTP

/// What the node decided to do outside its own state: end a stream, or arm or cancel a
/// token's expiry timer. `NodeState` only records it; the shell carries it out after the
/// state lock is released, in the order the state decided.
///
/// Writing an event is not an effect: it is an append to the stream's buffer, its
/// outcome (`delivered`) goes into the journal entry, and writing while deciding lets
/// libmicrohttpd's threads send to the first streams of a broadcast while the rest are
/// decided (deferred, one event to 10,000 streams reached the first 45 ms later and the
/// last 210 ms instead of 110). Stalling flips the stream's flag the same way, so that a
/// write decided after it sees it.
enum NodeEffect {
    /// End the stream: cleanly, by closing the connection, or by resetting it.
    case close(EventStream, EventStream.Ending)
    /// Cut the stream after `seconds` on the node's clock (after a `disconnect`).
    case cutAfter(EventStream, seconds: Double)
    /// (Re)arm the participant's expiry for the token issued at `issuedAt`, due at `at` (node clock).
    case armExpiry(ExpirySlot, participant: String, issuedAt: Double, at: Double)
    /// The participant left: its expiry timer goes.
    case cancelExpiry(ExpirySlot)
}

/// Where a participant's expiry timer is kept. The state holds the slot; only the outbox,
/// while it drains, touches the timer in it.
final class ExpirySlot: @unchecked Sendable {
    fileprivate var timer: ClockTimer?
    init() {}
}

/// Effects in the order the state lock decided them, and the timers they armed. `enqueue`
/// runs under the state lock, so the queue's order is the state's; `drain` runs after
/// it, one thread at a time, and carries out everything queued so far, in that order
/// (a thread whose effects another drain took waits until they are done). The timer
/// table is touched only while draining.
final class Outbox: @unchecked Sendable {
    private let queueLock = NSLock()
    private var queue: [NodeEffect] = []
    private let drainLock = NSLock()
    private let clock: NodeClock
    /// Called (on the clock's thread) when an armed expiry comes due.
    private var expiryDue: @Sendable (_ participant: String, _ issuedAt: Double) -> Void = { _, _ in }
    /// Slots with a timer armed (guarded by the drain lock), to cancel them all at a stop.
    private var slots: [ObjectIdentifier: ExpirySlot] = [:]

    init(clock: NodeClock) { self.clock = clock }

    /// Sets what a due expiry calls (once, before the first effect).
    func onExpiry(_ handler: @escaping @Sendable (_ participant: String, _ issuedAt: Double) -> Void) {
        drainLock.withLock { expiryDue = handler }
    }

    func enqueue(_ effects: [NodeEffect]) {
        queueLock.withLock {
            if queue.isEmpty { queue = effects } else { queue.append(contentsOf: effects) }
        }
    }

    func drain() {
        drainLock.withLock {
            while true {
                var batch: [NodeEffect] = []
                queueLock.withLock { swap(&batch, &queue) }
                if batch.isEmpty { return }
                for effect in batch { perform(effect) }
            }
        }
    }

    /// Timers armed now (for tests and the benchmarks' leak checks).
    var armedTimers: Int { drainLock.withLock { slots.count } }

    /// Cancels every timer (the node stopped).
    func cancelAll() {
        drainLock.withLock {
            for slot in slots.values {
                slot.timer?.cancel()
                slot.timer = nil
            }
            slots = [:]
        }
    }

    private func perform(_ effect: NodeEffect) {
        switch effect {
        case .close(let stream, let ending): stream.end(ending)
        case .cutAfter(let stream, let seconds):
            _ = clock.schedule(at: clock.now() + seconds) { stream.close(error: true) }
        case .armExpiry(let slot, let uuid, let issuedAt, let at):
            if let old = slot.timer { old.cancel() } else { slots[ObjectIdentifier(slot)] = slot }
            let due = expiryDue
            slot.timer = clock.schedule(at: at) { due(uuid, issuedAt) }
        case .cancelExpiry(let slot):
            guard let timer = slot.timer else { return }
            timer.cancel()
            slot.timer = nil
            slots.removeValue(forKey: ObjectIdentifier(slot))
        }
    }
}

extension NodeState {
    /// Ends every stream of participant `uuid` (cleanly or cut); nothing more is written to them.
    mutating func closeStreams(of uuid: String, error: Bool) { closeStreams(of: uuid, error ? .cut : .clean) }

    /// Ends every stream of participant `uuid` as `ending` says; nothing more is written to them.
    mutating func closeStreams(of uuid: String, _ ending: EventStream.Ending) {
        for id in participants[uuid]?.streamIDs ?? [] {
            guard let stream = streams[id]?.stream else { continue }
            streams[id]?.closing = true
            effects.append(.close(stream, ending))
        }
    }

    /// The open streams of participant `uuid` (not those being ended).
    func openStreams(of uuid: String) -> [EventStream] {
        (participants[uuid]?.streamIDs ?? []).compactMap { id in
            streams[id].flatMap { $0.closing ? nil : $0.stream }
        }
    }

    /// Freezes or thaws every stream of participant `uuid` (at once: see `NodeEffect`).
    mutating func stallStreams(of uuid: String, _ on: Bool) {
        for id in participants[uuid]?.streamIDs ?? [] {
            guard let stream = streams[id]?.stream else { continue }
            on ? stream.stall() : stream.unstall()
        }
    }
}
