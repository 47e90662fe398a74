import Foundation
import MicroHTTP
import MockNode
import MockNodeTesting
import XCTest

/// A node's life is one way: initial → running → stopped.
final class LifecycleTests: XCTestCase {
    func testStartTwiceStopTwiceAndNoRestart() throws {
        let node = try MockNode(conferences: [ConferenceConfig(alias: "meet")])
        XCTAssertEqual(node.phase, .initial)
        XCTAssertEqual(node.port, 0)
        try node.start()
        let port = node.port
        XCTAssertNotEqual(port, 0)
        XCTAssertThrowsError(try node.start()) { error in
            XCTAssertEqual("\(error)", "the node is already running (on port \(port))")
        }
        XCTAssertEqual(node.port, port, "a second start neither moves nor duplicates the server")
        XCTAssertEqual(try LoopbackClient.request(port: port, target: "/api/client/v2/status").status, 200)

        DispatchQueue.concurrentPerform(iterations: 4) { _ in node.stop() }
        XCTAssertEqual(node.phase, .stopped)
        XCTAssertEqual(node.port, 0)
        XCTAssertThrowsError(try LoopbackClient.request(port: port, target: "/api/client/v2/status"), "nothing listens any more")
        node.stop()
        XCTAssertThrowsError(try node.start()) { error in
            XCTAssertTrue("\(error)".contains("does not start again"), "\(error)")
        }
    }

    func testAFailedStartLeavesTheNodeStartable() throws {
        let first = try MockNode(conferences: [])
        try first.start()
        defer { first.stop() }
        var c = MockNode.Configuration(conferences: [])
        c.http.port = first.port
        let second = try MockNode(c)
        XCTAssertThrowsError(try second.start())
        XCTAssertEqual(second.phase, .initial)
        second.stop()
        XCTAssertEqual(second.phase, .stopped)
    }
}
