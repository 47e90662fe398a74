import PexipWire
import XCTest

/// The hand-written fast path must say exactly what JSONEncoder says.
final class JSONWriterTests: XCTestCase {
    private func assertSame<T: Encodable>(_ value: T, file: StaticString = #filePath, line: UInt = #line) {
        let fast = JSONValue.parse(WireJSON.bytes(value))
        let slow = JSONValue.parse(WireJSON.slowBytes(value))
        XCTAssertNotNil(fast, file: file, line: line)
        XCTAssertEqual(fast, slow, "\(T.self)", file: file, line: line)
    }

    func testEveryFastTypeMatchesJSONEncoder() {
        var token = RequestTokenResult(token: "t-_k", expires: "120", participantUUID: "u", displayName: "Zoë \"Z\"\n",
                                       role: .guest)
        assertSame(token)
        token.serviceType = .waitingRoom
        token.currentServiceType = .conference
        token.version = ServerVersion(versionID: "36", pseudoVersion: "36.0")
        token.stun = [STUNServer(url: "stun:x")]
        token.turn = [TURNServer(urls: ["turn:a", "turn:b"], username: "u", credential: "c")]
        token.clientStatsUpdateInterval = 5000.5
        token.pexDatachannelID = 3
        token.chatEnabled = false
        assertSame(Envelope(result: token))
        assertSame(Envelope(result: RefreshTokenResult(token: "a", expires: "60", role: .host)))
        assertSame(Envelope(result: RefreshTokenResult(token: "a", expires: "60", role: nil)))
        assertSame(Envelope(status: "failure", result: "Invalid token"))
        assertSame(Envelope(result: true))
        assertSame(Envelope(result: PinChallenge(guestPINRequired: false)))
        assertSame(Envelope(result: ExtensionChallenge(type: "mssip")))
        var p = Participant(uuid: "u", displayName: "A\u{1}b", localAlias: "meet", role: .guest, startTime: 1700000000.25)
        p.spotlight = 1700000001.5
        p.isMuted = .yes
        assertSame(p)
        assertSame(Envelope(result: [p, p]))
        var status = ConferenceStatus(locked: true)
        status.classification?.levels = ["1": "Secret", "0": "Open"]
        status.classification?.current = "1"
        assertSame(status)
        assertSame(ConferenceStatus())
        assertSame([StageEntry(participantUUID: "u", stageIndex: 2, vad: 50)])
        assertSame(ParticipantDeleted(uuid: "u"))
        assertSame(ChatMessage(origin: "B", uuid: "u", type: "text/plain", payload: "tab\there \\ slash/", direct: true))
        assertSame(DisconnectReason(reason: "Token expired"))
        assertSame(Refer(alias: "a", token: "t"))
    }
}
