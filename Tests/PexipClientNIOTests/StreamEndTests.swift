import Foundation
import PexipClient
import PexipClientNIO
import MockNode
import MockNodeTesting
import XCTest

final class StreamEndTests: XCTestCase {
    /// The node's default cut delay (`disconnect_cut_delay`) lets the reason reach an
    /// AsyncHTTPClient-based client; with the cut in the same instant, some rounds under
    /// load ended with the event lost and a later 403 ("Invalid token") instead.
    func testEjectReasonArrivesOverNIO() throws {
        let test = try TestNode(conferences: [ConferenceConfig(alias: "meet")])
        defer { test.stop() }
        let node = test.node
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
