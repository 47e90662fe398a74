import Foundation
import MockNode
import XCTest

final class EjectWireTests: XCTestCase {
    /// Even with no delay before the cut, the event is on the wire before the connection ends.
    func testDisconnectEventAlwaysPrecedesTheCut() throws {
        var config = ConferenceConfig(alias: "meet")
        config.disconnectCutDelay = 0
        let h = try NodeHarness([config])
        var missing = 0
        for i in 0..<300 {
            let a = try h.join("meet", name: "A\(i)")
            let events = try h.listen("meet", token: a.token)
            try h.node.eject(a.uuid, reason: "Kicked")
            let rest = try events.drain()
            if rest.last?.event != "disconnect" { missing += 1 }
        }
        XCTAssertEqual(missing, 0)
    }
}
