import Foundation
import Synchronization
import XCTest
@testable import MicroHTTP
import MockNodeTesting

/// Collects streams a test handler creates so the test can push to them. (Under `Locked`, not
/// `Synchronization.Mutex`, whose ordering ThreadSanitizer cannot see.)
final class StreamBox: Sendable {
    let streams = Locked<[EventStream]>([])
    let opened = DispatchSemaphore(value: 0)
    func add(_ s: EventStream) { streams.withLock { $0.append(s) }; opened.signal() }
    var last: EventStream? { streams.withLock { $0.last } }
}

final class ServerTests: XCTestCase {
    /// A server answering every request with a new event stream, kept in the box.
    private func streamServer(heartbeat: Double) throws -> (HTTPServer, StreamBox) {
        let box = StreamBox()
        let server = try startServer { _ in
            let s = EventStream(heartbeatInterval: heartbeat)
            box.add(s)
            return .stream(s, headers: HTTPHeaders())
        }
        return (server, box)
    }

    /// `count` clients, each with `GET /events` sent and its 200 head read.
    private func openStreams(_ count: Int, on server: HTTPServer) throws -> [LoopbackClient] {
        var clients: [LoopbackClient] = []
        for _ in 0..<count {
            let c = try LoopbackClient(port: server.port)
            try c.sendRequest(method: "GET", target: "/events")
            clients.append(c)
        }
        for c in clients { XCTAssertEqual(try c.readHead().status, 200) }
        return clients
    }

    private func startServer(_ configure: (inout HTTPServer.Configuration) -> Void = { _ in },
                             handler: @escaping HTTPHandler) throws -> HTTPServer {
        var config = HTTPServer.Configuration()
        configure(&config)
        let server = HTTPServer(configuration: config, handler: handler)
        try server.start()
        addTeardownBlock { server.stop() }
        return server
    }

    private func echoServer() throws -> HTTPServer {
        try startServer { request in
            var headers = HTTPHeaders()
            headers.set("X-Method", request.method)
            headers.set("X-Path", request.path)
            headers.set("X-Query", request.query.map { "\($0.name)=\($0.value)" }.joined(separator: "&"))
            headers.set("X-Token", request.headers["TOKEN"] ?? "-")
            return .response(HTTPResponse(status: 201, headers: headers, body: request.body))
        }
    }

    func testBindsEphemeralLoopbackPortAndReportsIt() throws {
        let server = try echoServer()
        XCTAssertNotEqual(server.port, 0)
        XCTAssertEqual(server.phase, .running)
    }

    func testRequestPartsReachTheHandler() throws {
        let server = try echoServer()
        let response = try LoopbackClient.request(
            port: server.port, method: "POST", target: "/a/b%20c?x=1&y=two%20words",
            headers: [("token", "abc")], body: Array("hello".utf8))
        XCTAssertEqual(response.status, 201)
        XCTAssertEqual(response.headers["x-method"], "POST")
        XCTAssertEqual(response.headers["X-Path"], "/a/b c")
        XCTAssertEqual(response.headers["X-Query"], "x=1&y=two words")
        XCTAssertEqual(response.headers["X-Token"], "abc")
        XCTAssertEqual(response.text, "hello")
    }

