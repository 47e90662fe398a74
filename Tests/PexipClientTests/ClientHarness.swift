import Foundation
import MockNode
import MockNodeTesting
import PexipClient
import PexipWire
import XCTest

/// A live mock node (MockNodeTesting's `TestNode`, real time) for client tests.
final class ClientHarness {
    let test: TestNode
    var node: MockNode { test.node }
    var url: URL { URL(string: node.baseURL)! }

    init(_ conferences: [ConferenceConfig] = ConferenceConfig.builtins,
         configure: (inout MockNode.Configuration) -> Void = { _ in }) throws {
        test = try TestNode(conferences: conferences, configure: configure)
    }

    deinit { test.stop() }

    func join(_ alias: String, _ name: String, configure: (inout JoinOptions) -> Void = { _ in }) async throws -> PexipSession {
        var options = JoinOptions(displayName: name)
        options.timing.reconnectDelay = 0.05
        configure(&options)
        return try await PexipSession.join(node: url, conference: alias, options: options)
    }

    /// Requests the node journaled for `participant` named `request`.
    func requests(_ request: String, of participant: String? = nil) -> [JournalEntry] {
        node.journal().filter { $0.kind == .request && $0.request == request && (participant == nil || $0.participant == participant) }
    }
}

/// Collects a session's events so a test can take them one at a time, with a deadline.
actor EventTap {
    private var buffer: [SessionEvent] = []
    private var ended = false
    private var waiting: CheckedContinuation<Void, Never>?

    init(_ session: PexipSession) {
        let events = session.events
        Task { [weak self] in
            for await e in events { await self?.push(e) }
            await self?.finish()
        }
    }

    private func push(_ e: SessionEvent) {
        buffer.append(e)
        wake()
    }

    private func finish() {
        ended = true
        wake()
    }

    private func wake() {
        waiting?.resume()
        waiting = nil
    }

    /// The next event, or nil when the session's events ended; fails the test after `timeout`.
    func next(timeout: Double = 10) async -> SessionEvent? {
        let deadline = Date().addingTimeInterval(timeout)
        while buffer.isEmpty && !ended {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                XCTFail("no session event within \(timeout)s")
                return nil
            }
            let timer = Task { [weak self] in
                try? await Task.sleep(nanoseconds: UInt64(remaining * 1e9))
                await self?.wake()
            }
            await withCheckedContinuation { waiting = $0 }
            timer.cancel()
        }
        return buffer.isEmpty ? nil : buffer.removeFirst()
    }

    /// Whether the events ended (waiting up to `timeout` for it).
    func hasEnded(within timeout: Double = 5) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !ended && buffer.isEmpty && deadline.timeIntervalSinceNow > 0 {
            let timer = Task { [weak self] in
                try? await Task.sleep(nanoseconds: UInt64(max(0, deadline.timeIntervalSinceNow) * 1e9))
                await self?.wake()
            }
            await withCheckedContinuation { waiting = $0 }
            timer.cancel()
        }
        return ended && buffer.isEmpty
    }

    /// Events until one matches `predicate` (inclusive).
    func until(timeout: Double = 10, _ predicate: (SessionEvent) -> Bool) async -> [SessionEvent] {
        var seen: [SessionEvent] = []
        while let e = await next(timeout: timeout) {
            seen.append(e)
            if predicate(e) { return seen }
        }
        XCTFail("session events ended before the awaited one; saw \(seen)")
        return seen
    }

    func roster(timeout: Double = 10) async -> [Participant] {
        let events = await until(timeout: timeout) { if case .roster = $0 { return true }; return false }
        if case .roster(let people) = events.last { return people }
        return []
    }
}
