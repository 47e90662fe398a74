import Foundation
import TestSupport
import XCTest

/// The fuzz harnesses (Sources/mockmcu-fuzz) on their seeds, without libFuzzer: every
/// seed passes its harness's checks, and the replay tool refuses bad arguments.
/// Scripts/fuzz.sh does the fuzzing itself.
final class FuzzSeedTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    func testEverySeedPassesItsHarness() throws {
        let seeds: [(String, [String])] = [
            ("json", ["Tests/PexipWireTests/Fixtures"]),
            ("sse", ["Scripts/fuzz/seeds/sse"]),
            ("request", ["Scripts/fuzz/seeds/request"]),
            ("conference", ["Scripts/fuzz/seeds/conference"]),
            ("scenario", try FileManager.default.contentsOfDirectory(atPath: root + "/Scenarios").sorted().map { "Scenarios/" + $0 }),
        ]
        for (harness, paths) in seeds {
            let r = try Products.run("mockmcu-fuzz", [harness] + paths, directory: root)
            XCTAssertEqual(r.status, 0, "\(harness): \(r.err)")
            XCTAssertTrue(r.out.hasPrefix("\(harness): "), r.out)
            XCTAssertFalse(r.out.hasPrefix("\(harness): 0 input"), "\(harness) had seeds: \(r.out)")
        }
    }

    func testReplayToolRefusesBadArguments() throws {
        XCTAssertEqual(try Products.run("mockmcu-fuzz", ["yaml", "x"]).status, 2)
        let missing = try Products.run("mockmcu-fuzz", ["json", "/nonexistent/seed"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.err.contains("no such file or directory: /nonexistent/seed"), missing.err)
    }
}
