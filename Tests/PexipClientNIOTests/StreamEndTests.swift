import Foundation
import MicroHTTP
import PexipClient
import PexipClientNIO
import MockNode
import PexipWire
import XCTest

final class StreamEndTests: XCTestCase {
    /// An event written just before the node cuts the stream reaches the client before the error.
    func testLastEventBeforeACutIsDelivered() throws {
        let box = Box()
        let server = HTTPServer { _ in
            let s = EventStream(heartbeatInterval: 0)
            box.set(s)
            return .stream(s, headers: HTTPHeaders())
        }
        try server.start()
        defer { server.stop() }
        let url = URL(string: "http://127.0.0.1:\(server.port)/events")!
        let done = expectation(description: "rounds")
        let transport = try NIOTransport()
        Task {
            defer { done.fulfill() }
            var lost = 0
            for i in 0..<200 {
                let c = transport.openStream(HTTPExchange(url: url), idleTimeout: 10)
                var names: [String] = []
                do {
                    for try await item in c.items {
                        switch item {
                        case .opened:
                            let s = box.get()!
                            _ = s.send(SSEEncoder.encode(event: "a", data: "\(i)"))
                            _ = s.send(SSEEncoder.encode(event: "disconnect", data: "{}"))
                            s.close(error: true)
                        case .event(let e): names.append(e.event)
                        }
                    }
                } catch {}
                if names != ["a", "disconnect"] { lost += 1 }
            }
            XCTAssertEqual(lost, 0, "rounds where an event sent before the cut was lost")
            await transport.shutdown()
        }
        wait(for: [done], timeout: 60)
    }

    /// The node's default cut delay (`disconnect_cut_delay`) lets the reason reach an
    /// AsyncHTTPClient-based client; with the cut in the same instant, some rounds under
    /// load ended with the event lost and a later 403 ("Invalid token") instead.
    func testEjectReasonArrivesOverNIO() throws {
        let node = try MockNode(conferences: [ConferenceConfig(alias: "meet")])
        try node.start()
        defer { node.stop() }
        let url = URL(string: node.baseURL)!
        let done = expectation(description: "rounds")
        Task {
            defer { done.fulfill() }
            do {
                let transport = try NIOTransport()
                var reasons: [String: Int] = [:]
                for _ in 0..<60 {
                    var options = JoinOptions(displayName: "A")
                    options.transport = transport
                    let session = try await PexipSession.join(node: url, conference: "meet", options: options)
                    for await event in session.events {
                        if case .roster = event { try node.eject(session.participantUUID, reason: "Kicked") }
                        if case .disconnected(let reason) = event { reasons[reason, default: 0] += 1 }
                    }
                }
                XCTAssertEqual(reasons, ["Kicked": 60])
                await transport.shutdown()
            } catch {
                XCTFail("\(error)")
            }
        }
        wait(for: [done], timeout: 120)
    }
}

private final class Box: @unchecked Sendable {
    private let lock = NSLock()
    private var stream: EventStream?
    func set(_ s: EventStream) { lock.withLock { stream = s } }
    func get() -> EventStream? { lock.withLock { stream } }
}
