import Foundation
import MicroHTTP
import MockNode
import PexipWire
import TestSupport
import XCTest

/// Runs the built `pexip-client --driver` as the conformance runner will,
/// against a node in this process, and checks its JSON Lines.
final class DriverModeTests: XCTestCase {
    /// The child process with line-by-line access to its stdout.
    final class Child: @unchecked Sendable {
        let process = Process()
        private let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        private let condition = NSCondition()
        private var lines: [String] = []
        private var pending = ""
        private var closed = false

        init(_ binary: URL) throws {
            process.executableURL = binary
            process.arguments = ["--driver"]
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = stderr
            try process.run()
            let handle = stdout.fileHandleForReading
            Thread { [self] in
                while true {
                    let data = handle.availableData
                    condition.withLock {
                        if data.isEmpty { closed = true } else {
                            pending += String(decoding: data, as: UTF8.self)
                            while let nl = pending.firstIndex(of: "\n") {
                                lines.append(String(pending[..<nl]))
                                pending = String(pending[pending.index(after: nl)...])
                            }
                        }
                        condition.broadcast()
                    }
                    if data.isEmpty { return }
                }
            }.start()
        }

        func send(_ message: JSONValue) {
            stdin.fileHandleForWriting.write(Data((message.jsonText + "\n").utf8))
        }

        func closeInput() { try? stdin.fileHandleForWriting.close() }

        /// The next stdout line as JSON (nil at end of output or after `timeout`).
        func next(timeout: Double = 10) -> JSONValue? {
            let deadline = Date().addingTimeInterval(timeout)
            return condition.withLock {
                while lines.isEmpty && !closed {
                    if !condition.wait(until: deadline) { break }
                }
                guard !lines.isEmpty else { return nil }
                let line = lines.removeFirst()
                let json = JSONValue.parse(line)
                XCTAssertNotNil(json?.objectValue, "stdout line is not a JSON object: \(line)")
                return json
            }
        }

        /// Messages up to and including the first of `type`.
        func until(_ type: String, timeout: Double = 10) -> [JSONValue] {
            var seen: [JSONValue] = []
            while let m = next(timeout: timeout) {
                seen.append(m)
                if m["type"]?.stringValue == type { return seen }
            }
            XCTFail("no \(type) message; saw \(seen.map(\.jsonText))")
            return seen
        }

        func exitStatus(timeout: Double = 10) -> Int32? {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning {
                process.terminate()
                return nil
            }
            return process.terminationStatus
        }

        var log: String { String(decoding: stderr.fileHandleForReading.availableData, as: UTF8.self) }
    }

    private var binary: URL { Products.url("pexip-client") }

    private func node() throws -> MockNode {
        let node = try MockNode(conferences: ConferenceConfig.builtins)
        try node.start()
        addTeardownBlock { node.stop() }
        return node
    }

    private func start(_ node: MockNode, _ alias: String, extra: [String: JSONValue] = [:]) -> JSONValue {
        var o: [String: JSONValue] = ["type": "start", "protocol": .number(1), "scenario": "test",
                                      "node": .string(node.baseURL), "conference": .string(alias),
                                      "display_name": "Driver"]
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }

    func testPinPromptJoinRosterChatAndLeave() throws {
        let node = try node()
        let child = try Child(binary)
        child.send(start(node, "secure"))
        XCTAssertEqual(child.next(), ["type": "pin_required", "guest_pin": "required"])
        child.send(["type": "pin", "pin": "5678"])
        let joined = try XCTUnwrap(child.next())
        XCTAssertEqual(joined["type"], "joined")
        XCTAssertEqual(joined["role"], "GUEST")
        XCTAssertEqual(joined["service_type"], "conference")
        XCTAssertEqual(joined["display_name"], "Driver")
        let uuid = try XCTUnwrap(joined["participant_uuid"]?.stringValue)
        let roster = try XCTUnwrap(child.until("roster").last)
        XCTAssertEqual(roster["participants"], [["uuid": .string(uuid), "display_name": "Driver", "role": "guest"]])

        let sim = try node.addParticipant(to: "secure", displayName: "Sim", role: .chair)
        XCTAssertEqual(child.until("roster").last?["participants"]?.arrayValue?.count, 2)
        try node.sendMessage(from: sim, text: "hello driver")
        XCTAssertEqual(child.until("message").last, ["type": "message", "origin": "Sim", "uuid": .string(sim), "text": "hello driver"])
        child.send(["type": "send_message", "text": "hi back"])
        let sent = node.waitForJournal { $0.request == "message" && $0.status == 200 }
        XCTAssertTrue(sent?.body?.contains("hi back") ?? false)
        child.send(["type": "some_future_message", "x": .number(1)])
        child.send(["type": "leave"])
        XCTAssertEqual(child.until("left").last, ["type": "left"])
        XCTAssertEqual(child.exitStatus(), 0)
        XCTAssertEqual(node.journal().filter { $0.request == "release_token" }.map(\.status), [200])
    }

