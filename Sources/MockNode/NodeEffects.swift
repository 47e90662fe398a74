import Foundation
import MicroHTTP

/// What the node decided to do to a stream: `NodeState` only records it (and
/// journals its outcome); the shell carries it out after the state lock is
/// released, in the order the state decided.
enum StreamEffect {
    /// Write an event (`head` is the stream's own `id:` line, `body` the shared event).
    case send(EventStream, head: [UInt8], body: [UInt8])
    /// End the stream: cleanly, or by cutting the connection.
    case close(EventStream, error: Bool)
    /// Cut the stream after `seconds` on the node's clock (after a `disconnect`).
    case cutAfter(EventStream, seconds: Double, clock: NodeClock)
    /// Freeze (true) or thaw (false) the stream.
    case stall(EventStream, Bool)

    func perform() {
        switch self {
        case .send(let stream, let head, let body): stream.send(head, body)
        case .close(let stream, let error): stream.close(error: error)
        case .cutAfter(let stream, let seconds, let clock):
            _ = clock.schedule(at: clock.now() + seconds) { stream.close(error: true) }
        case .stall(let stream, let on): on ? stream.stall() : stream.unstall()
        }
    }
}

/// Stream effects in the order the state lock decided them. `enqueue` runs under the
/// state lock, so the queue's order is the state's; `drain` runs after it, one
/// thread at a time, and carries out everything queued so far, in that order (a
/// thread whose effects another drain took waits until they are done).
final class Outbox: @unchecked Sendable {
    private let queueLock = NSLock()
    private var queue: [StreamEffect] = []
    private let drainLock = NSLock()

    func enqueue(_ effects: [StreamEffect]) {
        queueLock.withLock { queue.append(contentsOf: effects) }
    }

    func drain() {
        drainLock.withLock {
            while true {
                let batch: [StreamEffect] = queueLock.withLock {
                    let taken = queue
                    queue.removeAll(keepingCapacity: true)
                    return taken
                }
                if batch.isEmpty { return }
                for effect in batch { effect.perform() }
            }
        }
    }
}

extension NodeState {
    /// Ends every stream of `p` (cleanly or cut); nothing more is written to them.
    mutating func closeStreams(of p: ParticipantState, error: Bool) {
        for key in p.streams.keys {
            p.streams[key]?.closing = true
            if let stream = p.streams[key]?.stream { effects.append(.close(stream, error: error)) }
        }
    }

    /// Freezes or thaws every stream of `p`.
    mutating func stallStreams(of p: ParticipantState, _ on: Bool) {
        for key in p.streams.keys {
            p.streams[key]?.stalled = on
            if let stream = p.streams[key]?.stream { effects.append(.stall(stream, on)) }
        }
    }
}
