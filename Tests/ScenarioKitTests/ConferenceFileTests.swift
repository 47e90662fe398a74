import MockNode
import ScenarioKit
import XCTest

final class ConferenceFileTests: XCTestCase {
    private func error(_ yaml: String) -> String {
        do {
            _ = try ConferenceFile.load(text: yaml, file: "c.yaml")
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testValidFileWithSettings() throws {
        let yaml = """
        conferences:
          - alias: team
            host_pin: 1234
            guest_pin: "5678"
            expires: 60
            keepalive_interval: 2.5
            revoke_on_refresh: true
            participants:
              - display_name: Room
                role: chair
          - alias: lobby
            type: reception
            targets: [team]
            extension_type: mssip
        """
        let confs = try ConferenceFile.load(text: yaml)
        XCTAssertEqual(confs.map(\.alias), ["team", "lobby"])
        XCTAssertEqual(confs[0].hostPIN, "1234", "numeric PINs become strings")
        XCTAssertEqual(confs[0].expires, 60)
        XCTAssertEqual(confs[0].keepaliveInterval, 2.5)
        XCTAssertTrue(confs[0].revokeOnRefresh)
        XCTAssertEqual(confs[0].participants.first?.role, .chair)
        XCTAssertEqual(confs[1].type, .reception)
        XCTAssertEqual(confs[1].extensionType, "mssip")
        XCTAssertEqual(confs[1].initialBurst.first, "conference_update", "defaults fill the rest")
    }

    func testTopLevelListIsAccepted() throws {
        XCTAssertEqual(try ConferenceFile.load(text: "- alias: a\n- alias: b\n").count, 2)
    }

    func testErrorsNameTheLine() {
        XCTAssertEqual(error("conferences:\n  - alias: a\n    host_pn: 1234\n"),
                       "c.yaml:3: unknown key 'host_pn' in a conference (did you mean 'host_pin'?); allowed: "
                       + ConferenceConfig.CodingKeys.allCases.map(\.rawValue).sorted().joined(separator: ", "))
        XCTAssertTrue(error("conferences:\n  - alias: a\n    expires: soon\n").hasPrefix("c.yaml:3: 'expires' should be a whole number"),
                      error("conferences:\n  - alias: a\n    expires: soon\n"))
        XCTAssertEqual(error("conferences:\n  - alias: a\n  - name: b\n"), "c.yaml:3: missing required key 'alias'")
        XCTAssertTrue(error("conferences:\n  - alias: a\n    host_pin: 12\n").hasPrefix("c.yaml:3: conference 'a': PIN '12'"))
        XCTAssertTrue(error("conferences:\n  - alias: a\n  - alias: A\n").hasPrefix("c.yaml:3: alias 'A' is defined twice (first on line 2)"))
        XCTAssertEqual(error("conferences:\n  - alias: a\n    type: webinar\n"),
                       "c.yaml:3: 'type' must be conference, lecture or reception (got 'webinar')")
        XCTAssertEqual(error("conferences:\n  - alias: a\n    type: lectur\n"),
                       "c.yaml:3: 'type' must be conference, lecture or reception (got 'lectur'; did you mean 'lecture'?)")
        // Every problem, in line order, the rest of a conference still read.
        XCTAssertEqual(error("conferences:\n  - alias: a\n    type: meeting\n    expires: sixty\n  - alias: b\n    host_pin: \"12\"\n  - alias: A\n"),
                       """
                       c.yaml:3: 'type' must be conference, lecture or reception (got 'meeting')
                       c.yaml:4: 'expires' should be a whole number (got 'sixty')
                       c.yaml:6: conference 'b': PIN '12' must be 4 to 10 digits, optionally ending in '#'
                       c.yaml:7: alias 'A' is defined twice (first on line 2)
                       """)
        XCTAssertTrue(error("conferences:\n  - alias: [unclosed\n").hasPrefix("c.yaml:"), error("conferences:\n  - alias: [unclosed\n"))
        XCTAssertTrue(error("conferences:\n  - alias: v\n    type: reception\n    targets: [nowhere]\n").hasPrefix("c.yaml:4: reception 'v' targets 'nowhere'"))
        XCTAssertTrue(error("conferences:\n  - alias: a\n    participants:\n      - display_nam: x\n").hasPrefix("c.yaml:4: unknown key 'display_nam' in a participant (did you mean 'display_name'?)"))
        XCTAssertEqual(error("rooms: []\n").prefix(38), "c.yaml:1: unknown key 'rooms' in the t")
        XCTAssertEqual(error(""), "c.yaml: the file is empty")
        XCTAssertEqual(error("conferences: []\n"), "c.yaml:1: 'conferences' is empty: define at least one")
    }

    /// Values that once crashed the node (a timer's time overflowed) or burned a core are refused,
    /// the range in the error, the same from a file and from Swift.
    func testTimesOutOfRangeAreRefusedWithTheRange() {
        XCTAssertEqual(error("conferences:\n  - alias: a\n    expires: 10000000000\n"),
                       "c.yaml:3: conference 'a': expires must be 1 to 86400 seconds (got 10000000000)")
        XCTAssertEqual(error("conferences:\n  - alias: a\n    expiry_grace: 1e10\n"),
                       "c.yaml:3: conference 'a': expiry_grace must be 0 to 3600 seconds (got 10000000000)")
        XCTAssertEqual(error("conferences:\n  - alias: a\n    keepalive_interval: 1e11\n"),
                       "c.yaml:3: conference 'a': keepalive_interval must be 0 (off) or 0.01 to 3600 seconds (got 100000000000)")
        XCTAssertEqual(error("conferences:\n  - alias: a\n    keepalive_interval: 1e-9\n"),
                       "c.yaml:3: conference 'a': keepalive_interval must be 0 (off) or 0.01 to 3600 seconds (got 1e-09)")
        XCTAssertEqual(error("conferences:\n  - alias: a\n    keepalive_interval: 0\n"), "no error")
        var c = ConferenceConfig(alias: "a")
        c.expiryGrace = .infinity
        XCTAssertThrowsError(try MockNode(conferences: [c])) {
            XCTAssertEqual("\($0)", "conference 'a': expiry_grace must be 0 to 3600 seconds (got infinity)")
        }
    }

    func testADuplicateKeyNamesItsLineAndEchoesNothing() {
        let text = "conferences:\n  - alias: a\n    expires: 30\n    expires: 60\n"
        XCTAssertEqual(error(text), "c.yaml:4: key 'expires' appears twice in one mapping (first on line 3)")
        XCTAssertEqual(error("conferences:\n  - alias: a\n    expires: 30\n  - alias: b\n    expires: 30\n"), "no error")
    }

    func testControlCharactersAreShownEscaped() {
        let message = error("conferences:\n  - alias: a\n    \u{1b}]0;pwned\u{07}: 1\n")
        XCTAssertFalse(message.unicodeScalars.contains { $0.value < 0x20 }, message)
        XCTAssertEqual(message, "c.yaml:3: YAML syntax: control characters are not allowed (U+001B)")
        // Allowed by YAML but still not for a terminal: DEL and C1 controls.
        let c1 = error("conferences:\n  - alias: a\n    b\u{9b}31m: 1\n")
        XCTAssertFalse(c1.unicodeScalars.contains { $0.value == 0x9B }, c1)
    }

    func testMissingFile() {
        XCTAssertThrowsError(try ConferenceFile.load(path: "/nonexistent/c.yaml")) {
            XCTAssertEqual("\($0)", "/nonexistent/c.yaml: cannot read the file (does it exist?)")
        }
    }

    func testBuiltinsAreValidAndDescribed() throws {
        _ = try MockNode(conferences: ConferenceConfig.builtins)
        XCTAssertEqual(ConferenceConfig.builtins.map(\.summary), [
            "meet: no PIN, everyone joins as host",
            "secure: host PIN 1234, guest PIN 5678",
            "hostpin: host PIN 1234, guests join without a PIN (pin: none)",
            "reception: Virtual Reception (extension: meet, secure, hostpin)",
        ])
    }
}
