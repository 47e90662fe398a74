import MockNode
import PexipWire
import ScenarioKit
import XCTest

final class LoaderTests: XCTestCase {
    private let base = """
        summary: S.
        conferences:
          - alias: meet
        client:
          conference: meet
        checks:
          - left
        """

    private func load(_ text: String) throws -> Scenario { try ScenarioLoader.load(text: text, name: "g/s") }

    private func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try load(text)
            XCTFail("loaded", file: file, line: line)
            return ""
        } catch {
            return "\(error)"
        }
    }

    func testAFullScenarioLoads() throws {
        let s = try load("""
            summary: Everything.
            features: [pin, chat, proxy_auth]
            deadline: 4
            conferences:
              - alias: secure
                host_pin: "1234"
                expires: 2
                participants:
                  - display_name: Bob
            node:
              proxy_auth: {username: u, password: p, status: 407}
            client:
              conference: secure
              display_name: Alice
              answer_pin: "1234"
            timeline:
              - when: {at: 0}
                do:
                  - fail: {request: events, status: 503, count: 2}
              - when: {client: roster, count: 2}
                delay: 0.5
                optional: true
                do:
                  - emit: {event: stage, data: [{n: 1, s: "2", b: true, z: null}], to: conference}
                  - chat: {from: Bob, text: hi}
                  - eject: Bye
                  - tell: {type: send_message, text: "x"}
            checks:
              - joined: HOST
              - refresh_cadence: {tolerance: 0.3}
              - no_request_after: {anchor: disconnected, except: [release_token]}
              - requests: {request: refresh_token, min: 1, max: 3}
              - not_reported: failed
              - token_kept_alive: {minimum: 2, level: should}
            """)
        XCTAssertEqual(s.name, "g/s")
        XCTAssertEqual(s.group, "g")
        XCTAssertEqual(s.deadline, 4)
        XCTAssertEqual(s.node.proxyAuth, ProxyAuth(username: "u", password: "p", status: 407))
        XCTAssertEqual(s.client.answers, ["pin": "1234"])
        XCTAssertEqual(s.timeline.count, 2)
        XCTAssertEqual(s.timeline[1].trigger, .client("roster", count: 2))
        XCTAssertEqual(s.timeline[1].delay, 0.5)
        guard case .emit(let events, let to) = s.timeline[1].actions[0] else { return XCTFail("emit") }
        XCTAssertEqual(to, .conference)
        XCTAssertEqual(JSONValue.parse(events[0].data), [["n": .number(1), "s": "2", "b": true, "z": .null]],
                       "quoted YAML stays text; plain numbers, booleans and null keep their type")
        XCTAssertEqual(s.checks.map(\.kind.name), [
            "joined(role: HOST)", "refresh_cadence(early: 0.25, late: 0.75, tolerance: 0.3)",
            "no_request_after(disconnected, except: release_token)", "requests(refresh_token, 1...3)", "not_reported(failed)",
            "token_kept_alive(minimum: 2, max_per_lifetime: 6)",
        ])
        XCTAssertEqual(s.checks.map(\.level), [.must, .should, .must, .must, .must, .should],
                       "refresh_cadence is a should by default; a scenario may set any check's level")
        XCTAssertEqual(s.checks[0].line, 29)
    }

    /// The suite runs the long scenarios first, by this guess.
    func testExpectedSecondsFollowTheLatestStep() throws {
        let refreshes = try load("""
            summary: s
            conferences: [{alias: meet, expires: 2}]
            client: {conference: meet}
            timeline:
              - when: {refresh: 3}
                delay: 0.25
                do: [{tell: {type: leave}}]
            checks: [left]
            """)
        XCTAssertEqual(refreshes.expectedSeconds, 3.25, accuracy: 1e-9, "three refreshes of a 2 s token, then 0.25 s")
        let timed = try load("""
            summary: s
            deadline: 4
            conferences: [{alias: meet}]
            client: {conference: meet}
            timeline:
              - when: {at: 9}
                do: [{tell: {type: leave}}]
              - when: {client: joined}
                delay: 1
                do: [{tell: {type: leave}}]
            checks: [left]
            """)
        XCTAssertEqual(timed.expectedSeconds, 4, "never past the deadline")
        XCTAssertEqual(try load("summary: s\nconferences: [{alias: meet}]\nclient: {conference: meet}\nchecks: [left]\n").expectedSeconds, 0)
    }

    /// Every problem of a file, in line order, each section, timeline step and check read on its own.
    func testEveryProblemOfAFileInLineOrder() {
        let text = """
            summary: s
            features: [pinn]
            conferences:
              - alias: meet
                expirez: 3
            client: {conference: meet}
            timeline:
              - when: {client: roster}
                do: [{tel: {type: leave}}]
              - when: {client: roster}
                do: [{tell: {type: leave}}]
            checks:
              - lefty
              - released: {within: -1}
              - left
            """
        // (Each line up to its list of what is allowed.)
        let lines = error(text).split(separator: "\n").map { line -> String in
            String(line.components(separatedBy: "; allowed:")[0].components(separatedBy: "; features:")[0])
        }
        XCTAssertEqual(lines, [
            "g/s.yaml:2: unknown feature 'pinn' (did you mean 'pin'?)",
            "g/s.yaml:5: unknown key 'expirez' in a conference (did you mean 'expires'?)",
            "g/s.yaml:9: unknown action 'tel' (did you mean 'tell'?)",
            "g/s.yaml:13: unknown check 'lefty' (did you mean 'left'?)",
            "g/s.yaml:14: 'within' must be 0 to 86400 seconds (got -1)",
        ])
    }

    func testErrorsNameTheLineAndSuggest() {
        XCTAssertEqual(error(base.replacingOccurrences(of: "checks:", with: "chekcs:")),
                       "g/s.yaml:1: missing 'checks': what the run must show\n"
                       + "g/s.yaml:6: unknown key 'chekcs' in the scenario (did you mean 'checks'?); allowed: checks, client, conferences, deadline, features, node, summary, timeline")
        XCTAssertEqual(error(base.replacingOccurrences(of: "- left", with: "- lefty")),
                       "g/s.yaml:7: unknown check 'lefty' (did you mean 'left'?); allowed: " + CheckKindNames.all)
        XCTAssertTrue(error(base.replacingOccurrences(of: "- left", with: "- left: {level: maybe}"))
            .contains("'level' should be one of must, should, info, not 'maybe'"))
        XCTAssertTrue(error(base + "\ntimeline:\n  - when: {refresh: 1}\n    do:\n      - expire_tokn\n")
            .hasPrefix("g/s.yaml:11: unknown action 'expire_tokn' (did you mean 'expire_token'?)"))
        XCTAssertTrue(error(base + "\ntimeline:\n  - when: {refresh: 1, client: joined}\n    do: [drop_stream]\n")
            .contains("'when' needs exactly one of"))
        XCTAssertTrue(error(base + "\ntimeline:\n  - when: {at: 1}\n    do:\n      - fail: {request: events, status: 503, delay: 1}\n")
            .contains("'fail' needs exactly one of 'status', 'delay' or 'drop: true'"))
        XCTAssertTrue(error(base + "\ntimeline:\n  - when: {at: 1}\n    do:\n      - tell: {text: hi}\n")
            .contains("'tell' needs a message with a 'type'"))
        XCTAssertEqual(error(base.replacingOccurrences(of: "summary: S.\n", with: "")),
                       "g/s.yaml:1: missing 'summary': one line on what the scenario proves")
        XCTAssertTrue(error("features: [chatt]\n" + base).contains("unknown feature 'chatt' (did you mean 'chat'?)"))
        XCTAssertTrue(error(base.replacingOccurrences(of: "  conference: meet", with: "  conference: mett"))
            .contains("g/s.yaml:5: 'client.conference' is 'mett', which is not among the scenario's conferences"))
        XCTAssertTrue(error(base.replacingOccurrences(of: "  - alias: meet", with: "  - alias: meet\n    host_pin: \"1234\""))
            .contains("needs feature 'pin'"))
        XCTAssertTrue(error(base.replacingOccurrences(of: "- left", with: "- released: {within: soon}"))
            .contains("'within' should be a number"))
        XCTAssertTrue(error(base.replacingOccurrences(of: "- left", with: "- no_request_after: later"))
            .contains("'anchor' should be one of"))
        XCTAssertTrue(error("summary: [x\n").hasPrefix("g/s.yaml:"), "syntax errors carry a line")
    }

    /// Times and counts a scenario may hold; values past them once crashed `mockmcu run` (a timer's
    /// time overflowed) and left its clients running.
    func testTimesAndCountsOutOfRangeAreRefusedWithTheRange() {
        XCTAssertEqual(error(base + "\ntimeline:\n  - when: {at: 1}\n    delay: 1e300\n    do: [drop_stream]\n"),
                       "g/s.yaml:10: 'delay' must be 0 to 3600 seconds (got 1e+300)")
        XCTAssertEqual(error(base + "\ntimeline:\n  - when: {at: 1e12}\n    do: [drop_stream]\n"),
                       "g/s.yaml:9: 'at' must be 0 to 86400 seconds (got 1000000000000)")
        XCTAssertEqual(error(base + "\ntimeline:\n  - when: {at: nan}\n    do: [drop_stream]\n"),
                       "g/s.yaml:9: 'at' must be 0 to 86400 seconds (got NaN)")
        XCTAssertEqual(error("deadline: 0.01\n" + base), "g/s.yaml:1: 'deadline' must be 0.1 to 86400 seconds (got 0.01)")
        XCTAssertEqual(error(base + "\ntimeline:\n  - when: {at: 1}\n    do:\n      - fail: {request: events, delay: 1e9}\n"),
                       "g/s.yaml:11: 'delay' must be 0 to 3600 seconds (got 1000000000)")
        XCTAssertEqual(error(base + "\ntimeline:\n  - when: {at: 1}\n    do:\n      - fail: {request: events, status: 101}\n"),
                       "g/s.yaml:11: 'status' must be 200 to 599 (got 101)")
        XCTAssertEqual(error(base + "\ntimeline:\n  - when: {at: 1}\n    do:\n      - fail: {request: events, status: 600}\n"),
                       "g/s.yaml:11: 'status' must be 200 to 599 (got 600)")
        XCTAssertEqual(error(base + "\ntimeline:\n  - when: {refresh: 99999999}\n    do: [drop_stream]\n"),
                       "g/s.yaml:9: 'refresh' must be 1 to 1000000 (got 99999999)")
        XCTAssertEqual(error(base.replacingOccurrences(of: "  - alias: meet", with: "  - alias: meet\n    keepalive_interval: 1e-9")),
                       "g/s.yaml:4: conference 'meet': keepalive_interval must be 0 (off) or 0.01 to 3600 seconds (got 1e-09)")
    }

    func testAnEventNameThatWouldBreakTheStreamIsRefused() {
        XCTAssertEqual(error(base + "\ntimeline:\n  - when: {at: 1}\n    do:\n      - emit: {event: \"a\\nid: 9\"}\n"),
                       "g/s.yaml:11: an event name must be 1 to 100 printable ASCII characters, no spaces or line breaks (got 'a\\u{a}id: 9')")
    }

    func testADuplicateKeyNamesItsLineAndEchoesNothing() {
        let text = base.replacingOccurrences(of: "  conference: meet", with: "  conference: meet\n  conference: other")
        XCTAssertEqual(error(text), "g/s.yaml:6: key 'conference' appears twice in one mapping (first on line 5)")
        XCTAssertEqual(error("summary: S.\nconferences:\n  - alias: a\n  - alias: b\n    name: x\n    alias: c\nclient: {conference: a}\nchecks: [left]\n"),
                       "g/s.yaml:6: key 'alias' appears twice in one mapping (first on line 4)")
    }

    func testControlCharactersInAFileAreShownEscaped() {
        let message = error(base.replacingOccurrences(of: "checks:", with: "chec\u{1b}[31mks:"))
        XCTAssertEqual(message, "g/s.yaml:6: YAML syntax: control characters are not allowed (U+001B)")
        let quoted = error(base.replacingOccurrences(of: "- left", with: "- \"lef\\u001b[31mt\": 1"))
        XCTAssertFalse(quoted.unicodeScalars.contains { $0.value == 0x1B }, quoted)
        XCTAssertTrue(quoted.hasPrefix("g/s.yaml:7: unknown check 'lef\\u{1b}[31mt'"), quoted)
    }

    func testEveryNodeCommandIsATimelineActionWithItsControlFields() throws {
        let s = try load(base + """

            timeline:
              - when: {client: roster}
                do:
                  - refer: other
                  - refer: {alias: other, role: guest}
                  - maintenance: {on: true}
                  - note: checkpoint
                  - eject: Removed by the host
                  - stall_stream: false
                  - chat: {from: Bob, text: hi}
                  - update_participant: {display_name: Bob, new_display_name: Rob}
            """)
        XCTAssertEqual(s.timeline[0].actions.map(\.label),
                       ["refer to other", "refer to other", "maintenance on", "note checkpoint", "eject (Removed by the host)",
                        "thaw the stream", "chat from Bob", "update participant Bob"])
        guard case .node(let refer) = s.timeline[0].actions[1] else { return XCTFail("refer is a node command") }
        XCTAssertEqual(refer.name, "refer")
        XCTAssertEqual(refer.arguments["role"], "guest")
        XCTAssertNil(refer.arguments["participant"], "left to the runner: the client")
        XCTAssertEqual(error(base + "\ntimeline:\n  - when: {at: 1}\n    do:\n      - refer: {alis: other}\n"),
                       "g/s.yaml:11: 'refer': unknown field 'alis' for refer; allowed: alias, participant, role")
        XCTAssertEqual(error(base + "\ntimeline:\n  - when: {at: 1}\n    do:\n      - refer\n"),
                       "g/s.yaml:11: 'refer': alias is required")
        XCTAssertTrue(error(base + "\ntimeline:\n  - when: {at: 1}\n    do:\n      - reset\n")
            .hasPrefix("g/s.yaml:11: unknown action 'reset'"), "reset would empty the journal the scenario is judged from")
    }

    func testTheShippedScenariosLoadAndCoverEveryGroup() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Scenarios").path
        let (scenarios, problems) = ScenarioLoader.validate(directory: dir)
        XCTAssertEqual(problems, [])
        XCTAssertGreaterThanOrEqual(scenarios.count, 30)
        XCTAssertTrue(Set(scenarios.map(\.group)).isSuperset(of: ["pin", "token", "expiry", "ejection", "reconnect", "events", "faults", "reception", "chat"]))
        XCTAssertEqual(scenarios.map(\.name), scenarios.map(\.name).sorted())
    }
}

/// The allowed check names as the loader lists them.
enum CheckKindNames {
    static let all = "joined, asked_for_pin, pin_header, asked_for_extension, extension_sent, asked_for_sso, signed_in, token_kept_alive, refresh_cadence, refresh_failure_handled, reconnect_pacing, reconnect_backoff, released, no_request_after, reconnected, roster, failed, disconnected, left, ended, message, messages, sent_message, followed_refer, dropped_old_session, breakout_roster, requests, reported, not_reported"
}

final class ContentHashTests: XCTestCase {
    func testSHA256KnownVectorsAndTheScenarioHash() throws {
        XCTAssertEqual(ContentHash.sha256("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(ContentHash.sha256([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(ContentHash.sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let text = "summary: s\nconferences: [{alias: meet}]\nclient: {conference: meet}\nchecks: [left]\n"
        XCTAssertEqual(try ScenarioLoader.load(text: text, name: "g/s").contentHash, ContentHash.sha256(text.utf8))
    }
}
