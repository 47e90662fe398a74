import PexipWire
import XCTest

final class SSEParserTests: XCTestCase {
    private func parse(_ text: String) -> [SSEEvent] {
        var p = SSEParser()
        return p.feed(text)
    }

    func testNamedEventWithIdAndData() {
        XCTAssertEqual(parse("id: 1\nevent: stage\ndata: []\n\n"), [SSEEvent(event: "stage", data: "[]", id: "1")])
    }

    func testUnnamedEventIsMessage() {
        XCTAssertEqual(parse("data: x\n\n").first?.event, "message")
    }

    func testAllThreeLineEndings() {
        let expected = [SSEEvent(event: "a", data: "1"), SSEEvent(event: "b", data: "2"), SSEEvent(event: "c", data: "3")]
        XCTAssertEqual(parse("event: a\rdata: 1\r\revent: b\ndata: 2\n\nevent: c\r\ndata: 3\r\n\r\n"), expected)
    }

    func testCRLFSplitAcrossChunksIsOneLineEnd() {
        var p = SSEParser()
        XCTAssertEqual(p.feed("data: a\r"), [])
        XCTAssertEqual(p.feed("\n"), [], "the LF completes the CRLF; it is not a blank line")
        XCTAssertEqual(p.feed("\r\n"), [SSEEvent(event: "message", data: "a")])
    }

    func testMultiLineDataJoinedWithLF() {
        XCTAssertEqual(parse("data: one\ndata:two\ndata\n\n").first?.data, "one\ntwo\n")
    }

    func testOnlyOneLeadingSpaceIsStripped() {
        XCTAssertEqual(parse("data:  two spaces\n\n").first?.data, " two spaces")
    }

    func testCommentsAreIgnoredAndCounted() {
        var p = SSEParser()
        XCTAssertEqual(p.feed(": keepalive\n\n: another\ndata: x\n\n"), [SSEEvent(event: "message", data: "x")])
        XCTAssertEqual(p.commentCount, 2)
    }

    func testEventWithoutDataIsNotDispatchedButResetsType() {
        XCTAssertEqual(parse("event: lonely\n\ndata: y\n\n"), [SSEEvent(event: "message", data: "y")])
    }

    func testRetryTakesDigitsOnly() {
        var p = SSEParser()
        _ = p.feed("retry: 1500\n\n")
        XCTAssertEqual(p.retry, 1500)
        _ = p.feed("retry: 15a0\n\nretry: -1\n\nretry: \n\nretry: 1.5\n\n")
        XCTAssertEqual(p.retry, 1500, "non-digit values are ignored")
    }

    func testIdWithNulIsIgnoredAndIdPersists() {
        var p = SSEParser()
        let events = p.feed("id: good\ndata: 1\n\nid: ba\0d\ndata: 2\n\ndata: 3\n\n")
        XCTAssertEqual(events.map(\.id), ["good", "good", "good"])
        XCTAssertEqual(p.lastEventID, "good")
        XCTAssertEqual(p.feed("id\ndata: 4\n\n").first?.id, "", "an empty id resets it")
    }

    func testOnlyTheFirstBOMIsStripped() {
        var p = SSEParser()
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        XCTAssertEqual(p.feed(bom + Array("data: a\n\n".utf8)), [SSEEvent(event: "message", data: "a")])
        let second = p.feed(bom + Array("data: b\n\n".utf8))
        XCTAssertEqual(second, [], "a later BOM is part of a field name, so that line is ignored")
    }

    func testBOMSplitAcrossChunks() {
        var p = SSEParser()
        XCTAssertEqual(p.feed([0xEF]), [])
        XCTAssertEqual(p.feed([0xBB, 0xBF] + Array("data: z\n\n".utf8)), [SSEEvent(event: "message", data: "z")])
    }

    func testPartialEventAtEOFIsDropped() {
        var p = SSEParser()
        XCTAssertEqual(p.feed("data: complete\n\ndata: partial\n"), [SSEEvent(event: "message", data: "complete")])
        p.finish()
        XCTAssertEqual(p.feed("\n"), [], "nothing of the cut event survives")
    }

    func testFieldWithoutColonAndUnknownFields() {
        XCTAssertEqual(parse("data\n\n").first?.data, "")
        XCTAssertEqual(parse("foo: bar\ndata: ok\n\n"), [SSEEvent(event: "message", data: "ok")])
    }

    func testByteAtATimeFeedingGivesTheSameEvents() {
        let text = "id: 7\r\nevent: participant_create\r\ndata: {\"a\":1}\r\n\r\n: c\n"
        var p = SSEParser()
        var out: [SSEEvent] = []
        for b in Array(text.utf8) { out += p.feed([b]) }
        XCTAssertEqual(out, parse(text))
        XCTAssertEqual(out.count, 1)
    }

    func testEncoderRoundTripsThroughParser() {
        let data = "line one\nline two"
        let text = SSEEncoder.encode(event: "message_received", data: data, id: "MV8x")
        XCTAssertEqual(text, "id: MV8x\nevent: message_received\ndata: line one\ndata: line two\n\n")
        XCTAssertEqual(parse(text), [SSEEvent(event: "message_received", data: data, id: "MV8x")])
        XCTAssertEqual(parse(SSEEncoder.encode(event: "e", data: "")), [SSEEvent(event: "e", data: "")])
    }

    /// The byte encoder the node writes with says exactly what the String one says.
    func testByteEncoderMatchesTheStringEncoder() {
        for data in ["", "{}", "a\nb", "a\rb", "a\r\nb", "\n", "\r\n\r\n", "a\n\rb", "x\r", "Zoë ☕\n\u{1F600}", "\r\r\n\n"] {
            XCTAssertEqual(SSEEncoder.encodeBytes(event: "message_received", data: data),
                           Array(SSEEncoder.encode(event: "message_received", data: data).utf8), "data \(data.debugDescription)")
        }
    }
}
