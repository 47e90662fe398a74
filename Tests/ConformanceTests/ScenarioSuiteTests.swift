import Conformance
import Foundation
import ScenarioKit
import TestSupport
import XCTest

/// The whole suite: the reference client passes every scenario, and every
/// scenario catches a client broken in the way it is about.
final class ScenarioSuiteTests: XCTestCase {
    /// For each scenario: the bug that breaks its rule, and the check that must catch it.
    static let mutations: [String: (bug: String, caughtBy: String)] = [
        "breakout/chat-in-room": ("breakout-chat-to-main", "requests(breakouts/*/message"),
        "breakout/moved-in-and-back": ("ignore-breakout-refer", "breakout_roster("),
        "chat/messages-in-order": ("messages-swapped", "messages("),
        "chat/receive-message": ("no-messages", "message("),
        "chat/send-message": ("no-chat-send", "sent_message("),
        "chat/unicode-round-trip": ("ascii-chat", "sent_message("),
        "discovery/srv-failover": ("no-failover", "joined("),
        "discovery/srv-record": ("ignore-dns", "joined("),
        "ejection/disconnect-event-only": ("ignore-disconnect-event", "disconnected("),
        "ejection/eject-during-refreshes": ("refresh-after-disconnect", "no_request_after("),
        "ejection/eject-with-reason": ("disconnect-as-failed", "disconnected("),
        "ejection/ejected-before-stream": ("no-disconnected", "ended"),
        "events/event-burst": ("stop-reading-after-10", "roster("),
        "events/initial-roster": ("silent-roster", "roster("),
        "events/participants-come-and-go": ("ignore-participant-delete", "roster("),
        "events/unknown-events-ignored": ("unknown-event-fatal", "not_reported(reconnected"),
        "expiry/no-early-refresh": ("fast-refresh", "requests(refresh_token"),
        "expiry/one-second-token": ("release-first-token", "released("),
        "expiry/refresh-before-expiry": ("slow-refresh", "token_kept_alive("),
        "expiry/refresh-slower-than-lifetime": ("no-disconnected", "driver protocol"),
        "expiry/token-expired": ("refresh-after-disconnect", "no_request_after("),
        "faults/node-unavailable": ("wrong-fail-reason", "failed("),
        "faults/refresh-503-retried": ("stop-refreshing-after-failure", "refresh_failure_handled"),
        "faults/refresh-connection-dropped": ("stop-refreshing-after-failure", "refresh_failure_handled"),
        "faults/slow-release": ("early-left", "released("),
        "pin/guest-pin-prompt": ("wrong-role", "joined("),
        "pin/guest-without-pin": ("no-pin-none", "pin_header("),
        "pin/host-pin-prompt": ("pin-in-body", "pin_header("),
        "pin/pin-up-front": ("ignore-start-pin", "pin_header("),
        "pin/prompt-abandoned": ("ignore-leave", "client exited by itself"),
        "pin/wrong-pin": ("wrong-fail-reason", "failed("),
        "reception/extension-prompt": ("no-extension-prompt", "asked_for_extension"),
        "reception/extension-then-pin": ("no-extension-body", "extension_sent("),
        "reception/extension-up-front": ("ignore-start-extension", "not_reported(extension_required"),
        "reception/unknown-extension": ("wrong-fail-reason", "failed("),
        "reconnect/dropped-stream": ("no-reconnect", "reconnected("),
        "reconnect/repeated-drops": ("no-reconnected-report", "reported(reconnected"),
        "reconnect/roster-changed-while-away": ("no-resync", "roster("),
        "reconnect/backoff-while-refused": ("hot-reconnect", "reconnect_pacing("),
        "reconnect/stalled-stream-token-alive": ("refresh-needs-events", "token_kept_alive("),
        "reconnect/stream-refused-then-recovers": ("retryable-is-fatal", "reconnected("),
        "reconnect/token-kept-alive-while-down": ("refresh-needs-events", "token_kept_alive("),
        "sso/choose-provider": ("chosen-idp-dropped", "signed_in("),
        "sso/redirect-first": ("sso-token-dropped", "signed_in("),
        "sso/sign-in-abandoned": ("no-sso-prompt", "asked_for_sso"),
        "sso/token-refused": ("wrong-fail-reason", "failed("),
        "stream/crlf-line-ends": ("lf-only-lines", "messages("),
        "stream/keepalives-are-life": ("idle-ignores-keepalives", "not_reported(reconnected"),
        "transfer/old-session-dropped": ("old-session-kept", "dropped_old_session("),
        "stream/cut-inside-event": ("keep-partial-event", "messages("),
        "stream/ended-cleanly": ("clean-end-is-final", "not_reported(disconnected"),
        "stream/keepalive-blank-line": ("empty-event-on-comment", "not_reported(reconnected"),
        "stream/keepalive-without-blank-line": ("bare-comment-fatal", "not_reported(reconnected"),
        "stream/one-byte-writes": ("whole-lines-per-read", "messages("),
        "stream/reset": ("stream-error-is-fatal", "not_reported(failed"),
        "stream/slow-delivery": ("short-idle-timeout", "not_reported(reconnected"),
        "token/proxy-credentials": ("ignore-proxy-auth", "joined("),
        "token/refresh-rejected": ("no-disconnected", "driver protocol"),
        "token/release-on-leave": ("request-after-leave", "no_request_after("),
        "token/strict-revocation": ("stale-refresh", "token_kept_alive("),
        "token/tls-node": ("ignore-tls-ca", "joined("),
        "token/unknown-conference": ("wrong-fail-reason", "failed("),
        "transfer/refer": ("ignore-refer", "followed_refer("),
        "transfer/transferred": ("first-roster-only", "roster("),
    ]

