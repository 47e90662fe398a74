import Conformance
import Foundation
import MockNode
import PexipWire
import TestSupport
import XCTest

/// A whole driver-protocol session with the reference client against a live node.
final class DriverSessionTests: XCTestCase {
    private var clientCommand: String { Products.referenceClient }

    func testPinAnsweredTimelineActsAndClientLeaves() throws {
        let node = try MockNode(conferences: ConferenceConfig.builtins)
        try node.start()
        defer { node.stop() }
        let session = DriverSession(client: try ClientProcess(command: clientCommand))
        let start: JSONValue = ["type": "start", "protocol": .number(1), "scenario": "test/pin",
                                "node": .string(node.baseURL), "conference": "secure", "display_name": "Runner"]
        var simulated: String?
        let transcript = session.run(start: start, answers: ["pin": "1234"], deadline: 20) { message, session in
            if message["type"] == "roster", simulated == nil {
                simulated = try? node.addParticipant(to: "secure", displayName: "Sim")
            } else if message["type"] == "roster", message["participants"]?.arrayValue?.count == 2 {
                session.leave()
            }
        }
        XCTAssertFalse(transcript.hitDeadline)
        XCTAssertEqual(transcript.termination, .exited(0))
        XCTAssertEqual(transcript.messages.map { $0.message["type"]?.stringValue ?? "" },
                       ["pin_required", "joined", "roster", "roster", "left"])
        XCTAssertEqual(transcript.last("joined")?["role"], "HOST")
        XCTAssertEqual(transcript.protocolErrors, [])
        XCTAssertEqual(node.journal().filter { $0.request == "release_token" }.map(\.status), [200])
    }

    func testDeadlineSendsLeaveAndAHangingClientIsStopped() throws {
        let session = DriverSession(client: try ClientProcess(command: "cat > /dev/null & sleep 1000"))
        let transcript = session.run(start: ["type": "start", "protocol": .number(1)], deadline: 0.3, grace: 0.2,
                                     startupAllowance: 0)
        XCTAssertTrue(transcript.hitDeadline)
        XCTAssertEqual(transcript.termination, .terminated)
        XCTAssertFalse(session.client.groupAlive)
    }

    func testUnansweredPromptMeansLeave() throws {
        let node = try MockNode(conferences: ConferenceConfig.builtins)
        try node.start()
        defer { node.stop() }
        let session = DriverSession(client: try ClientProcess(command: clientCommand))
        let start: JSONValue = ["type": "start", "protocol": .number(1), "scenario": "test/nopin",
                                "node": .string(node.baseURL), "conference": "secure", "display_name": "Runner"]
        let transcript = session.run(start: start, deadline: 20)
        XCTAssertEqual(transcript.messages.map { $0.message["type"]?.stringValue ?? "" }, ["pin_required", "left"])
        XCTAssertEqual(transcript.termination, .exited(0))
    }
}
