import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import XCTest

/// Runs the built `mockmcu` program as a user would.
final class ServeCommandTests: XCTestCase {
    private var binary: URL { Products.url("mockmcu") }

    private func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        try Products.run("mockmcu", args)
    }

    /// Reads from a pipe until `marker` has arrived (or the pipe closes).
    private func read(_ pipe: Pipe, until marker: String) -> String {
        var text = ""
        while !text.contains(marker) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        return text
    }

    private func tempFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "mockmcu-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Starts `mockmcu serve --port 0` and reads its banner up to `marker`.
    private func startServe(until marker: String) throws -> (process: Process, out: Pipe, banner: String) {
        let p = Process()
        p.executableURL = binary
        p.arguments = ["serve", "--port", "0", "--log-level", "error"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        return (p, out, read(out, until: marker))
    }

    func testServePrintsURLsAndPinsAnswersAndStopsOnSIGINT() throws {
        let (p, out, banner) = try startServe(until: "Ctrl-C stops the node.")
        XCTAssertTrue(banner.contains("secure: host PIN 1234, guest PIN 5678"), banner)
        XCTAssertTrue(banner.contains("reception: Virtual Reception"), banner)
        let url = try XCTUnwrap(banner.split(separator: "\n").first?.split(separator: " ").last.map(String.init))
        XCTAssertTrue(url.hasPrefix("http://127.0.0.1:"), url)
        let port = try XCTUnwrap(Int(url.split(separator: ":").last ?? ""))
        XCTAssertNotEqual(port, 0, "the banner reports the bound port")

        var request = URLRequest(url: URL(string: "\(url)/api/client/v2/conferences/meet/request_token")!)
        request.httpMethod = "POST"
        request.httpBody = Data(#"{"display_name":"cli"}"#.utf8)
        let done = expectation(description: "answer")
        let status = StatusBox()
        URLSession.shared.dataTask(with: request) { _, response, _ in
            status.value = (response as? HTTPURLResponse)?.statusCode ?? 0
            done.fulfill()
        }.resume()
        wait(for: [done], timeout: 10)
        XCTAssertEqual(status.value, 200)

        p.interrupt()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit)
        XCTAssertEqual(p.terminationStatus, 0)
        let rest = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(rest.contains("stopped"), rest)
    }

    func testBadConferenceFileFailsWithLineNumber() throws {
        let path = try tempFile("conferences:\n  - alias: a\n    host_pin: 12\n")
        let r = try run(["serve", "--port", "0", "--config", path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("\(path):3: conference 'a': PIN '12' must be 4 to 10 digits"), r.err)
    }

    func testCheckConferences() throws {
        let good = try tempFile("conferences:\n  - alias: team\n    host_pin: \"1234\"\n")
        let ok = try run(["check-conferences", good])
        XCTAssertEqual(ok.status, 0)
        XCTAssertTrue(ok.out.contains("team: PIN 1234, everyone joins as host"), ok.out)
        let bad = try tempFile("conferences:\n  - alias: team\n    expire: 5\n")
        let fail = try run(["check-conferences", bad])
        XCTAssertEqual(fail.status, 1)
        XCTAssertTrue(fail.err.contains(":3: unknown key 'expire' in a conference (did you mean 'expires'?)"), fail.err)
    }

    func testPortInUseIsAClearError() throws {
        let (blocker, _, banner) = try startServe(until: "\n")
        defer { blocker.interrupt(); blocker.waitUntilExit() }
        let port = String(banner.split(separator: "\n")[0].split(separator: ":").last ?? "")
        let r = try run(["serve", "--port", port])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("cannot listen on 127.0.0.1:\(port)"), r.err)
    }
}

final class StatusBox: @unchecked Sendable {
    var value = 0
}