    /// More bugs the same scenarios catch: every bug of Tests/BrokenClient is shown caught somewhere.
    static let moreMutations: [(scenario: String, bug: String, caughtBy: String)] = [
        ("token/release-on-leave", "no-release", "released("),
        ("token/release-on-leave", "double-release", "released("),
        ("token/release-on-leave", "slow-release", "released("),
        ("token/release-on-leave", "exit-nonzero-after-left", "left"),
        ("token/release-on-leave", "garbage", "driver protocol"),
        ("pin/host-pin-prompt", "no-pin-prompt", "asked_for_pin("),
        ("expiry/refresh-before-expiry", "no-refresh", "token_kept_alive("),
        ("events/participants-come-and-go", "first-roster-only", "roster("),
        ("transfer/refer", "refer-token-dropped", "followed_refer("),
        ("transfer/transferred", "ignore-refer", "followed_refer("),
    ]

    /// Behaviours that are not wrong but not the best: each scenario WARNs (a should check), never FAILs.
    static let warnings: [(scenario: String, bug: String, caughtBy: String)] = [
        ("faults/refresh-503-retried", "retryable-is-fatal", "token_kept_alive("),
        ("faults/refresh-connection-dropped", "drop-is-fatal", "token_kept_alive("),
        ("reconnect/backoff-while-refused", "fixed-reconnect-delay", "reconnect_backoff"),
        ("expiry/refresh-before-expiry", "late-refresh", "refresh_cadence("),
    ]

    /// Every case: a scenario, a bug, and the check that must catch it.
    static var cases: [(scenario: String, bug: String, caughtBy: String)] {
        mutations.map { ($0.key, $0.value.bug, $0.value.caughtBy) } + moreMutations
    }

    private func scenarios() throws -> [Scenario] { try ScenarioLoader.loadAll(from: Products.scenarios) }

    func testEveryScenarioHasABrokenClientCase() throws {
        let names = Set(try scenarios().map(\.name))
        XCTAssertGreaterThanOrEqual(names.count, 30)
        XCTAssertEqual(names.subtracting(Self.mutations.keys).sorted(), [], "scenarios without a broken-client case")
        XCTAssertEqual(Set(Self.mutations.keys).subtracting(names).sorted(), [], "cases for scenarios that do not exist")
        let groups = Set(names.map { String($0.split(separator: "/")[0]) })
        XCTAssertTrue(groups.isSuperset(of: ["pin", "token", "expiry", "ejection", "reconnect", "events", "faults", "reception", "chat"]))
    }

    /// Three runs of every scenario with both cores kept busy: the reference client passes every
    /// one every time (a verdict that flips would be FLAKY).
    func testReferenceClientPassesEveryScenarioThreeTimesUnderLoad() throws {
        var runner = ScenarioRunner(command: Products.referenceClient)
        runner.grace = 1
        let results = CPULoad.during {
            SuiteRunner(runner: runner, jobs: 8).run(try! scenarios(), selection: Selection(), repeat: 3)
        }
        XCTAssertGreaterThanOrEqual(results.count, 30)
        XCTAssertEqual(Set(results.map(\.runs.count)), [3])
        for r in results where r.outcome != .passed {
            XCTFail(ConsoleReport.details(r, file: nil, trace: true))
        }
    }

    /// The default parallelism (as many at once as the CPU has room for, longest first) gives the
    /// results in the order of the scenarios given, each run as often as asked.
    func testAutomaticParallelismKeepsTheGivenOrder() throws {
        var runner = ScenarioRunner(command: Products.referenceClient)
        runner.grace = 1
        let chosen = Array(try scenarios().filter { $0.group == "expiry" || $0.group == "chat" })
        let results = SuiteRunner(runner: runner, parallelism: .automatic).run(chosen, selection: Selection(), repeat: 2)
        XCTAssertEqual(results.map(\.name), chosen.map(\.name))
        XCTAssertEqual(Set(results.map(\.runs.count)), [2])
        for r in results where r.outcome != .passed {
            XCTFail(ConsoleReport.details(r, file: nil, trace: true))
        }
    }

