import Foundation
import MockNode
import PexipClientNIO
import XCTest
@testable import PexipClient

/// A deterministic generator for ordering tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// dnsmasq on a loopback port, serving the records a test gives it.
final class DNSServer {
    let port: UInt16
    private let running: Process
    private let pidFile: String

    init(_ records: [String]) throws {
        var lastError = ""
        for _ in 0..<5 {
            // Below the kernel's ephemeral range (32768 up), so no passing UDP socket holds the port.
            let port = UInt16.random(in: 20000...32000)
            let pidFile = "\(NSTemporaryDirectory())dnsmasq-\(port)-\(UUID().uuidString).pid"
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/dnsmasq")
            p.arguments = ["--keep-in-foreground", "--conf-file=/dev/null", "--port=\(port)",
                           "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                           "--pid-file=\(pidFile)"] + records
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            // dnsmasq writes its pid file only once its socket is bound; a taken port makes it exit first.
            let deadline = Date().addingTimeInterval(3)
            while p.isRunning && Date() < deadline && !FileManager.default.fileExists(atPath: pidFile) { usleep(5_000) }
            if p.isRunning && FileManager.default.fileExists(atPath: pidFile) {
                self.port = port
                self.pidFile = pidFile
                running = p
                return
            }
            if p.isRunning { p.terminate() }
            p.waitUntilExit()
            lastError = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        throw NSError(domain: "DNSServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "dnsmasq did not start: \(lastError)"])
    }

    var address: String { "127.0.0.1:\(port)" }
    deinit {
        running.terminate()
        running.waitUntilExit()
        try? FileManager.default.removeItem(atPath: pidFile)
    }
}

final class DiscoveryTests: XCTestCase {
    func testQueryEncoding() {
        let q = DNSMessage.query(id: 0xABCD, name: "_pexapp._tcp.example.com", type: DNSMessage.typeSRV)
        XCTAssertEqual(Array(q.prefix(12)), [0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(q[12..<20]), [7] + Array("_pexapp".utf8))
        XCTAssertEqual(Array(q.suffix(5)), [0, 0, 33, 0, 1])
        XCTAssertThrowsError(try DNSMessage.parse([1, 2, 3]))
    }

    func testSRVOrderIsByPriorityThenWeight() {
        let records = [
            DNSMessage.SRV(priority: 20, weight: 0, port: 1, target: "backup"),
            DNSMessage.SRV(priority: 10, weight: 90, port: 1, target: "heavy"),
            DNSMessage.SRV(priority: 10, weight: 10, port: 1, target: "light"),
        ]
        var rng = SplitMix(state: 7)
        var firsts: [String: Int] = [:]
        for _ in 0..<1000 {
            let order = NodeResolver.order(records, using: &rng).map(\.target)
            XCTAssertEqual(order.last, "backup", "a higher priority number always comes later")
            firsts[order[0], default: 0] += 1
        }
        XCTAssertGreaterThan(firsts["heavy", default: 0], 800, "weight 90 of 100 should lead about 90% of the time")
        XCTAssertGreaterThan(firsts["light", default: 0], 40)
    }

    func testServerAddressParsing() {
        XCTAssertTrue(NodeResolver.parse("127.0.0.1:5353")! == ("127.0.0.1", 5353))
        XCTAssertTrue(NodeResolver.parse("10.0.0.1")! == ("10.0.0.1", 53))
        XCTAssertTrue(NodeResolver.parse("[::1]:53")! == ("::1", 53))
        XCTAssertNil(NodeResolver.parse("host:notaport"))
    }

    /// Synchronous on purpose: starting a child process from an async test
    /// hangs with swift-corelibs-foundation here; the async part runs in a Task.
    func testSRVDiscoveryAgainstARealDNSServerThenJoin() throws {
        let node = try MockNode(conferences: ConferenceConfig.builtins)
        try node.start()
        defer { node.stop() }
        // A node in maintenance (status 503) rather than a closed port: URLSession on Linux
        // sometimes crashes (FoundationNetworking TaskRegistry) on a refused connection under load.
        let down = try MockNode(conferences: [])
        try down.start()
        defer { down.stop() }
        down.setMaintenance(true)
        let dns = try DNSServer([
            // A node in maintenance first (priority 5), then the live one (priority 10).
            "--srv-host=_pexapp._tcp.example.test,dead.example.test,\(down.port),5,10",
            "--srv-host=_pexapp._tcp.example.test,node1.example.test,\(node.port),10,10",
            "--host-record=dead.example.test,127.0.0.1",
            "--host-record=node1.example.test,127.0.0.1",
            "--host-record=fallback.test,127.0.0.2",
        ])
        let done = expectation(description: "discovery")
        let address = dns.address
        Task {
            defer { done.fulfill() }
            do { try await DiscoveryTests.discover(address, node, down: down) } catch { XCTFail("\(error)") }
        }
        wait(for: [done], timeout: 30)
    }

    func testNoAnswerFromTheDNSServerIsUnreachable() throws {
        let done = expectation(description: "resolve")
        Task {
            defer { done.fulfill() }
            var resolver = try NodeResolver(server: "127.0.0.1:9")
            resolver.timeout = 0.3
            do {
                _ = try await resolver.candidates(for: "example.test")
                XCTFail("resolved without a DNS server")
            } catch let error as PexipClientError {
                guard case .unreachable = error else { return XCTFail("\(error)") }
            }
        }
        wait(for: [done], timeout: 10)
    }

    private static func discover(_ dnsAddress: String, _ node: MockNode, down: MockNode) async throws {
        let resolver = try NodeResolver(server: dnsAddress)
        let candidates = try await resolver.candidates(for: "example.test")
        XCTAssertEqual(candidates.map(\.absoluteString), ["http://127.0.0.1:\(down.port)", "http://127.0.0.1:\(node.port)"])
        let fallback = try await resolver.candidates(for: "fallback.test")
        XCTAssertEqual(fallback.map(\.absoluteString), ["https://127.0.0.2"], "no SRV: the domain's address on 443")
        do {
            _ = try await resolver.candidates(for: "nothing.test")
            XCTFail("found something for an empty domain")
        } catch let error as PexipClientError {
            guard case .notFound = error else { return XCTFail("\(error)") }
        }

        // Over NIO: URLSession on Linux sometimes crashed here under load (FoundationNetworking's
        // TaskRegistry, "a task that is not in the registry"), about one run in five with CPU hogs.
        var options = JoinOptions(displayName: "Found")
        let transport = try NIOTransport()
        options.transport = transport
        do {
            let session = try await PexipSession.join(address: "meet@example.test", resolver: resolver, options: options)
            XCTAssertEqual(node.participants(in: "meet").map(\.displayName), ["Found"])
            await session.leave()
        } catch {
            await transport.shutdown()
            throw error
        }
        await transport.shutdown()
    }
}

