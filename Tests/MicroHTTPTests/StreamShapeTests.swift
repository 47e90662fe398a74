import Foundation
import XCTest
@testable import MicroHTTP
import MockNodeTesting

/// How a stream can be ended and paced on purpose: the faults of the node's stream commands.
final class StreamShapeTests: XCTestCase {
    /// A server whose every request gets a new stream made by `make`, kept in the box; and a
    /// client on it with the 200 head read.
    private func openOne(_ make: @escaping @Sendable () -> EventStream = { EventStream(heartbeatInterval: 0) })
        throws -> (EventStream, LoopbackClient) {
        let box = StreamBox()
        let server = HTTPServer(configuration: HTTPServer.Configuration()) { _ in
            let s = make()
            box.add(s)
            return .stream(s, headers: HTTPHeaders())
        }
        try server.start()
        addTeardownBlock { server.stop() }
        let client = try LoopbackClient(port: server.port)
        addTeardownBlock { client.close() }
        try client.sendRequest(method: "GET", target: "/events")
        XCTAssertEqual(try client.readHead().status, 200)
        return (try XCTUnwrap(box.last), client)
    }

    private func readAll(_ client: LoopbackClient) throws -> (bytes: [UInt8], chunks: [[UInt8]], end: ChunkRead) {
        var chunks: [[UInt8]] = []
        while true {
            let c = try client.readChunk()
            guard case .data(let d) = c else { return (chunks.flatMap { $0 }, chunks, c) }
            chunks.append(d)
        }
    }

    func testResetReachesThePeerAsAnRSTAndIsTheCloseReason() throws {
        let (stream, client) = try openOne()
        let closed = DispatchSemaphore(value: 0)
        let reason = Locked<EventStream.CloseReason?>(nil)
        stream.onClose { r in reason.withLock { $0 = r }; closed.signal() }
        stream.send("before\n")
        XCTAssertEqual(try client.readChunk(), .data(Array("before\n".utf8)))
        stream.end(.reset)
        XCTAssertEqual(try client.readChunk(), .reset)
        XCTAssertEqual(closed.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(reason.withLock { $0 }, .reset)
        XCTAssertEqual(stream.send("late"), .closed)
    }

    func testCutIsAFINWithoutTheTerminatingChunkAndEndIsClean() throws {
        let (cut, c1) = try openOne()
        cut.send("x\n")
        cut.end(.cut)
        let a = try readAll(c1)
        XCTAssertEqual(a.bytes, Array("x\n".utf8))
        XCTAssertEqual(a.end, .cut)
        let (clean, c2) = try openOne()
        clean.send("y\n")
        clean.end(.clean)
        let b = try readAll(c2)
        XCTAssertEqual(b.bytes, Array("y\n".utf8))
        XCTAssertEqual(b.end, .end)
    }

    func testPacedWritesAreOneBytePerChunkWithThePauseBetween() throws {
        let (stream, client) = try openOne()
        stream.pace(.init(maxWrite: 1, pause: 0.01))
        let text = "event: é\n\n"
        let started = Date()
        stream.send(text)
        var got: [UInt8] = []
        while got.count < text.utf8.count, case .data(let d) = try client.readChunk() {
            XCTAssertEqual(d.count, 1, "a piece of \(d.count) bytes")
            got += d
        }
        XCTAssertEqual(String(decoding: got, as: UTF8.self), text)
        // 11 pieces, 10 pauses of at least 0.01 s between them.
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.1)
        stream.pace(.none)
        stream.send("whole\n")
        XCTAssertEqual(try client.readChunk(), .data(Array("whole\n".utf8)))
    }

    func testDelayedAndJitteredWritesKeepTheirOrderAndComeBeforeTheEnd() throws {
        let (stream, client) = try openOne()
        stream.pace(.init(delay: 0.05, jitter: 0.05))
        let lines = (0..<20).map { "line \($0)\n" }
        for l in lines { stream.send(l) }
        stream.close(error: false)
        let all = try readAll(client)
        XCTAssertEqual(String(decoding: all.bytes, as: UTF8.self), lines.joined())
        XCTAssertEqual(all.end, .end)
    }

    func testHeldWritesAreDelayed() throws {
        let (stream, client) = try openOne()
        stream.pace(.init(delay: 0.3))
        let started = Date()
        stream.send("late\n")
        XCTAssertEqual(try client.readChunk(), .data(Array("late\n".utf8)))
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.3)
    }

    func testCommentsWithAndWithoutTheBlankLine() throws {
        let (bare, c1) = try openOne { EventStream(heartbeatInterval: 0, blankLineAfterComments: false) }
        bare.sendComment("keepalive")
        XCTAssertEqual(try c1.readChunk(), .data(Array(": keepalive\n".utf8)))
        bare.sendComment("k", blankLine: true)
        XCTAssertEqual(try c1.readChunk(), .data(Array(": k\n\n".utf8)))
        let (blank, c2) = try openOne()
        blank.sendComment("keepalive")
        XCTAssertEqual(try c2.readChunk(), .data(Array(": keepalive\n\n".utf8)))
        blank.sendComment("k", blankLine: false)
        XCTAssertEqual(try c2.readChunk(), .data(Array(": k\n".utf8)))
    }
}
