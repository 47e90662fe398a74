import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ScenarioKit
import TestSupport
import XCTest

/// `mockmcu run`, `list` and `check` as a CI pipeline uses them: exit codes,
/// selection, features, known failures, reports, and clients that misbehave.
final class RunCommandTests: XCTestCase {
    /// A scenarios folder of small, fast cases written for these tests.
    private func folder(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "mockmcu-scenarios-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files {
            let path = dir + "/" + name + ".yaml"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    private static let join = """
        summary: Joins and leaves.
        conferences:
          - alias: meet
        client:
          conference: meet
        timeline:
          - when: {client: roster}
            do:
              - tell: {type: leave}
        checks:
          - joined: HOST
          - released: {within: 1}
          - left
        """

    private static let chat = """
        summary: Receives a chat message.
        features: [chat]
        conferences:
          - alias: meet
            participants:
              - display_name: Bob
        client:
          conference: meet
        timeline:
          - when: {client: roster}
            do:
              - chat: {from: Bob, text: hi}
          - when: {client: message}
            do:
              - tell: {type: leave}
        checks:
          - message: {origin: Bob, text: hi}
          - left
        """

    /// Whether any process has `marker` in its command line.
    private func running(_ marker: String) throws -> Bool {
        let ps = Process()
        ps.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        ps.arguments = ["-f", marker]
        ps.standardOutput = FileHandle.nullDevice
        try ps.run()
        ps.waitUntilExit()
        return ps.terminationStatus == 0
    }

    private func mockmcu(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        try Products.run("mockmcu", args)
    }

    func testPassingRunExitsZeroWithALinePerScenarioInOrderAndReports() throws {
        let dir = try folder(["b/join": Self.join, "a/chat": Self.chat])
        let out = try folder([:])
        let junit = out + "/junit.xml", json = out + "/results.json"
        let r = try mockmcu(["run", "--scenarios", dir, "--jobs", "2", "--junit", junit, "--json", json, "--",
                             Products.url("pexip-client").path, "--driver"])
        XCTAssertEqual(r.status, 0, r.out + r.err)
        let lines = r.out.split(separator: "\n").filter { $0.hasPrefix("PASS") }
        XCTAssertEqual(lines.map { String($0.split(separator: " ", omittingEmptySubsequences: true)[1]) }, ["a/chat", "b/join"])
        XCTAssertTrue(r.out.contains("2 scenario(s) in"), r.out)

        let doc = try XMLDocument(contentsOf: URL(fileURLWithPath: junit))
        XCTAssertEqual(try doc.nodes(forXPath: "//testcase").count, 2)
        XCTAssertEqual(doc.rootElement()?.attribute(forName: "failures")?.stringValue, "0")
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        XCTAssertEqual((results["summary"] as? [String: Any])?["passed"] as? Int, 2)
        let first = try XCTUnwrap((results["scenarios"] as? [[String: Any]])?.first)
        XCTAssertEqual(first["name"] as? String, "a/chat")
        XCTAssertNotNil((first["checks"] as? [[String: Any]])?.first?["expected"])
        XCTAssertNil(first["journal"], "passing scenarios carry no journal")
        // Versions, so that a team can pin the suite and diff its scenarios.
        XCTAssertEqual(results["suite_version"] as? String, SuiteVersion.current)
        XCTAssertEqual(first["content_hash"] as? String, ContentHash.sha256(Self.chat.utf8))
        XCTAssertEqual(try doc.nodes(forXPath: "/testsuites/properties/property[@name='suite_version']/@value").first?.stringValue,
                       SuiteVersion.current)
        XCTAssertEqual(try doc.nodes(forXPath: "//testcase[@name='a/chat']/properties/property[@name='content_hash']/@value").first?.stringValue,
                       ContentHash.sha256(Self.chat.utf8))
        XCTAssertTrue(r.out.hasPrefix("Running 2 scenario(s) of suite \(SuiteVersion.current)"), r.out)
        XCTAssertEqual(try mockmcu(["--version"]).out, SuiteVersion.current + "\n")
    }

    /// `--tls`: every node (not only `tls` scenarios') over HTTPS, its certificate in `start`.
    func testTLSServesEveryNodeOverHTTPS() throws {
        let dir = try folder(["join": Self.join])
        let seen = NSTemporaryDirectory() + "mockmcu-start-\(UUID().uuidString).json"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: seen) }
        // A client that notes its start and gives up (the verdict is not the point here).
        let r = try mockmcu(["run", "--tls", "--scenarios", dir, "--",
                             #"read line; printf '%s\n' "$line" > '\#(seen)'; echo '{"type":"failed","reason":"protocol","detail":"x"}'; exit 1"#])
        XCTAssertEqual(r.status, 1, r.out + r.err)
        let start = try XCTUnwrap(try String(contentsOfFile: seen, encoding: .utf8).split(separator: "\n").first)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(start.utf8)) as? [String: Any])
        XCTAssertTrue((json["node"] as? String)?.hasPrefix("https://127.0.0.1:") ?? false, "\(json)")
        XCTAssertTrue((json["tls_ca"] as? String)?.hasPrefix("-----BEGIN CERTIFICATE-----") ?? false)
    }

    func testFailureExitsOneWithEvidenceAndTheJournalInReports() throws {
        let dir = try folder(["join": Self.join])
        let out = try folder([:])
        let junit = out + "/junit.xml", json = out + "/results.json"
        let r = try mockmcu(["run", "--scenarios", dir, "--trace", "--junit", junit, "--json", json, "--",
                             Products.brokenClient("no-release")])
        XCTAssertEqual(r.status, 1, r.out + r.err)
        XCTAssertTrue(r.out.contains("FAIL   join"), r.out)
        XCTAssertTrue(r.out.contains("✗ [must] released(within: 1)"), r.out)
        XCTAssertTrue(r.out.contains("expected: after leave, one release_token"), r.out)
        XCTAssertTrue(r.out.contains("runner sent {\"type\":\"leave\"}"), "the trace shows the journal: \(r.out)")
        let doc = try XMLDocument(contentsOf: URL(fileURLWithPath: junit))
        let failure = try XCTUnwrap(doc.nodes(forXPath: "//testcase/failure").first as? XMLElement)
        XCTAssertTrue(failure.attribute(forName: "message")?.stringValue?.contains("released") ?? false)
        XCTAssertTrue(failure.stringValue?.contains("request_token") ?? false, "the wire trace is in the failure body")
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let scenario = try XCTUnwrap((results["scenarios"] as? [[String: Any]])?.first)
        XCTAssertEqual(scenario["outcome"] as? String, "failed")
        XCTAssertGreaterThan((scenario["journal"] as? [Any])?.count ?? 0, 5)
    }

    /// The Markdown summary: counts, then the failed scenario with its first failed check, in the
    /// file asked for and appended to $GITHUB_STEP_SUMMARY.
    func testMarkdownSummaryGoesToTheFileAndTheStepSummary() throws {
        let dir = try folder(["join": Self.join, "chat": Self.chat])
        let out = try folder([:])
        let md = out + "/summary.md", step = out + "/step.md"
        try "earlier step\n".write(toFile: step, atomically: true, encoding: .utf8)
        let client = Products.brokenClient("no-release")
        let r = try Products.run("mockmcu", ["run", "--scenarios", dir, "--markdown", md, "--", client],
                                 environment: ["GITHUB_STEP_SUMMARY": step])
        XCTAssertEqual(r.status, 1, r.out + r.err)
        let text = try String(contentsOfFile: md, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], "## ❌ MockMCU conformance: 1 passed, 1 failed")
        XCTAssertTrue(lines[2].hasPrefix("Suite \(SuiteVersion.current) · 2 scenario(s) in "), lines[2])
        XCTAssertTrue(lines[2].hasSuffix(" s · client `\(client)`"), lines[2])
        XCTAssertEqual(Array(lines[4...7]), ["| verdict | scenarios |", "|---|---|", "| PASS | 1 |", "| FAIL | 1 |"])
        XCTAssertEqual(lines[9], "### Failed")
        XCTAssertTrue(lines.contains { $0.hasPrefix("- **join** — `released(within: 1)` (line 12): ") }, text)
        XCTAssertEqual(try String(contentsOfFile: step, encoding: .utf8), "earlier step\n" + text)
    }

    /// A should check that fails is a WARN: visible, exit 0; with --strict it fails the run and the JUnit report.
    func testAWarningPassesUnlessStrict() throws {
        let warn = Self.join.replacingOccurrences(of: "  - left", with: "  - left\n  - reported: {type: reconnected, level: should}")
        let dir = try folder(["warn": warn])
        let out = try folder([:])
        let junit = out + "/junit.xml", json = out + "/results.json"
        let r = try mockmcu(["run", "--scenarios", dir, "--junit", junit, "--json", json, "--", Products.referenceClient])
        XCTAssertEqual(r.status, 0, r.out + r.err)
        XCTAssertTrue(r.out.contains("WARN   warn"), r.out)
        XCTAssertTrue(r.out.contains("! [should] reported(reconnected"), r.out)
        XCTAssertTrue(r.out.contains("1 warned, 0 failed"), r.out)
        let doc = try XMLDocument(contentsOf: URL(fileURLWithPath: junit))
        XCTAssertEqual(doc.rootElement()?.attribute(forName: "failures")?.stringValue, "0")
        XCTAssertEqual(try doc.nodes(forXPath: "//property[@name='verdict']/@value").first?.stringValue, "warn")
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let scenario = try XCTUnwrap((results["scenarios"] as? [[String: Any]])?.first)
        XCTAssertEqual(scenario["outcome"] as? String, "warned")
        let levels = (scenario["checks"] as? [[String: Any]])?.compactMap { $0["level"] as? String } ?? []
        XCTAssertEqual(Set(levels), ["must", "should", "info"])

        let strict = try mockmcu(["run", "--scenarios", dir, "--strict", "--junit", junit, "--", Products.referenceClient])
        XCTAssertEqual(strict.status, 1, strict.out + strict.err)
        let strictDoc = try XMLDocument(contentsOf: URL(fileURLWithPath: junit))
        XCTAssertEqual(strictDoc.rootElement()?.attribute(forName: "failures")?.stringValue, "1")
        XCTAssertEqual((try strictDoc.nodes(forXPath: "//failure").first as? XMLElement)?.attribute(forName: "type")?.stringValue, "warning")
    }

    /// --repeat: a client that behaves differently on its second run makes the scenario FLAKY, which fails the run.
    func testRepeatFindsAFlakyScenario() throws {
        let dir = try folder(["join": Self.join])
        let marker = try folder([:]) + "/ran-once"
        let flip = "if [ -e '\(marker)' ]; then exec \(Products.brokenClient("no-release")); else touch '\(marker)'; exec \(Products.referenceClient); fi"
        let r = try mockmcu(["run", "--scenarios", dir, "--repeat", "2", "--jobs", "1", "--", flip])
        XCTAssertEqual(r.status, 1, r.out + r.err)
        XCTAssertTrue(r.out.contains("FLAKY  join"), r.out)
        XCTAssertTrue(r.out.contains("runs: pass, fail; differed: released(within: 1)"), r.out)
        XCTAssertTrue(r.out.contains("each run 2 times"), r.out)
        let steady = try mockmcu(["run", "--scenarios", dir, "--repeat", "2", "--", Products.referenceClient])
        XCTAssertEqual(steady.status, 0, steady.out + steady.err)
        XCTAssertTrue(steady.out.contains("PASS   join") && steady.out.contains("(×2)"), steady.out)
        XCTAssertEqual(try mockmcu(["run", "--scenarios", dir, "--repeat", "0", "--", Products.referenceClient]).status, 2)
    }

    func testFeaturesSkipAndARunWhereNothingRanFails() throws {
        let dir = try folder(["chat": Self.chat])
        let features = try folder([:]) + "/features.yaml"
        try "features: [pin, roster]\n".write(toFile: features, atomically: true, encoding: .utf8)
        let r = try mockmcu(["run", "--scenarios", dir, "--features", features, "--", Products.referenceClient])
        XCTAssertEqual(r.status, 1, "no scenario ran: not a pass")
        XCTAssertTrue(r.out.contains("SKIP   chat") && r.out.contains("needs feature chat"), r.out)
        let listed = try mockmcu(["list", "--scenarios", dir, "--features", features])
        XCTAssertTrue(listed.out.contains("(skipped: needs chat)"), listed.out)
    }

    func testKnownFailuresDoNotFailTheRunAndUnexpectedPassesAreReported() throws {
        let dir = try folder(["join": Self.join, "chat": Self.chat])
        let known = try folder([:]) + "/known.txt"
        try "# our client never releases\njoin   # tracked elsewhere\n".write(toFile: known, atomically: true, encoding: .utf8)
        let broken = try mockmcu(["run", "--scenarios", dir, "--known-failing", known, "--", Products.brokenClient("no-release")])
        XCTAssertEqual(broken.status, 0, broken.out + broken.err)
        XCTAssertTrue(broken.out.contains("KNOWN  join"), broken.out)
        let fixed = try mockmcu(["run", "--scenarios", dir, "--known-failing", known, "--", Products.referenceClient])
        XCTAssertEqual(fixed.status, 0)
        XCTAssertTrue(fixed.out.contains("XPASS  join") && fixed.out.contains("trim the list"), fixed.out)
        // With --fail-on-xpass the stale entry fails the run.
        let stale = try mockmcu(["run", "--scenarios", dir, "--known-failing", known, "--fail-on-xpass", "--", Products.referenceClient])
        XCTAssertEqual(stale.status, 1, stale.out)
        XCTAssertTrue(stale.out.contains("An unexpected pass fails the run (--fail-on-xpass): take the scenario off --known-failing."), stale.out)
    }

    /// --shard I/N: the shards partition the selection, the same way each time.
    func testShardsPartitionTheSelection() throws {
        var files: [String: String] = [:]
        for name in ["a/one", "a/two", "b/three", "b/four", "c/five"] { files[name] = Self.join }
        let dir = try folder(files)
        var seen: [[String]] = []
        for i in 1...3 {
            let r = try mockmcu(["list", "--scenarios", dir, "--shard", "\(i)/3"])
            XCTAssertEqual(r.status, 0, r.err)
            let names = r.out.split(separator: "\n").dropLast().map { String($0.split(separator: " ")[0]) }
            XCTAssertEqual(try mockmcu(["list", "--scenarios", dir, "--shard", "\(i)/3"]).out, r.out, "stable")
            seen.append(names)
        }
        XCTAssertEqual(seen.flatMap { $0 }.sorted(), ["a/one", "a/two", "b/four", "b/three", "c/five"])
        XCTAssertTrue(seen.allSatisfy { !$0.isEmpty && $0.count <= 2 }, "\(seen)")
        let bad = try mockmcu(["list", "--scenarios", dir, "--shard", "0/3"])
        XCTAssertEqual(bad.err, "Error: --shard must be I/N with 1 ≤ I ≤ N ≤ 64, e.g. 2/4 (got '0/3')\n(see 'mockmcu list --help')\n")
    }

    /// --known-flaky: a listed scenario may pass or fail; either is accepted and reported as such.
    func testKnownFlakyAcceptsAPassAndAFailure() throws {
        let dir = try folder(["join": Self.join, "chat": Self.chat])
        let list = try folder([:]) + "/flaky.txt"
        try "join\n".write(toFile: list, atomically: true, encoding: .utf8)
        let out = try folder([:])
        let json = out + "/r.json"
        let failing = try mockmcu(["run", "--scenarios", dir, "--known-flaky", list, "--json", json, "--", Products.brokenClient("no-release")])
        XCTAssertEqual(failing.status, 0, failing.out)
        XCTAssertTrue(failing.out.contains("KFLAKY join"), failing.out)
        XCTAssertTrue(failing.out.contains("did not pass, accepted: listed in --known-flaky"), failing.out)
        XCTAssertTrue(failing.out.contains("1 known flaky"), failing.out)
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        XCTAssertEqual((results["scenarios"] as? [[String: Any]])?.first { $0["name"] as? String == "join" }?["outcome"] as? String, "known_flaky")
        let passing = try mockmcu(["run", "--scenarios", dir, "--known-flaky", list, "--", Products.referenceClient])
        XCTAssertEqual(passing.status, 0, passing.out)
        XCTAssertTrue(passing.out.contains("PASS   join"), passing.out)
    }

    func testUsageAndConfigurationErrorsExitTwo() throws {
        let dir = try folder(["join": Self.join])
        let noCommand = try mockmcu(["run", "--scenarios", dir])
        XCTAssertEqual(noCommand.status, 2)
        XCTAssertTrue(noCommand.err.contains("give the client command after --"), noCommand.err)
        let zeroJobs = try mockmcu(["run", "--scenarios", dir, "--jobs", "0", "--", "true"])
        XCTAssertEqual(zeroJobs.status, 2)
        XCTAssertTrue(zeroJobs.err.contains("--jobs must be a number from 1 to 64, or auto (got '0')"), zeroJobs.err)
        let wordJobs = try mockmcu(["run", "--scenarios", dir, "--jobs", "many", "--", "true"])
        XCTAssertTrue(wordJobs.err.contains("--jobs must be a number from 1 to 64, or auto (got 'many')"), wordJobs.err)
        let missing = try mockmcu(["run", "--scenarios", dir, "--", "./no-such-client", "--driver"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.err.contains("cannot run the client: './no-such-client' is not an executable file"), missing.err)
        let nothing = try mockmcu(["run", "--scenarios", dir, "--run", "nosuch/*", "--", "true"])
        XCTAssertEqual(nothing.status, 2)
        XCTAssertTrue(nothing.err.contains("no scenario matches"), nothing.err)
        let badFeatures = try folder([:]) + "/f.yaml"
        try "features: [pinn]\n".write(toFile: badFeatures, atomically: true, encoding: .utf8)
        let f = try mockmcu(["run", "--scenarios", dir, "--features", badFeatures, "--", "true"])
        XCTAssertEqual(f.status, 2)
        XCTAssertTrue(f.err.contains("did you mean 'pin'?"), f.err)

        let broken = try folder(["bad": Self.join.replacingOccurrences(of: "- tell:", with: "- tel:")])
        let invalid = try mockmcu(["run", "--scenarios", broken, "--", "true"])
        XCTAssertEqual(invalid.status, 2)
        XCTAssertTrue(invalid.err.contains("bad.yaml:9: unknown action 'tel' (did you mean 'tell'?)"), invalid.err)
    }

    /// What a newcomer met (issue 13): each mistake answered with the exact message.
    func testNewcomerMistakesGetExactMessages() throws {
        let dir = try folder(["join": Self.join])
        let typo = try mockmcu(["rn"])
        XCTAssertEqual(typo.status, 2)
        XCTAssertEqual(typo.err, "Error: unknown command 'rn' (did you mean 'run'?); commands: serve, run, list, check, check-conferences\n(see 'mockmcu --help')\n")
        let grace = try mockmcu(["run", "--scenarios", dir, "--grace", "-1", "--", "true"])
        XCTAssertEqual(grace.status, 2)
        XCTAssertEqual(grace.err, "Error: --grace must be more than 0 and at most 60 seconds (got -1)\n(see 'mockmcu run --help')\n")
        let noFolder = try mockmcu(["run", "--scenarios", "/no/such/folder", "--", "true"])
        XCTAssertEqual(noFolder.status, 2)
        XCTAssertEqual(noFolder.err, "Error: the scenarios folder '/no/such/folder' does not exist\n(see 'mockmcu run --help')\n")
        let glob = try mockmcu(["run", "--scenarios", dir, "--run", "pin/[", "--", "true"])
        XCTAssertEqual(glob.status, 2)
        XCTAssertEqual(glob.err, "Error: --run 'pin/[': '[' is not a wildcard here (only * and ? are: 'pin/*', 'reconnect/drop?ed-stream')\n(see 'mockmcu run --help')\n")
        let near = try mockmcu(["list", "--scenarios", dir, "--run", "jion"])
        XCTAssertEqual(near.status, 2)
        XCTAssertEqual(near.err, "Error: no scenario matches --run 'jion' (did you mean 'join'?); 1 exist (mockmcu list shows them)\n(see 'mockmcu list --help')\n")
    }

    func testCheckReportsEveryBadFileWithItsLine() throws {
        let dir = try folder([
            "good": Self.join,
            "typo": Self.join.replacingOccurrences(of: "released:", with: "releasd:"),
            "nosummary": Self.join.replacingOccurrences(of: "summary: Joins and leaves.\n", with: "")
                .replacingOccurrences(of: "- left", with: "- lefty"),
        ])
        let r = try mockmcu(["check", "--scenarios", dir])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.out.contains("typo.yaml:12: unknown check 'releasd' (did you mean 'released'?)"), r.out)
        // Every problem of a file, in line order: not just its first.
        let nosummary = r.out.split(separator: "\n").filter { $0.contains("nosummary.yaml") }.map { $0.components(separatedBy: ";")[0] }
        XCTAssertEqual(nosummary.map { String($0.split(separator: "/").last ?? "") }, [
            "nosummary.yaml:1: missing 'summary': one line on what the scenario proves",
            "nosummary.yaml:12: unknown check 'lefty' (did you mean 'left'?)",
        ], r.out)
        XCTAssertTrue(r.out.contains("3 problem(s) in 2 invalid file(s), 1 valid"), r.out)
        XCTAssertEqual(try mockmcu(["check", "--scenarios", Products.scenarios]).status, 0, "the shipped scenarios are valid")
    }

    func testMisbehavingClientsFailWithoutLeavingAnythingBehind() throws {
        let dir = try folder(["join": Self.join])
        let marker = "mockmcu-orphan-\(UUID().uuidString.prefix(8))"
        // Ignores stdin and SIGTERM, starts a background child, floods stdout with garbage.
        let script = "trap '' TERM\nsh -c 'sleep 300; : \(marker)' &\nwhile :; do echo 'not json'; done\n"
        let path = try folder([:]) + "/client.sh"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try mockmcu(["run", "--scenarios", dir, "--grace", "0.3", "--deadline-scale", "0.1", "--", "sh " + path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.out.contains("client did not exit"), r.out)
        XCTAssertTrue(r.out.contains("not a JSON object"), r.out)
        XCTAssertFalse(try running(marker), "a process of the client's group survived")
    }

    func testInterruptingTheRunStopsEveryClient() throws {
        let dir = try folder(["hang": Self.join.replacingOccurrences(of: "summary: Joins and leaves.", with: "summary: Hangs.\ndeadline: 60")])
        let fifo = try folder([:]) + "/up"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let marker = "mockmcu-interrupt-\(UUID().uuidString.prefix(8))"
        let p = Process()
        p.executableURL = Products.url("mockmcu")
        p.arguments = ["run", "--scenarios", dir, "--", "echo up > \(fifo); sh -c 'sleep 300; : \(marker)'"]
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        try p.run()
        // Opening the FIFO waits until the client has started and opened it for writing.
        let up = try XCTUnwrap(FileHandle(forReadingAtPath: fifo)).readDataToEndOfFile()
        XCTAssertEqual(String(decoding: up, as: UTF8.self), "up\n")
        p.terminate()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 128 + SIGTERM)
        XCTAssertTrue(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("interrupted: stopped 1"))
        XCTAssertFalse(try running(marker), "a client process outlived the interrupted run")
    }
}
