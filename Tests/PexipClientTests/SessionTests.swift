import Foundation
import MockNode
import PexipClient
import PexipWire
import XCTest

final class ClientSessionTests: XCTestCase {
    func testJoinWithoutPinSeesItselfAndReleasesOnLeave() async throws {
        let h = try ClientHarness()
        let session = try await h.join("meet", "Alice")
        XCTAssertEqual(session.role, .host)
        XCTAssertEqual(session.displayName, "Alice")
        let tap = EventTap(session)
        let roster = await tap.roster()
        XCTAssertEqual(roster.map(\.displayName), ["Alice"])
        XCTAssertEqual(h.requests("request_token").first?.header("pin"), nil, "no PIN header when none is needed")
        await session.leave()
        let rest = await tap.until { $0 == .left }
        XCTAssertEqual(rest.last, .left)
        let ended = await tap.hasEnded()
        XCTAssertTrue(ended, "the stream ends after .left")
        let releases = h.requests("release_token", of: session.participantUUID)
        XCTAssertEqual(releases.count, 1)
        XCTAssertEqual(releases.first?.status, 200)
        XCTAssertTrue(h.node.participants().isEmpty)
        let lastUse = h.node.journal().last { $0.kind == .request && $0.participant == session.participantUUID }
        XCTAssertEqual(lastUse?.request, "release_token", "nothing is sent with the token after release")
    }

    func testPinPromptHostAndGuest() async throws {
        let h = try ClientHarness()
        let host = try await h.join("secure", "Host") { o in
            o.pinPrompt = { prompt in
                XCTAssertTrue(prompt.guestPINRequired)
                return "1234"
            }
        }
        XCTAssertEqual(host.role, .host)
        let tokenRequests = h.requests("request_token")
        XCTAssertEqual(tokenRequests.map(\.status), [403, 200])
        XCTAssertEqual(tokenRequests.last?.header("pin"), "1234", "the PIN goes in the pin header on the retry")
        let guest = try await h.join("hostpin", "Guest") { o in
            o.pinPrompt = { prompt in
                XCTAssertFalse(prompt.guestPINRequired)
                return ""
            }
        }
        XCTAssertEqual(guest.role, .guest)
        XCTAssertEqual(h.requests("request_token").last?.header("pin"), "none", "an empty answer is a PIN-less guest")
        await host.leave()
        await guest.leave()
    }

    func testWrongPinAndNoPromptAreTypedErrors() async throws {
        let h = try ClientHarness()
        do {
            _ = try await h.join("secure", "X") { $0.pinPrompt = { _ in "0000" } }
            XCTFail("joined with a wrong PIN")
        } catch let error as PexipClientError {
            XCTAssertEqual(error, .invalidPIN)
        }
        do {
            _ = try await h.join("secure", "X")
            XCTFail("joined without a PIN")
        } catch let error as PexipClientError {
            XCTAssertEqual(error, .pinRequired(guestPINRequired: true))
        }
        do {
            _ = try await h.join("nowhere", "X")
            XCTFail("joined an unknown alias")
        } catch let error as PexipClientError {
            guard case .notFound = error else { return XCTFail("\(error)") }
        }
    }

    func testVirtualReceptionExtensionPrompt() async throws {
        let h = try ClientHarness()
        let session = try await h.join("reception", "V") { $0.extensionPrompt = { "meet" } }
        XCTAssertEqual(h.requests("request_token").last?.body?.contains("\"conference_extension\":\"meet\""), true)
        XCTAssertEqual(h.node.participants(in: "meet").map(\.uuid), [session.participantUUID])
        let tap = EventTap(session)
        _ = await tap.roster()
        await session.leave()
        do {
            _ = try await h.join("reception", "W") { $0.extensionPrompt = { "nosuch" } }
            XCTFail("joined an unknown extension")
        } catch let error as PexipClientError {
            guard case .notFound = error else { return XCTFail("\(error)") }
        }
    }

    func testRefreshAtHalfTheLifetimeWithTheLatestToken() async throws {
        let h = try ClientHarness([ConferenceConfig(alias: "short", expires: 2)])
        let session = try await h.join("short", "R")
        let first = h.node.waitForJournal(timeout: 5) { $0.request == "refresh_token" && $0.status == 200 }
        let second = h.node.waitForJournal(after: first?.seq ?? 0, timeout: 5) { $0.request == "refresh_token" && $0.status == 200 }
        let joinedAt = try XCTUnwrap(h.requests("request_token").first?.wall)
        let t1 = try XCTUnwrap(first?.wall), t2 = try XCTUnwrap(second?.wall)
        XCTAssertEqual(t1 - joinedAt, 1.0, accuracy: 0.4, "first refresh at expires/2")
        XCTAssertEqual(t2 - t1, 1.0, accuracy: 0.4, "then every expires/2")
        // The second refresh used the token the first one returned.
        let issued = JSONValue.parse(first?.response ?? "")?["result"]?["token"]?.stringValue
        XCTAssertEqual(second?.token, issued)
        await session.leave()
    }