    /// The shipped Python adapter (Examples/python-adapter), written from docs/ alone: three runs of
    /// the whole suite, no FAIL and no FLAKY.
    func testPythonAdapterPassesEveryScenarioThreeTimes() throws {
        let adapter = Products.pythonAdapter
        XCTAssertTrue(FileManager.default.fileExists(atPath: adapter), adapter)
        var runner = ScenarioRunner(command: "python3 '\(adapter)'")
        runner.grace = 1
        let results = SuiteRunner(runner: runner, jobs: 8).run(try scenarios(), selection: Selection(), repeat: 3)
        XCTAssertGreaterThanOrEqual(results.count, 30)
        for r in results where r.outcome != .passed && r.outcome != .warned {
            XCTFail("python adapter: " + ConsoleReport.details(r, file: nil, trace: true))
        }
    }

    /// Clients timed as Pexip's Android SDK, Swift SDK and PexRTC are correct: never a FAIL.
    func testPexipClientImitationsNeverFail() throws {
        let all = try scenarios()
        for like in ["android", "swift", "pexrtc"] {
            var runner = ScenarioRunner(command: Products.url("broken-client").path + " --like " + like)
            runner.grace = 1
            let results = SuiteRunner(runner: runner, jobs: 8).run(all, selection: Selection())
            XCTAssertEqual(results.count, all.count)
            for r in results where r.outcome != .passed && r.outcome != .warned {
                XCTFail("like \(like): " + ConsoleReport.details(r, file: nil, trace: true))
            }
        }
    }

    func testEveryScenarioCatchesItsBrokenClient() throws {
        let byName = Dictionary(uniqueKeysWithValues: try scenarios().map { ($0.name, $0) })
        let results = Locked<[String: ScenarioResult]>([:])  // by "scenario bug"
        let group = DispatchGroup()
        // One suite run per bug, each with the scenarios that bug is for.
        let byBug = Dictionary(grouping: Self.cases + Self.warnings, by: \.bug)
        let queue = DispatchQueue(label: "mutations", attributes: .concurrent)
        let slots = DispatchSemaphore(value: 8)
        for (bug, cases) in byBug {
            let list = cases.compactMap { byName[$0.scenario] }
            group.enter()
            slots.wait()
            queue.async {
                var runner = ScenarioRunner(command: Products.brokenClient(bug))
                runner.grace = 0.5
                for r in SuiteRunner(runner: runner, jobs: list.count).run(list, selection: Selection()) {
                    results.withLock { $0[r.name + " " + bug] = r }
                }
                slots.signal()
                group.leave()
            }
        }
        group.wait()
        XCTAssertEqual(Set((Self.cases + Self.warnings).map(\.bug)), BrokenClientBugs.all, "every bug of the broken client is shown caught")
        let warned = Set(Self.warnings.map { $0.scenario + " " + $0.bug })
        for (scenario, bug, caughtBy) in Self.cases + Self.warnings {
            guard let r = results.withLock({ $0[scenario + " " + bug] }) else {
                XCTFail("\(scenario) with bug '\(bug)': no result")
                continue
            }
            let expected: Outcome = warned.contains(scenario + " " + bug) ? .warned : .failed
            XCTAssertEqual(r.outcome, expected, "\(scenario) with bug '\(bug)': \(r.outcome), not \(expected)")
            XCTAssertTrue(r.failedChecks.contains { $0.name.hasPrefix(caughtBy) },
                          "\(scenario) with bug '\(bug)': expected \(caughtBy)… to fail; failed: \(r.failedChecks.map(\.name))")
        }
    }
}

/// The bugs `broken-client` knows, as its usage error lists them.
enum BrokenClientBugs {
    static var all: Set<String> {
        let p = Process()
        p.executableURL = Products.url("broken-client")
        p.arguments = ["--bug", "?"]
        let err = Pipe()
        p.standardError = err
        try? p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard let list = text.components(separatedBy: "known: ").last else { return [] }
        return Set(list.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: ", "))
    }
}

/// Both cores kept busy while a body runs.
enum CPULoad {
    static func during<T>(_ body: () -> T) -> T {
        let stop = Locked(false)
        let hogs = (0..<ProcessInfo.processInfo.activeProcessorCount).map { _ in
            let t = Thread {
                var x: UInt64 = 1
                while !stop.withLock({ $0 }) {
                    for _ in 0..<100_000 { x = x &* 6364136223846793005 &+ 1 }
                }
                if x == 0 { print(x) }
            }
            t.start()
            return t
        }
        defer { stop.withLock { $0 = true } }
        _ = hogs
        return body()
    }
}

/// A value behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&value) } }
}
