import Foundation
import MicroHTTP
import MockNode
import MockNodeTesting
import PexipClient
import PexipClientNIO
import XCTest

final class TLSClientTests: XCTestCase {
    /// Synchronous (the certificate is made by a child process); the client runs in a Task.
    func testJoinsAnHTTPSNodeTrustingItsCertificateAndRefusesWithoutIt() throws {
        let tls = try TLSIdentity.selfSigned()
        let test = try TestNode(conferences: ConferenceConfig.builtins) { $0.http.tls = tls }
        defer { test.stop() }
        let node = test.node
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
