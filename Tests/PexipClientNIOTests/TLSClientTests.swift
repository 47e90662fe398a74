import Foundation
import MicroHTTP
import MockNode
import PexipClient
import PexipClientNIO
import XCTest

final class TLSClientTests: XCTestCase {
    /// A self-signed certificate for 127.0.0.1 made with openssl for this test.
    private func identity() throws -> TLSIdentity {
        let dir = NSTemporaryDirectory() + "mockmcu-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                       "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", "\(dir)/key.pem", "-out", "\(dir)/cert.pem"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return TLSIdentity(certificatePEM: try String(contentsOfFile: "\(dir)/cert.pem", encoding: .utf8),
                           privateKeyPEM: try String(contentsOfFile: "\(dir)/key.pem", encoding: .utf8))
    }

    /// Synchronous (the certificate is made by a child process); the client runs in a Task.
    func testJoinsAnHTTPSNodeTrustingItsCertificateAndRefusesWithoutIt() throws {
        let tls = try identity()
        var config = MockNode.Configuration(conferences: ConferenceConfig.builtins)
        config.http.tls = tls
        let node = try MockNode(config)
        try node.start()
        defer { node.stop() }
        XCTAssertTrue(node.baseURL.hasPrefix("https://"))
        let url = URL(string: node.baseURL)!
        let done = expectation(description: "client")
        Task {
            defer { done.fulfill() }
            do {
                let trusting = try NIOTransport(trustedCAPEM: tls.certificatePEM)
                var options = JoinOptions(displayName: "Secure")
                options.transport = trusting
                let session = try await PexipSession.join(node: url, conference: "meet", options: options)
                var roster: [String] = []
                for await event in session.events {
                    if case .roster(let people) = event {
                        roster = people.map(\.displayName)
                        break
                    }
                }
                XCTAssertEqual(roster, ["Secure"], "the event stream works over TLS too")
                await session.leave()
                await trusting.shutdown()

                let system = try NIOTransport()
                var plain = JoinOptions(displayName: "Untrusting")
                plain.transport = system
                plain.timing.requestTimeout = 2
                do {
                    _ = try await PexipSession.join(node: url, conference: "meet", options: plain)
                    XCTFail("joined although the certificate is not trusted")
                } catch let error as PexipClientError {
                    guard case .unreachable = error else { return XCTFail("\(error)") }
                }
                await system.shutdown()
            } catch {
                XCTFail("\(error)")
            }
        }
        wait(for: [done], timeout: 60)
        XCTAssertEqual(node.journal().filter { $0.request == "release_token" }.map(\.status), [200])
    }
}
