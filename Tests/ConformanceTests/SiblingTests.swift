import Conformance
import Foundation
import XCTest

/// Foundation notices a child's exit through a socket the child inherits; dnsmasq
/// closes inherited descriptors, which once kept the runner from seeing any client exit.
final class SiblingTests: XCTestCase {
    func testClientExitIsSeenWhileDnsmasqAndAnotherChildRun() throws {
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/bin/sleep")
        other.arguments = ["30"]
        other.standardError = Pipe()
        other.standardOutput = FileHandle.nullDevice
        try other.run()
        defer { other.terminate() }
        let dns = try DNSServer(records: ["--host-record=node.example.test,127.0.0.1"])
        defer { withExtendedLifetime(dns) {} }
        let c = try ClientProcess(command: "echo '{}'")
        let started = Date()
        XCTAssertEqual(c.stop(grace: 3), .exited(0))
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
    }
}