    func testBodyArrivingInPiecesIsAccumulated() throws {
        let server = try echoServer()
        let client = try LoopbackClient(port: server.port)
        let body = [UInt8](repeating: UInt8(ascii: "z"), count: 40_000)
        try client.send(Array("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.count)\r\n\r\n".utf8))
        for piece in stride(from: 0, to: body.count, by: 7_000) {
            try client.send(Array(body[piece..<min(piece + 7_000, body.count)]))
        }
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 201)
        XCTAssertEqual(response.body.count, body.count)
    }

    func testOversizedBodyGets413AndServerKeepsServing() throws {
        let server = try echoServer()
        let big = [UInt8](repeating: 65, count: 64 * 1024 + 1)
        let response = try LoopbackClient.request(port: server.port, method: "POST", target: "/x", body: big)
        XCTAssertEqual(response.status, 413)
        let chunked = try LoopbackClient(port: server.port)
        try chunked.send(Array("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8))
        for _ in 0..<5 {
            try chunked.send(Array("4000\r\n".utf8) + [UInt8](repeating: 66, count: 0x4000) + Array("\r\n".utf8))
        }
        try chunked.send(Array("0\r\n\r\n".utf8))
        XCTAssertEqual(try chunked.readResponse().status, 413)
        XCTAssertEqual(try LoopbackClient.request(port: server.port, target: "/ok").status, 201)
    }

    func testMalformedRequestLineGets400() throws {
        let server = try echoServer()
        let client = try LoopbackClient(port: server.port)
        try client.send(Array("THIS IS NOT HTTP\r\n\r\n".utf8))
        XCTAssertEqual(try client.readResponse().status, 400)
        XCTAssertEqual(try LoopbackClient.request(port: server.port, target: "/ok").status, 201)
    }

    /// libmicrohttpd, out of connection memory while storing query parameters, once left
    /// such requests unanswered until the idle timeout; now every one gets an answer at once.
    func testEveryQueryGetsAnAnswerHoweverManyParameters() throws {
        let server = try echoServer()
        func status(_ count: Int, _ length: Int) throws -> Int {
            let query = (0..<count).map { "a\($0)=" + String(repeating: "v", count: length) }.joined(separator: "&")
            return try LoopbackClient.request(port: server.port, target: "/q?" + query, timeout: 3).status
        }
        XCTAssertEqual(try status(1, 1000), 201, "one long parameter (a token) is fine")
        XCTAssertEqual(try status(20, 20), 201)
        for (count, length) in [(65, 1), (90, 1), (200, 1), (500, 1), (64, 40), (45, 60), (30, 100)] {
            XCTAssertEqual(try status(count, length), 414, "\(count) parameters of \(length) characters")
        }
        XCTAssertTrue([414, 431].contains(try status(10_000, 1)))
        let r = try LoopbackClient.request(port: server.port, target: "/q?" + Array(repeating: "a=1", count: 100).joined(separator: "&"))
        XCTAssertEqual(String(decoding: r.body, as: UTF8.self),
                       "query too large: more than 64 parameters, or more than the connection memory (6144 bytes) holds\n")
        XCTAssertEqual(try LoopbackClient.request(port: server.port, target: "/ok?x=1").status, 201, "still serving")
    }

    func testDropClosesWithoutAnswer() throws {
        let server = try startServer { _ in .drop }
        let client = try LoopbackClient(port: server.port)
        try client.sendRequest(method: "GET", target: "/")
        XCTAssertThrowsError(try client.readHead())
    }

    func testDeferredResponseIsSentWhenFulfilled() throws {
        let pending = Locked<[DeferredResponse]>([])
        let server = try startServer { _ in
            let d = DeferredResponse()
            pending.withLock { $0.append(d) }
            return .deferred(d)
        }
        let client = try LoopbackClient(port: server.port, timeout: 0.2)
        try client.sendRequest(method: "GET", target: "/later")
        XCTAssertThrowsError(try client.readHead()) { XCTAssertEqual($0 as? LoopbackClientError, .timedOut) }
        let d = try XCTUnwrap(pending.withLock { $0.first })
        d.fulfil(.response(HTTPResponse(status: 202, contentType: "text/plain", text: "done")))
        client.timeout = 5
        XCTAssertEqual(try client.readResponse().status, 202)
    }

    func testStreamDeliversPushesInOrderAndEndsCleanly() throws {
        let box = StreamBox()
        let server = try startServer { _ in
            let s = EventStream(heartbeatInterval: 0)
            s.send("first\n")
            box.add(s)
            return .stream(s, headers: ["X-Extra": "1"])
        }
        let client = try LoopbackClient(port: server.port)
        try client.sendRequest(method: "GET", target: "/events")
        let head = try client.readHead()
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.headers["Content-Type"], "text/event-stream")
        XCTAssertEqual(head.headers["X-Extra"], "1")
        XCTAssertEqual(try client.readChunk(), .data(Array("first\n".utf8)))
        let stream = try XCTUnwrap(box.last)
        for i in 0..<3 { stream.send("n\(i)\n") }
        var text = ""
        while text.count < 9, case .data(let d) = try client.readChunk() { text += String(decoding: d, as: UTF8.self) }
        XCTAssertEqual(text, "n0\nn1\nn2\n")
        let closed = DispatchSemaphore(value: 0)
        let reason = Locked<EventStream.CloseReason?>(nil)
        stream.onClose { r in reason.withLock { $0 = r }; closed.signal() }
        stream.close(error: false)
        XCTAssertEqual(try client.readChunk(), .end)
        XCTAssertEqual(closed.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(reason.withLock { $0 }, .clean)
        XCTAssertEqual(stream.send("late"), .closed)
    }

    func testStreamClosedWithErrorIsCutWithoutTerminatingChunk() throws {
        let (server, box) = try streamServer(heartbeat: 0)
        let client = try LoopbackClient(port: server.port)
        try client.sendRequest(method: "GET", target: "/events")
        XCTAssertEqual(try client.readHead().status, 200)
        let stream = try XCTUnwrap(box.last)
        stream.send("x\n")
        stream.close(error: true)
        XCTAssertEqual(try client.readChunk(), .data(Array("x\n".utf8)))
        XCTAssertEqual(try client.readChunk(), .cut)
    }

    func testDataQueuedBeforeAnErrorCloseAlwaysArrives() throws {
        let (server, box) = try streamServer(heartbeat: 0)
        for i in 0..<300 {
            let client = try LoopbackClient(port: server.port)
            try client.sendRequest(method: "GET", target: "/events")
            XCTAssertEqual(try client.readHead().status, 200)
            let stream = try XCTUnwrap(box.last)
            stream.send("first \(i)\n")
            stream.send("last \(i)\n")
            stream.close(error: true)
            var got: [UInt8] = []
            while case .data(let d) = try client.readChunk() { got += d }
            XCTAssertEqual(String(decoding: got, as: UTF8.self), "first \(i)\nlast \(i)\n", "round \(i)")
        }
    }

    func testHeartbeatsArriveAndStallSilencesThem() throws {
        let (server, box) = try streamServer(heartbeat: 0.05)
        let client = try LoopbackClient(port: server.port)
        try client.sendRequest(method: "GET", target: "/events")
        XCTAssertEqual(try client.readHead().status, 200)
        XCTAssertEqual(try client.readChunk(), .data(Array(": keepalive\n\n".utf8)))
        let stream = try XCTUnwrap(box.last)
        stream.stall()
        // Drain anything queued before the stall, then nothing more may come.
        client.timeout = 0.3
        var quiet = false
        for _ in 0..<5 {
            do { _ = try client.readChunk() } catch LoopbackClientError.timedOut { quiet = true; break }
        }
        XCTAssertTrue(quiet, "a stalled stream kept sending")
        XCTAssertEqual(stream.send("event\n"), .stalled)
        stream.unstall()
        client.timeout = 5
        XCTAssertEqual(try client.readChunk(), .data(Array(": keepalive\n\n".utf8)))
    }

    func testHeartbeatReapsStreamWhosePeerLeft() throws {
        let (server, box) = try streamServer(heartbeat: 0.05)
        let client = try LoopbackClient(port: server.port)
        try client.sendRequest(method: "GET", target: "/events")
        XCTAssertEqual(try client.readHead().status, 200)
        let stream = try XCTUnwrap(box.last)
        let gone = DispatchSemaphore(value: 0)
        stream.onClose { _ in gone.signal() }
        client.close()
        XCTAssertEqual(gone.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(server.openStreamCount, 0)
    }

    /// Without heartbeats a suspended stream's socket is not watched by libmicrohttpd;
    /// the server's peer checks still notice a client that closed (once kept forever).
    func testStreamWithoutHeartbeatsIsEndedWhenItsPeerCloses() throws {
        let (server, box) = try streamServer(heartbeat: 0)
        let clients = try openStreams(20, on: server)
        let streams = box.streams.withLock { $0 }
        let gone = DispatchGroup()
        let reasons = Locked<[EventStream.CloseReason]>([])
        for stream in streams {
            gone.enter()
            stream.onClose { reason in
                reasons.withLock { $0.append(reason) }
                gone.leave()
            }
        }
        XCTAssertEqual(server.openStreamCount, 20)
        for client in clients { client.close() }
        XCTAssertEqual(gone.wait(timeout: .now() + 5), .success, "every stream ended")
        XCTAssertEqual(reasons.withLock { $0 }, Array(repeating: .peer, count: 20))
        XCTAssertEqual(server.openStreamCount, 0)
    }

    /// A peer that never reads fills its socket; past the pending limit the stream is cut
    /// (once it was kept, with its memory, for as long as the peer stayed connected).
    func testStreamWhosePeerNeverReadsIsCutAtItsLimit() throws {
        let box = StreamBox()
        let server = try startServer { _ in
            let s = EventStream(heartbeatInterval: 0, maxPendingBytes: 256 << 10)
            box.add(s)
            return .stream(s, headers: HTTPHeaders())
        }
        let client = try LoopbackClient(port: server.port, receiveBuffer: 4096)
        try client.sendRequest(method: "GET", target: "/events")
        XCTAssertEqual(box.opened.wait(timeout: .now() + 5), .success)
        let stream = try XCTUnwrap(box.last)
        let gone = DispatchSemaphore(value: 0)
        stream.onClose { _ in gone.signal() }
        let chunk = Array("data: ".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 32 << 10) + [10, 10]
        // Feed it until the socket is full: the server stops taking bytes (nothing drains for
        // 300 ms). Only then is libmicrohttpd waiting to write, never asking for more.
        var full = false
        for _ in 0..<2_000 where !full {
            XCTAssertEqual(stream.send(chunk), .queued)
            let until = Date().addingTimeInterval(0.3)
            while stream.pendingBytes > 0 && Date() < until { usleep(2_000) }
            full = stream.pendingBytes > 0
        }
        XCTAssertTrue(full, "the peer's socket never filled")
        while stream.send(chunk) == .queued {}
        XCTAssertFalse(stream.isOpen)
        XCTAssertEqual(gone.wait(timeout: .now() + 5), .success, "the connection was cut, not kept")
        // The server's own close handler may run after this test's (it was registered when the
        // bridge took the stream, which can be after `opened`): it has no event of its own to await.
        let until = Date().addingTimeInterval(5)
        while server.openStreamCount > 0 && Date() < until { usleep(1_000) }
        XCTAssertEqual(server.openStreamCount, 0)
    }

    func testStopCutsOpenStreamsAndAnswersDeferred() throws {
        let box = StreamBox()
        let pending = Locked<DeferredResponse?>(nil)
        var config = HTTPServer.Configuration()
        config.heartbeatInterval = 0
        let server = HTTPServer(configuration: config) { request in
            if request.path == "/later" {
                let d = DeferredResponse()
                pending.withLock { $0 = d }
                return .deferred(d)
            }
            let s = EventStream()
            box.add(s)
            return .stream(s, headers: HTTPHeaders())
        }
        try server.start()
        var clients: [LoopbackClient] = []
        for _ in 0..<20 {
            let c = try LoopbackClient(port: server.port)
            try c.sendRequest(method: "GET", target: "/events")
            XCTAssertEqual(try c.readHead().status, 200)
            clients.append(c)
        }
        let waiting = try LoopbackClient(port: server.port)
        try waiting.sendRequest(method: "GET", target: "/later")
        while pending.withLock({ $0 == nil }) { usleep(1000) }
        XCTAssertEqual(server.openStreamCount, 20)
        server.stop()
        XCTAssertEqual(server.phase, .stopped)
        XCTAssertEqual(try waiting.readResponse().status, 503)
        for c in clients { XCTAssertEqual(try c.readChunk(), .cut) }
        server.stop()
    }

    /// The life of a server is one way: initial → running → stopping → stopped. Start twice
    /// throws, a stopped server does not start again, stop is idempotent and a stop racing
    /// another returns only once the server is stopped (libmicrohttpd's daemon stopped once).
    func testLifecycleStartTwiceStopTwice() throws {
        let server = try echoServer()
        XCTAssertEqual(server.phase, .running)
        XCTAssertThrowsError(try server.start()) { XCTAssertTrue("\($0)".contains("already started"), "\($0)") }
        let (streamServer, _) = try streamServer(heartbeat: 0)
        let clients = try openStreams(5, on: streamServer)
        let stopped = Locked<[HTTPServer.Phase]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            streamServer.stop()
            stopped.withLock { $0.append(streamServer.phase) }
        }
        XCTAssertEqual(stopped.withLock { $0 }, Array(repeating: .stopped, count: 8), "every stop returned after the server stopped")
        for c in clients { XCTAssertEqual(try c.readChunk(), .cut) }
        XCTAssertThrowsError(try streamServer.start()) { XCTAssertTrue("\($0)".contains("does not start again"), "\($0)") }
        server.stop()
        server.stop()
        XCTAssertEqual(server.phase, .stopped)

        let never = HTTPServer { _ in .drop }
        never.stop()
        XCTAssertEqual(never.phase, .stopped, "a server stopped before it started is stopped")
        XCTAssertThrowsError(try never.start())
    }

    func testPortInUseIsAClearError() throws {
        let first = try echoServer()
        var config = HTTPServer.Configuration()
        config.port = first.port
        let second = HTTPServer(configuration: config) { _ in .drop }
        XCTAssertThrowsError(try second.start()) { error in
            XCTAssertTrue("\(error)".contains("cannot listen on 127.0.0.1:\(first.port)"), "\(error)")
        }
    }

    func testManyConcurrentStreamsAllReceiveABroadcast() throws {
        let (server, box) = try streamServer(heartbeat: 0)
        let clients = try openStreams(200, on: server)
        for s in box.streams.withLock({ $0 }) { s.send("data: hi\n\n") }
        for c in clients { XCTAssertEqual(try c.readChunk(), .data(Array("data: hi\n\n".utf8))) }
    }
}

final class TLSTests: XCTestCase {
    func testServesHTTPSWithTheGivenCertificate() throws {
        let identity = try TLSIdentity.selfSigned()
        let certPath = NSTemporaryDirectory() + "mockmcu-ca-\(UUID().uuidString).pem"
        try identity.certificatePEM.write(toFile: certPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: certPath) }
        var config = HTTPServer.Configuration()
        config.tls = identity
        let server = HTTPServer(configuration: config) { request in
            .response(HTTPResponse(status: 200, contentType: "text/plain", text: "secure \(request.path)"))
        }
        try server.start()
        defer { server.stop() }
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "--cacert", certPath, "https://127.0.0.1:\(server.port)/hello"]
        let out = Pipe()
        curl.standardOutput = out
        try curl.run()
        curl.waitUntilExit()
        XCTAssertEqual(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self), "secure /hello")
        // Plain HTTP to the TLS port gets nowhere.
        XCTAssertThrowsError(try LoopbackClient.request(port: server.port, target: "/hello", timeout: 2))
    }

    func testRefusesAKeyThatIsNotPEM() {
        var config = HTTPServer.Configuration()
        config.tls = TLSIdentity(certificatePEM: "not a certificate", privateKeyPEM: "not a key")
        let server = HTTPServer(configuration: config) { _ in .drop }
        XCTAssertThrowsError(try server.start()) { XCTAssertTrue("\($0)".contains("TLS"), "\($0)") }
    }
}
