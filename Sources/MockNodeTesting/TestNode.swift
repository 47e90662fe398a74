import Foundation
import MicroHTTP
import MockNode
import PexipWire

/// A node for your own tests: running on 127.0.0.1 and an ephemeral port for
/// the length of a closure, stopped however the closure ends.
///
/// ```swift
/// try withRunningNode(conferences: [ConferenceConfig(alias: "meet")]) { node in
///     let alice = try node.client.join("meet", name: "Alice")
///     let events = try node.client.events("meet", token: alice.token)
///     …
/// }
/// ```
public final class TestNode: Sendable {
    public let node: MockNode
    /// The node's clock when it was made with `manualClock: true` (advance it to expire tokens).
    public let clock: ManualClock?
    /// A wire client for this node.
    public let client: TestClient

    /// Makes and starts a node. `manualClock`: token lifetimes and timers run on a clock
    /// that moves only when `clock.advance(by:)` is called.
    public init(conferences: [ConferenceConfig], manualClock: Bool = false,
                configure: (inout MockNode.Configuration) -> Void = { _ in }) throws {
        var config = MockNode.Configuration(conferences: conferences)
        let clock = manualClock ? ManualClock() : nil
        if let clock { config.clock = clock }
        configure(&config)
        let node = try MockNode(config)
        try node.start()
        self.node = node
        self.clock = clock
        self.client = TestClient(port: node.port)
    }

    public var port: UInt16 { node.port }

    /// Stops the node (idempotent; `withRunningNode` does it for you).
    public func stop() { node.stop() }

    /// Waits until a journal entry after `after` satisfies `predicate`; throws after `timeout` seconds.
    @discardableResult
    public func waitForJournal(after seq: Int = 0, timeout: Double = 5,
                               where predicate: (JournalEntry) -> Bool) throws -> JournalEntry {
        guard let hit = node.waitForJournal(after: seq, timeout: timeout, where: predicate) else {
            throw TestNodeError("no matching journal entry within \(timeout) s (the journal has \(node.journal().count) entries)")
        }
        return hit
    }

    /// Waits for the node's answer to a client API request named `request` (`refresh_token`,
    /// `participants/*/mute`), after journal entry `after`.
    @discardableResult
    public func waitForRequest(_ request: String, after seq: Int = 0, timeout: Double = 5) throws -> JournalEntry {
        try waitForJournal(after: seq, timeout: timeout) { e in
            e.kind == .request && e.status != nil && Self.matches(request, e.path ?? "")
        }
    }

    static func matches(_ request: String, _ path: String) -> Bool {
        let tail = path.split(separator: "/", omittingEmptySubsequences: true)
        let want = request.split(separator: "/")
        guard tail.count >= want.count else { return false }
        return zip(want, tail.suffix(want.count)).allSatisfy { $0 == "*" || $0 == $1 }
    }
}

/// Runs `body` with a running node, then stops it, whether `body` returns or throws.
public func withRunningNode<T>(conferences: [ConferenceConfig], manualClock: Bool = false,
                               configure: (inout MockNode.Configuration) -> Void = { _ in },
                               _ body: (TestNode) throws -> T) throws -> T {
    let node = try TestNode(conferences: conferences, manualClock: manualClock, configure: configure)
    defer { node.stop() }
    return try body(node)
}

/// The same for async code.
public func withRunningNode<T>(conferences: [ConferenceConfig], manualClock: Bool = false,
                               configure: (inout MockNode.Configuration) -> Void = { _ in },
                               _ body: (TestNode) async throws -> T) async throws -> T {
    let node = try TestNode(conferences: conferences, manualClock: manualClock, configure: configure)
    defer { node.stop() }
    return try await body(node)
}

/// A test helper's failure, saying what was expected.
public struct TestNodeError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
