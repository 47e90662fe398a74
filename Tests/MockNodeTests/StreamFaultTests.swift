import Foundation
import MicroHTTP
import MockNode
import MockNodeTesting
import PexipWire
import XCTest

/// The node's stream-level faults, as a client's socket sees them.
final class StreamFaultTests: XCTestCase {
    private func control(_ h: NodeHarness, _ path: String, _ body: String = "{}") throws -> (Int, JSONValue?) {
        let r = try LoopbackClient.request(port: h.port, method: "POST", target: "/_mock" + path, body: Array(body.utf8))
        return (r.status, JSONValue.parse(r.body))
    }

    func testCutInEventWritesTheEventWithoutItsBlankLineThenCuts() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "A")
        let events = try h.listen("meet", token: a.token)
        XCTAssertEqual(try control(h, "/participants/\(a.uuid)/cut_in_event").0, 200)
        XCTAssertEqual(try events.drain().map(\.event), [], "the unfinished event must not parse as an event")
        XCTAssertEqual(events.ending, .cut)
        XCTAssertTrue(events.rawText.hasSuffix("event: message_received\ndata: {\"origin\":\"Cut Off\",\"uuid\":\"00000000-0000-4000-8000-00000000c0ff\",\"type\":\"text/plain\",\"payload\":\"this event was cut off\",\"direct\":false}\n"),
                      events.rawText.suffix(200).description)
        let action = try XCTUnwrap(h.node.journal().last { $0.kind == .action && $0.action == "cut_in_event" })
        XCTAssertTrue(action.detail?.contains("message_received") ?? false)
        XCTAssertEqual(h.node.participants().count, 1, "the participant stays")
    }

    func testCutInEventKeepsTheBytesAsked() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "A")
        let events = try h.listen("meet", token: a.token)
        let before = events.rawText.utf8.count
        _ = try control(h, "/participants/\(a.uuid)/cut_in_event", #"{"event":"stage","data":[],"keep":9}"#)
        _ = try events.drain()
        XCTAssertEqual(String(events.rawText.utf8.dropFirst(before))!, "event: st")
    }

    func testDropStreamHowResetAndEnd() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "A")
        let first = try h.listen("meet", token: a.token)
        XCTAssertEqual(try control(h, "/participants/\(a.uuid)/drop_stream", #"{"how":"reset"}"#).0, 200)
        _ = try first.drain()
        XCTAssertEqual(first.ending, .reset)
        XCTAssertNotNil(h.node.waitForJournal { $0.kind == .streamClose && $0.reason == "reset" })
        let second = try h.listen("meet", token: a.token)
        try h.node.dropStreams(of: a.uuid, how: .clean)
        _ = try second.drain()
        XCTAssertEqual(second.ending, .end)
        XCTAssertNotNil(h.node.waitForJournal { $0.kind == .streamClose && $0.reason == "clean" })
        let (status, body) = try control(h, "/participants/\(a.uuid)/drop_stream", #"{"how":"gently"}"#)
        XCTAssertEqual(status, 400)
        XCTAssertEqual(body?["error"]?.stringValue, "how must be cut, reset or end (got 'gently')")
    }

    func testPaceStreamSplitsEventsAndRefusesNonsense() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet")])
        let a = try h.join("meet", name: "A")
        let events = try h.listen("meet", token: a.token)
        XCTAssertEqual(try control(h, "/participants/\(a.uuid)/pace_stream", #"{"max_write":3}"#).0, 200)
        try h.node.inject(event: "stage", data: "[]", to: .participant(a.uuid))
        var pieces: [Int] = []
        while !events.rawText.hasSuffix("event: stage\ndata: []\n\n"), case .data(let d) = try events.nextChunk() {
            pieces.append(d.count)
        }
        XCTAssertEqual(try events.next()?.event, "stage")
        XCTAssertTrue(pieces.allSatisfy { $0 <= 3 }, "\(pieces)")
        XCTAssertGreaterThan(pieces.count, 5)
        for (body, error) in [(#"{"max_write":0}"#, "max_write must be a whole number of bytes from 1 to 1000000"),
                              (#"{"pause":0.1}"#, "pause needs max_write (the pieces it comes between)"),
                              (#"{"delay":-1}"#, "delay must be 0 to 30 seconds"),
                              (#"{"jitter":"a bit"}"#, "jitter must be a number (got \"a bit\")")] {
            let (status, answer) = try control(h, "/participants/\(a.uuid)/pace_stream", body)
            XCTAssertEqual(status, 400, body)
            XCTAssertEqual(answer?["error"]?.stringValue, error, body)
        }
    }

    func testCommentCommandFollowsTheConferenceOrTheRequest() throws {
        var c = ConferenceConfig(alias: "meet")
        c.keepaliveBlankLine = false
        let h = try NodeHarness([c])
        let a = try h.join("meet", name: "A")
        let events = try h.listen("meet", token: a.token)
        _ = try control(h, "/participants/\(a.uuid)/comment", #"{"text":"ping"}"#)
        XCTAssertEqual(try events.nextChunk(), .data(Array(": ping\n".utf8)))
        _ = try control(h, "/participants/\(a.uuid)/comment", #"{"blank_line":true}"#)
        XCTAssertEqual(try events.nextChunk(), .data(Array(": keepalive\n\n".utf8)))
        XCTAssertEqual(try control(h, "/participants/\(a.uuid)/comment", #"{"text":"two\nlines"}"#).1?["error"]?.stringValue,
                       "text must be one line")
    }

    func testLineEndingSettingRewritesEveryLineEnd() throws {
        var c = ConferenceConfig(alias: "meet")
        c.lineEnding = .crlf
        let h = try NodeHarness([c])
        let a = try h.join("meet", name: "A")
        let events = try h.listen("meet", token: a.token)
        XCTAssertTrue(events.rawText.contains("event: participant_sync_end\r\ndata: null\r\n\r\n"), events.rawText.suffix(120).description)
        XCTAssertFalse(events.rawText.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "a bare LF")
        _ = try control(h, "/participants/\(a.uuid)/comment", #"{"text":"k"}"#)
        XCTAssertEqual(try events.nextChunk(), .data(Array(": k\r\n\r\n".utf8)))
        XCTAssertThrowsError(try JSONValue.parse(#"{"alias":"x","line_ending":"crcr"}"#)!.decode(ConferenceConfig.self)) {
            XCTAssertTrue(String(describing: $0).contains("line_ending must be lf, crlf or cr (got 'crcr')"), "\($0)")
        }
    }
}
