import MockNode
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
        XCTAssertTrue(error("conferences:\n  - alias: a\n    type: webinar\n").hasPrefix("c.yaml:3: 'type' has an invalid value 'webinar'"),
                      error("conferences:\n  - alias: a\n    type: webinar\n"))
        XCTAssertTrue(error("conferences:\n  - alias: [unclosed\n").hasPrefix("c.yaml:"), error("conferences:\n  - alias: [unclosed\n"))
        XCTAssertTrue(error("conferences:\n  - alias: v\n    type: reception\n    targets: [nowhere]\n").hasPrefix("c.yaml:4: reception 'v' targets 'nowhere'"))
        XCTAssertTrue(error("conferences:\n  - alias: a\n    participants:\n      - display_nam: x\n").hasPrefix("c.yaml:4: unknown key 'display_nam' in a participant (did you mean 'display_name'?)"))
        XCTAssertEqual(error("rooms: []\n").prefix(38), "c.yaml:1: unknown key 'rooms' in the t")
        XCTAssertEqual(error(""), "c.yaml: the file is empty")
        XCTAssertEqual(error("conferences: []\n"), "c.yaml:1: 'conferences' is empty: define at least one")
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
