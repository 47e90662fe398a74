import Foundation
import PexipClient
import PexipWire

/// What the bugs remember across requests: tokens, where the node is, what was held back.
final class BugState: @unchecked Sendable {
    private let lock = NSLock()
    private var onceDone: Set<String> = []
    private var firstToken: String?
    private var lastToken: String?
    private var lastURL: URL?
    private var held: JSONValue?
    private var streams = 0
    var transport: (any PexipTransport)?

    /// True the first time it is asked for `key`.
    func once(_ key: String) -> Bool { lock.withLock { onceDone.insert(key).inserted } }

    func issued(_ token: String) {
        lock.withLock {
            if firstToken == nil { firstToken = token }
            lastToken = token
        }
    }

    func used(_ url: URL) { lock.withLock { lastURL = url } }

    var first: String? { lock.withLock { firstToken } }
    /// The newest token issued, and the URL of the last request.
    var latest: String? { lock.withLock { lastToken } }
    var lastUsed: URL? { lock.withLock { lastURL } }

    private var eventSeen = false
    private var failedRefresh = false

    /// A refresh got an answer other than 200, or none.
    func noteRefreshFailed() { lock.withLock { failedRefresh = true } }
    var refreshFailed: Bool { lock.withLock { failedRefresh } }

    func sawEvent() { lock.withLock { eventSeen = true } }

    /// Whether an event came since the last call.
    func takeEventSeen() -> Bool { lock.withLock { defer { eventSeen = false }; return eventSeen } }

    /// Counts event streams opened; returns the new count.
    func streamOpened() -> Int { lock.withLock { streams += 1; return streams } }

    /// Holds the first message back and lets it out after the next (or at `left`, with nil).
    func swapHeld(_ message: JSONValue?) -> JSONValue? {
        lock.withLock {
            guard let message else { defer { held = nil }; return held }
            if held == nil && onceDone.insert("held").inserted {
                held = message
                return nil
            }
            return message
        }
    }

    /// Refreshes with the newest token, synchronously (a request after the node said goodbye).
    func refreshNow() {
        let (token, url, transport) = lock.withLock { (lastToken, lastURL, self.transport) }
        guard let token, let url, let transport else { return }
        let target = url.deletingLastPathComponent().appendingPathComponent("refresh_token")
        let done = DispatchSemaphore(value: 0)
        Task {
            _ = try? await transport.send(HTTPExchange(method: "POST", url: target, headers: ["token": token]), timeout: 2)
            done.signal()
        }
        done.wait()
    }
}