    func testEndOfInputMeansLeave() throws {
        let node = try node()
        let child = try Child(binary)
        child.send(start(node, "meet"))
        XCTAssertEqual(child.until("roster").first?["type"], "joined")
        child.closeInput()
        XCTAssertEqual(child.until("left").last, ["type": "left"])
        XCTAssertEqual(child.exitStatus(), 0)
    }

    func testPinUpFrontAndDisconnectByNode() throws {
        let node = try node()
        let child = try Child(binary)
        child.send(start(node, "secure", extra: ["pin": "1234"]))
        let joined = try XCTUnwrap(child.next())
        XCTAssertEqual(joined["type"], "joined", "no prompt when the PIN came with start")
        XCTAssertEqual(joined["role"], "HOST")
        _ = child.until("roster")
        try node.eject(try XCTUnwrap(joined["participant_uuid"]?.stringValue), reason: "Bye from the test")
        XCTAssertEqual(child.until("disconnected").last, ["type": "disconnected", "reason": "Bye from the test"])
        XCTAssertEqual(child.exitStatus(), 0)
    }

    func testExtensionPrompt() throws {
        let node = try node()
        let child = try Child(binary)
        child.send(start(node, "reception"))
        XCTAssertEqual(child.next(), ["type": "extension_required"])
        child.send(["type": "extension", "extension": "meet"])
        XCTAssertEqual(child.next()?["type"], "joined")
        child.send(["type": "leave"])
        _ = child.until("left")
        XCTAssertEqual(child.exitStatus(), 0)
    }

    func testFailuresAreReportedWithReasonAndNonZeroExit() throws {
        let node = try node()
        let cases: [(JSONValue, String)] = [
            (start(node, "nosuch"), "not_found"),
            (start(node, "secure", extra: ["pin": "0000"]), "invalid_pin"),
            (start(node, "meet", extra: ["protocol": .number(2)]), "protocol"),
            (["type": "pin", "pin": "1"], "protocol"),
            (start(node, "meet", extra: ["node": "http://127.0.0.1:9"]), "unreachable"),
        ]
        for (first, reason) in cases {
            let child = try Child(binary)
            child.send(first)
            let failed = child.until("failed").last
            XCTAssertEqual(failed?["reason"]?.stringValue, reason, "\(first.jsonText)")
            XCTAssertNotNil(failed?["detail"]?.stringValue)
            let status = child.exitStatus()
            XCTAssertNotNil(status)
            XCTAssertNotEqual(status, 0, "\(first.jsonText)")
        }
    }

    func testTLSNodeTrustedThroughTlsCA() throws {
        let identity = try TLSIdentity.selfSigned()
        let cert = identity.certificatePEM
        var config = MockNode.Configuration(conferences: ConferenceConfig.builtins)
        config.http.tls = identity
        let node = try MockNode(config)
        try node.start()
        defer { node.stop() }
        let child = try Child(binary)
        child.send(start(node, "meet", extra: ["tls_ca": .string(cert)]))
        XCTAssertEqual(child.next()?["type"], "joined")
        XCTAssertEqual(child.until("roster").last?["participants"]?.arrayValue?.count, 1)
        child.send(["type": "leave"])
        XCTAssertEqual(child.until("left").last, ["type": "left"])
        XCTAssertEqual(child.exitStatus(), 0)
    }
}
