import Conformance
import Foundation
import PexipWire
import XCTest

/// The runner's hold on a client program, against deliberately bad clients.
final class ClientProcessTests: XCTestCase {
    func testWellBehavedClientTalksAndExits() throws {
        let client = try ClientProcess(command: """
            read start; echo '{"type":"joined","role":"HOST"}'
            while read line; do case "$line" in *leave*) echo '{"type":"left"}'; exit 0;; esac; done
            """)
        XCTAssertTrue(client.send(["type": "start", "protocol": .number(1)]))
        XCTAssertEqual(client.next(timeout: 5), .message(["type": "joined", "role": "HOST"]))
        client.send(["type": "leave"])
        XCTAssertEqual(client.next(timeout: 5), .message(["type": "left"]))
        XCTAssertEqual(client.stop(grace: 5), .exited(0))
        XCTAssertEqual(client.next(timeout: 1), .closed)
    }

    func testClientIgnoringEverythingIsTerminatedWithItsChildren() throws {
        let client = try ClientProcess(command: "sleep 1000 & sleep 1000")
        XCTAssertTrue(client.groupAlive)
        let ending = client.stop(grace: 0.2)
        XCTAssertEqual(ending, .terminated)
        XCTAssertFalse(client.groupAlive, "the background child went with it")
    }

    func testClientTrappingSIGTERMIsKilled() throws {
        let client = try ClientProcess(command: "trap '' TERM; echo ready; sleep 1000 & wait; sleep 1000")
        XCTAssertEqual(client.next(timeout: 5), .notJSON("ready"))
        XCTAssertEqual(client.stop(grace: 0.2), .killed)
        XCTAssertFalse(client.groupAlive)
    }

    /// A grandchild that leaves the session (`setsid`) with the client's stdout open: once it
    /// outlived the run, and the runner, never seeing stdout end, reported SIGKILL 12 s later.
    func testExitIsSeenAndADescendantThatLeftTheSessionIsKilled() throws {
        let client = try ClientProcess(command: #"setsid sleep 1000 & read start; echo '{"type":"failed"}'; exit 1"#)
        client.send(["type": "start"])
        XCTAssertEqual(client.next(timeout: 5), .message(["type": "failed"]))
        let started = Date()
        XCTAssertEqual(client.stop(grace: 5), .exited(1), "the exit itself, not the end of stdout, counts")
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        XCTAssertEqual(ChildRegistry.killDescendants(marker: client.marker), 0, "nothing it started is left")
        let survivors = try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { pid in
            pid.allSatisfy(\.isNumber) && (FileManager.default.contents(atPath: "/proc/\(pid)/environ").map {
                String(decoding: $0, as: UTF8.self).contains(client.marker) } ?? false)
        }
        XCTAssertEqual(survivors, [])
    }

    func testGarbageFloodIsBoundedAndReportedAsNotJSON() throws {
        let client = try ClientProcess(command: "yes 'not json at all'")
        XCTAssertEqual(client.next(timeout: 5), .notJSON("not json at all"))
        // Let it flood past the queue bound, then stop it.
        let deadline = Date().addingTimeInterval(10)
        while client.droppedLines == 0 && Date() < deadline { _ = client.next(timeout: 0) ; usleep(1000) }
        XCTAssertGreaterThan(client.droppedLines, 0, "lines beyond the queue bound are dropped, not kept")
        client.stop(grace: 0.2)
        XCTAssertFalse(client.groupAlive)
    }

    func testCrashIsSeenAsExitAndClosedOutput() throws {
        let client = try ClientProcess(command: "echo 'oops' >&2; exit 3")
        XCTAssertEqual(client.next(timeout: 5), .closed)
        XCTAssertEqual(client.stop(grace: 5), .exited(3))
        XCTAssertEqual(client.standardError, "oops\n")
        XCTAssertFalse(client.send(["type": "leave"]) && client.isRunning)
    }

    func testOverlongLineIsCutAndReported() throws {
        let client = try ClientProcess(command: "head -c 3000000 /dev/zero | tr '\\\\0' 'x'; echo; echo '{\"type\":\"joined\"}'")
        guard case .notJSON(let text)? = client.next(timeout: 10) else { return XCTFail("expected a cut line") }
        XCTAssertEqual(text.count, 200)
        XCTAssertEqual(client.next(timeout: 10), .message(["type": "joined"]), "the stream stays usable after a cut line")
        client.stop(grace: 5)
    }
}
