import Foundation
import XCTest
@testable import MockNode

final class TokenGeneratorTests: XCTestCase {
    func testTokensAreURLSafeDistinctAndCarry256Bits() {
        let tokens = (0..<2000).map { _ in TokenGenerator.make() }
        XCTAssertEqual(Set(tokens).count, tokens.count)
        for t in tokens.prefix(50) {
            XCTAssertEqual(t.count, 43, "32 bytes in unpadded base64")
            XCTAssertTrue(t.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }, t)
        }
        // Across many tokens every base64 symbol turns up: the bits are not stuck.
        XCTAssertEqual(Set(tokens.joined()).count, 64)
    }

    func testUUIDsAreVersion4() {
        let ids = (0..<500).map { _ in TokenGenerator.uuid() }
        XCTAssertEqual(Set(ids).count, ids.count)
        for id in ids.prefix(20) {
            XCTAssertNotNil(UUID(uuidString: id), id)
            XCTAssertEqual(id, id.lowercased())
            let chars = Array(id)
            XCTAssertEqual(chars[14], "4")
            XCTAssertTrue("89ab".contains(chars[19]), id)
        }
    }

    /// Event ids are base64 of "<stream>_<seq>" (the node's own format), digits written by hand.
    func testEventIDsAreBase64OfStreamAndSeq() {
        for (stream, seq) in [(0, 0), (1, 1), (9, 10), (10, 99), (123, 4567), (1_000_000, 9_999_999), (Int.max, 7)] {
            let id = String(decoding: TokenGenerator.eventID(stream: stream, seq: seq), as: UTF8.self)
            XCTAssertEqual(id, Data("\(stream)_\(seq)".utf8).base64EncodedString(), "\(stream)_\(seq)")
        }
    }

    func testBase64MatchesFoundation() {
        for n in 0..<20 {
            let bytes = RandomPool.shared.bytes(n)
            XCTAssertEqual(TokenGenerator.base64(bytes), Data(bytes).base64EncodedString())
        }
    }
}

final class TokenTableTests: XCTestCase {
    func testLongExpiredTokensAreForgottenAsNewOnesAreIssued() throws {
        let h = try NodeHarness([ConferenceConfig(alias: "meet", expires: 10)])
        var token = try h.join("meet", name: "A").token
        for _ in 0..<20 {
            token = try XCTUnwrap(h.call("POST", "meet", "refresh_token", token: token).json?["result"]?["token"]?.stringValue)
        }
        XCTAssertEqual(h.node.tokenTableSize, 21, "refreshed-away tokens stay valid until their own expiry")
        // Keep the session alive for 300 s, refreshing every 5 s: tokens more
        // than a minute past their expiry are dropped as new ones are issued.
        for _ in 0..<60 {
            h.clock.advance(by: 5)
            token = try XCTUnwrap(h.call("POST", "meet", "refresh_token", token: token).json?["result"]?["token"]?.stringValue)
        }
        XCTAssertLessThanOrEqual(h.node.tokenTableSize, 18, "81 issued; only those of the last ~70 s remain")
        XCTAssertEqual(try h.call("GET", "meet", "participants", token: token).status, 200)
    }
}
