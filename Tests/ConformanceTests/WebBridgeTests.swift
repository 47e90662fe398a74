import Conformance
import Foundation
import ScenarioKit
import TestSupport
import XCTest

/// The web bridge (Examples/web-bridge) with headless Chromium: the browser-native client
/// (Examples/web-client) through the suite, and a page that hangs. Needs Chromium and
/// Playwright for Python (./Scripts/setup-browser.sh, which ./Scripts/test.sh runs); without
/// them the tests are skipped and say so.
final class WebBridgeTests: XCTestCase {
    private let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Examples").standardized.path

    private func requireBrowser() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/lib/chromium/chromium")
                || FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            throw XCTSkip("skipped: Chromium is not installed (./Scripts/setup-browser.sh installs it)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import playwright"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw XCTSkip("skipped: Playwright for Python is not installed (./Scripts/setup-browser.sh installs it)")
        }
    }

    /// One run before a suite, with a long deadline, its verdict only printed. In one run of
    /// 2026-12-03 the first two pages of the web client's suite (right after the hung-page
    /// test) never sent a request in their 20 s while every later one passed; the bridge now
    /// logs a slow Chromium start or page load, and a first launch outside the suite's
    /// deadlines keeps a cold browser from deciding verdicts.
    private func warmUp(_ runner: ScenarioRunner) throws {
        var warm = runner
        warm.deadlineScale = 10
        let all = try ScenarioLoader.loadAll(from: Products.scenarios)
        let scenario = try XCTUnwrap(all.first { $0.name == "token/release-on-leave" })
        let result = warm.run(scenario)
        print("browser warm-up: \(result.outcome.rawValue)")
    }

    private func bridge(_ page: String) -> String {
        "python3 '\(examples)/web-bridge/bridge.py' --page '\(examples)/\(page)'"
    }

    /// An independent client whose SSE parser is Chromium's: every scenario its features allow.
    func testBrowserNativeClientPassesTheSuite() throws {
        try requireBrowser()
        var runner = ScenarioRunner(command: bridge("web-client/client.html"))
        runner.grace = 2
        // Chromium takes 1-5 s to start on a busy 2-core machine, and the scenarios' deadlines
        // (8 s by default) count from the client's start; docs/running.md advises the same.
        runner.deadlineScale = 2.5
        try warmUp(runner)
        var selection = Selection()
        selection.features = ["pin", "guest_pin", "virtual_reception", "chat", "roster", "tls", "refer"]
        let all = try ScenarioLoader.loadAll(from: Products.scenarios)
        let results = SuiteRunner(runner: runner, jobs: 2).run(all, selection: selection)
        XCTAssertEqual(results.count, all.count)
        XCTAssertEqual(results.filter { $0.outcome == .skipped }.map(\.name).sorted(),
                       ["breakout/chat-in-room", "breakout/moved-in-and-back",
                        "discovery/srv-failover", "discovery/srv-record", "sso/choose-provider", "sso/redirect-first",
                        "sso/sign-in-abandoned", "sso/token-refused", "token/proxy-credentials"])
        for r in results where r.outcome != .passed && r.outcome != .warned && r.outcome != .skipped {
            XCTFail("web client: " + ConsoleReport.details(r, file: nil, trace: true))
        }
    }

    /// Pexip's PexRTC (Examples/pexrtc-page) through the suite over HTTPS, when `PEXRTC_JS` names
    /// a copy of pexrtc.js (third-party: never in this repository). PexRTC is correct by
    /// definition, so no scenario may FAIL it (a WARN is a recommendation PexRTC does not follow);
    /// the verdicts are printed for docs/pexrtc.md.
    func testPexRTCRunsTheSuiteWhenGiven() throws {
        guard let pexrtc = ProcessInfo.processInfo.environment["PEXRTC_JS"], !pexrtc.isEmpty else {
            throw XCTSkip("skipped: set PEXRTC_JS to a copy of pexrtc.js to run the suite against PexRTC")
        }
        try requireBrowser()
        XCTAssertTrue(FileManager.default.fileExists(atPath: pexrtc), "PEXRTC_JS names no file: \(pexrtc)")
        var runner = ScenarioRunner(command: bridge("pexrtc-page/pexrtc.html") + " --asset 'pexrtc.js=\(pexrtc)'")
        runner.grace = 2
        runner.deadlineScale = 2.5
        runner.tlsEverywhere = true
        try warmUp(runner)
        var selection = Selection()
        selection.features = ["pin", "guest_pin", "virtual_reception", "chat", "roster", "tls", "refer"]
        let results = SuiteRunner(runner: runner, jobs: 2).run(try ScenarioLoader.loadAll(from: Products.scenarios), selection: selection)
        for r in results { print("PexRTC \(r.outcome.rawValue.uppercased()) \(r.name)") }
        XCTAssertGreaterThanOrEqual(results.filter { $0.outcome == .passed }.count, 30)
        for r in results where r.outcome == .failed || r.outcome == .flaky {
            XCTFail("the suite failed Pexip's own client: " + ConsoleReport.details(r, file: nil, trace: true))
        }
    }

    /// A page that shows an alert and then never returns: the run ends, and no Chromium
    /// process (or anything else the bridge started) outlives it.
    func testAHungPageLeavesNoBrowserBehind() throws {
        try requireBrowser()
        let tag = UUID().uuidString
        var runner = ScenarioRunner(command: bridge("web-bridge/hang.html"))
        runner.grace = 1
        runner.environment = ["MOCKMCU_TEST_TAG": tag]
        let scenario = try XCTUnwrap(try ScenarioLoader.loadAll(from: Products.scenarios).first { $0.name == "token/release-on-leave" })
        let result = runner.run(scenario)
        XCTAssertEqual(result.outcome, .failed)
        XCTAssertNotEqual(result.exit, .exited(0), "the page never reported left")
        let survivors = try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { pid in
            guard pid.allSatisfy(\.isNumber),
                  let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return String(decoding: environ, as: UTF8.self).contains("MOCKMCU_TEST_TAG=\(tag)")
        }
        XCTAssertEqual(survivors, [], "processes of the hung run still alive")
    }
}