    func testRefreshRetriesOn503AndEndsOn403() async throws {
        let h = try ClientHarness([ConferenceConfig(alias: "short", expires: 2)])
        try h.node.addFault(FaultRule(request: "refresh_token", .status(503), count: 2))
        let session = try await h.join("short", "R")
        let ok = h.node.waitForJournal(timeout: 8) { $0.request == "refresh_token" && $0.status == 200 }
        XCTAssertNotNil(ok)
        XCTAssertEqual(h.requests("refresh_token").map(\.status).prefix(3), [503, 503, 200])
        try h.node.addFault(FaultRule(request: "refresh_token",
                                      .status(403, body: #"{"status":"success","result":"Invalid token"}"#), count: 1))
        let tap = EventTap(session)
        let events = await tap.until { if case .disconnected = $0 { return true }; return false }
        XCTAssertEqual(events.last, .disconnected(reason: "Invalid token"))
        let ended = await tap.hasEnded()
        XCTAssertTrue(ended)
        XCTAssertTrue(h.requests("release_token").isEmpty, "no release after the node ended the session")
    }

    func testReferReleasesTheTokenAndTheOneTimeTokenAdmitsToTheTargetWithoutItsPIN() async throws {
        let h = try ClientHarness([ConferenceConfig(alias: "meet"), ConferenceConfig(alias: "stage", hostPIN: "4321")])
        let session = try await h.join("meet", "A")
        let tap = EventTap(session)
        _ = await tap.roster()
        let token = try h.node.refer(session.participantUUID, to: "stage")
        let events = await tap.until { if case .referred = $0 { return true }; return false }
        XCTAssertEqual(events.last, .referred(alias: "stage", token: token))
        let ended = await tap.hasEnded()
        XCTAssertTrue(ended)
        XCTAssertEqual(h.requests("release_token").map(\.status), [200], "the old token is released, as PexRTC does")
        let moved = try await h.join("stage", "A") { $0.oneTimeToken = token }
        XCTAssertEqual(moved.alias, "stage")
        XCTAssertEqual(h.requests("request_token").last?.body.flatMap(JSONValue.parse)?["token"]?.stringValue, token)
        await moved.leave()
    }

    func testReconnectAfterDroppedStreamResyncsRoster() async throws {
        let h = try ClientHarness()
        let session = try await h.join("meet", "A")
        let tap = EventTap(session)
        _ = await tap.roster()
        try h.node.addParticipant(to: "meet", displayName: "Sim")
        let withSim = await tap.roster()
        XCTAssertEqual(withSim.map(\.displayName), ["A", "Sim"])
        try h.node.dropStreams(of: session.participantUUID)
        let events = await tap.until { if case .roster = $0 { return true }; return false }
        XCTAssertTrue(events.contains(.reconnected), "\(events)")
        if case .roster(let people) = events.last { XCTAssertEqual(people.map(\.displayName), ["A", "Sim"]) }
        XCTAssertEqual(h.node.journal().filter { $0.kind == .streamOpen }.count, 2)
        await session.leave()
    }

    func testStalledStreamIsNoticedAndReplaced() async throws {
        var c = ConferenceConfig(alias: "meet")
        c.keepaliveInterval = 0.1
        let h = try ClientHarness([c])
        let session = try await h.join("meet", "A") { $0.timing.streamIdleTimeout = 0.6 }
        let tap = EventTap(session)
        _ = await tap.roster()
        try h.node.stallStreams(of: session.participantUUID)
        let events = await tap.until { $0 == .reconnected }
        XCTAssertEqual(events.last, .reconnected)
        await session.leave()
    }

    func testDisconnectEventEndsSessionWithoutRelease() async throws {
        let h = try ClientHarness()
        let session = try await h.join("meet", "A")
        let tap = EventTap(session)
        _ = await tap.roster()
        try h.node.eject(session.participantUUID, reason: "Kicked by test")
        let events = await tap.until { if case .disconnected = $0 { return true }; return false }
        XCTAssertEqual(events.last, .disconnected(reason: "Kicked by test"))
        await session.leave()
        XCTAssertTrue(h.requests("release_token").isEmpty)
    }

    func testTwoClientsSeeEachOtherAndChat() async throws {
        let h = try ClientHarness()
        let alice = try await h.join("meet", "Alice")
        let aliceTap = EventTap(alice)
        _ = await aliceTap.roster()
        let bob = try await h.join("meet", "Bob")
        let bobTap = EventTap(bob)
        let bobSees = await bobTap.roster()
        let aliceSees = await aliceTap.roster()
        XCTAssertEqual(Set(bobSees.map(\.displayName)), ["Alice", "Bob"])
        XCTAssertEqual(Set(aliceSees.map(\.displayName)), ["Alice", "Bob"])
        try await bob.send(message: "hi Alice")
        let got = await aliceTap.until { if case .message = $0 { return true }; return false }
        guard case .message(let m) = got.last else { return XCTFail() }
        XCTAssertEqual(m.payload, "hi Alice")
        XCTAssertEqual(m.origin, "Bob")
        XCTAssertEqual(m.uuid, bob.participantUUID)
        await bob.leave()
        let after = await aliceTap.roster()
        XCTAssertEqual(after.map(\.displayName), ["Alice"])
        await alice.leave()
    }

    func testCancellingTheConsumingTaskLeaves() async throws {
        let h = try ClientHarness()
        let session = try await h.join("meet", "A")
        let consumer = Task { for await _ in session.events {} }
        _ = h.node.waitForJournal { $0.kind == .streamOpen }
        consumer.cancel()
        let released = h.node.waitForJournal { $0.request == "release_token" }
        XCTAssertEqual(released?.status, 200)
        let phase = await session.phase
        XCTAssertEqual(phase, .left)
    }

    func testGivesUpWhenTheNodeIsGone() async throws {
        let h = try ClientHarness()
        let session = try await h.join("meet", "A") { o in
            o.timing.maxStreamFailures = 2
            o.timing.reconnectDelay = 0.05
            o.timing.maxReconnectDelay = 0.1
        }
        let tap = EventTap(session)
        _ = await tap.roster()
        h.node.stop()
        let events = await tap.until { if case .failed = $0 { return true }; return false }
        guard case .failed(let error) = events.last, case .unreachable = error else { return XCTFail("\(events)") }
    }

    func testProxyCredentialsAreSentOnEveryRequest() async throws {
        let h = try ClientHarness { $0.proxyAuth = ProxyAuth(username: "gate", password: "keeper") }
        do {
            _ = try await h.join("meet", "NoCreds")
            XCTFail("joined past the proxy without credentials")
        } catch let error as PexipClientError {
            XCTAssertEqual(error, .proxyAuthenticationRequired)
        }
        do {
            _ = try await h.join("meet", "Wrong") { $0.credentials = BasicCredentials(username: "gate", password: "nope") }
            XCTFail("joined with wrong credentials")
        } catch let error as PexipClientError {
            XCTAssertEqual(error, .proxyAuthenticationRequired)
        }
        let session = try await h.join("meet", "Creds") { $0.credentials = BasicCredentials(username: "gate", password: "keeper") }
        let tap = EventTap(session)
        _ = await tap.roster()
        await session.leave()
        let mine = h.node.journal().filter { $0.kind == .request && $0.participant == session.participantUUID }
        XCTAssertEqual(Set(mine.compactMap(\.request)), ["request_token", "events", "release_token"])
        let expected = "Basic " + Data("gate:keeper".utf8).base64EncodedString()
        XCTAssertTrue(mine.allSatisfy { $0.header("Authorization") == expected })
    }

    func testNoRequestFollowsTheReleaseEvenWithChatOnTheWire() async throws {
        let h = try ClientHarness()
        try h.node.addFault(FaultRule(request: "message", .delay(0.3), count: 0))
        let session = try await h.join("meet", "A")
        async let chat: Void = { try? await session.send(message: "last words") }()
        async let gone: Void = session.leave()
        _ = await (chat, gone)
        let token = await session.currentToken
        // Wait for the delayed chat (if it was sent) to reach the node's journal.
        _ = h.node.waitForJournal(timeout: 2) { $0.request == "message" }
        let withToken = h.node.journal().filter { $0.kind == .request && $0.token == token }
        XCTAssertEqual(withToken.last?.request, "release_token", "\(withToken.compactMap(\.request))")
    }
}
